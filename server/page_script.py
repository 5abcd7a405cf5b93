"""The page's script, one behaviour per file in server/assets/scripts/, handed to Gradio as its `js`: a function
run once on every page. shared.js (helpers several behaviours use) runs first; each behaviour runs in its own block,
so its names stay its own."""
from pathlib import Path

SCRIPTS = Path(__file__).with_name("assets") / "scripts"
BEHAVIOURS = (
    "presenter.js",         # presenter mode: a class on the page's root that follows the checkbox
    "navigation.js",        # links between pages carry presenter mode and the theme
    "tour.js",              # the tour's keys, its links, the next stop prerendered, the stop's focus scrolled to
    "number_boxes.js",      # a typed value outside a slider's range is clamped, with a note, and Enter applies it
    "formulas.js",          # a display formula wider than its panel is shrunk to fit
    "figures.js",           # every figure: a text summary, the dark theme, its file name, titles that fit, one draw
    "error_notes.js",       # a refused input's message also shown beside the control that caused it
)


def page_script() -> str:
    blocks = [(SCRIPTS / name).read_text() for name in BEHAVIOURS]
    body = "\n".join("{ // " + name + "\n" + text + "}" for name, text in zip(BEHAVIOURS, blocks))
    return "() => {\n" + (SCRIPTS / "shared.js").read_text() + body + "\n}\n"
