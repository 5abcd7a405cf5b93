"""Arithmetic in the shared space, the echo of king − man + woman: two held-out scenes that differ in one attribute
(a red seven and a blue seven), the difference of their unit image embeddings averaged over K renderings,
d = I_a/‖I_a‖ − I_b/‖I_b‖, and every caption word ranked by cos(T_word, d): the two words the scenes differ in
should sit at the two ends (measured: tests/explorers/test_clip.py)."""
import gradio as gr
import numpy as np
import torch

from components.card import LATEX
from components.checked_number import CheckedNumber
from components.clip_figures import word_bars
from components.diffusion_figures import colour_grid
from components.errors import keeps_view
from components.events import bind
from components.formatting import number
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from core.checks import MAX_SEED, quote, whole
from core.clip import checked_word, unit, unit_difference, words_along
from models.scene_clip import app_scene_clip
from models.scenes import COLOURS, DIGITS, SIZES, WORDS, Scene, Thing, describe, render, samples_of
from models.settings import Settings

RENDERINGS, MAX_RENDERINGS = 8, 16       # K renderings of each scene averaged into d, by default and at most
SHOWN = 5                                # words drawn at each end of the ranking
VOCABULARY = list(dict.fromkeys(WORDS))  # the 28 caption words: one token each in the scenes' tokenizer
PICTURES = 4                             # renderings drawn of each scene (large enough to see on a phone)
SCENES = {                               # presets: label -> [digit a, colour a, digit b, colour b, seed, K, word]
    "CLIP · a red seven − a blue seven: red leads, blue trails": ["seven", "red", "seven", "blue", 0, 8, ""],
    "CLIP · a seven − a one, both red: where do the digits rank?": ["seven", "red", "one", "red", 0, 8, "seven"],
}


def chosen(name: str, value, options) -> str:
    if value not in options:
        raise ValueError(f"Unknown {name} {quote(value)}; choose one of {', '.join(options)}.")
    return value


def lone_digit(digit, colour) -> Thing:
    """A scene's lone digit by its words ("seven", "red"); its sample and size are set per rendering."""
    return Thing(DIGITS.index(chosen("digit", digit, DIGITS)), chosen("colour", colour, list(COLOURS)), "medium",
                 "centre", 0)


def scene_pair(digit_a, colour_a, digit_b, colour_b) -> tuple[Thing, Thing]:
    """Scene a's and scene b's lone digit, or a ValueError when they are the same."""
    a, b = lone_digit(digit_a, colour_a), lone_digit(digit_b, colour_b)
    if a == b:
        raise ValueError(f"Scene a and scene b are both {quote(describe(a, False))}: their difference is zero. "
                         "Change scene b's colour or its digit.")
    return a, b


def paired_things(a: Thing, b: Thing, seed: int, k: int) -> list[tuple[Thing, Thing, int]]:
    """K pairs of held-out digits to draw, each with the seed of its placement: the two of a pair share their size,
    their place and (for the same digit) their handwritten image, so that d keeps only what the scenes differ in."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(k):
        pick, size, place = rng.random(), str(rng.choice(list(SIZES))), int(rng.integers(MAX_SEED))
        drawn = []
        for thing in (a, b):
            bank = samples_of("test")[thing.digit]                    # digit images no model was trained on
            drawn.append(Thing(thing.digit, thing.colour, size, "centre", bank[int(pick * len(bank))]))
        pairs.append((*drawn, place))
    return pairs


def paired_renderings(a: Thing, b: Thing, seed: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """K held-out renderings of each lone digit on black: (K, 3, 64, 64) for scene a, the same for scene b."""
    pairs = paired_things(a, b, seed, k)
    scene_a = [render(Scene((thing,), "black", ""), np.random.default_rng(place)) for thing, _, place in pairs]
    scene_b = [render(Scene((thing,), "black", ""), np.random.default_rng(place)) for _, thing, place in pairs]
    return tuple(torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).copy()) for images in (scene_a, scene_b))


def differing_words(a: Thing, b: Thing) -> tuple[list[str], list[str]]:
    """The words of scene a's caption that scene b's lacks, and the other way round."""
    words_a, words_b = describe(a, False).split()[1:], describe(b, False).split()[1:]
    return [w for w in words_a if w not in words_b], [w for w in words_b if w not in words_a]


def arithmetic_formula(ranking, ends: tuple[str, str], k: int, length: float, caption_cosine: float,
                       captions: tuple[str, str]) -> str:
    """d, the cosine of scene a's word with d written out, scene b's word's, and the captions' own difference's."""
    (top, bottom), v = ends, len(ranking.words)
    t_top, t_a, t_b = (f"T_{{\\text{{{text}}}}}" for text in (top, *captions))
    return (f"$$d = \\frac1K\\sum_{{k=1}}^{{K}}\\Big(\\frac{{I_a^k}}{{\\lVert I_a^k\\rVert}} - "
            f"\\frac{{I_b^k}}{{\\lVert I_b^k\\rVert}}\\Big),\\quad K = {k},\\quad "
            f"\\lVert d\\rVert = {number(length, 2)}$$\n\n"
            f"$$\\cos({t_top}, d) = \\frac{{{t_top}\\cdot d}}{{\\lVert {t_top}\\rVert\\,\\lVert d\\rVert}} = "
            f"{number(ranking.cosine(top), 2)}\\ \\ (\\text{{rank {ranking.rank(top)} of {v}}})$$\n\n"
            f"$$\\cos(T_{{\\text{{{bottom}}}}}, d) = {number(ranking.cosine(bottom), 2)}"
            f"\\ \\ (\\text{{rank {ranking.rank(bottom)} of {v}}})$$\n\n"
            f"$$\\cos\\Big(\\frac{{{t_a}}}{{\\lVert {t_a}\\rVert}} - \\frac{{{t_b}}}{{\\lVert {t_b}\\rVert}},"
            f"\\ d\\Big) = {number(caption_cosine, 2)}$$")


def shown_ranks(ranking, looked_up: str | None) -> list[int]:
    """The SHOWN first and last ranks, and the looked-up word's wherever it is (ascending)."""
    v = len(ranking.words)
    ranks = set(range(1, SHOWN + 1)) | set(range(v - SHOWN + 1, v + 1))
    return sorted(ranks | ({ranking.rank(looked_up)} if looked_up else set()))


def arithmetic_note(ranking, changed: tuple[list[str], list[str]], k: int, seed: int, caption_cosine: float,
                    looked_up: str | None) -> str:
    v = len(ranking.words)
    said = "; ".join(f"**{w}** ranks {ranking.rank(w)} of {v} (cos {number(ranking.cosine(w), 2)})"
                     for w in dict.fromkeys(changed[0] + changed[1] + ([looked_up] if looked_up else [])))
    at_ends = all(ranking.rank(w) <= 2 for w in changed[0]) and all(ranking.rank(w) >= v - 1 for w in changed[1])
    verdict = ("The difference of the two pictures points from scene b's word to scene a's, as king − man + woman "
               "lands near queen." if at_ends else
               "The words the scenes differ in are not both at the ends here: in this small CLIP a lone word's "
               "direction is clearer for a colour than for a digit's shape (a lone word was never a caption in "
               "its training).")
    return (f"d averages **K = {k}** pairs of held-out renderings (handwritten digits no model trained on; seed "
            f"{seed}; each pair shares its size, place and, for one digit, its handwriting). Of the {v} caption "
            f"words, {said}. {verdict} The two captions' own difference (the last line) has cos "
            f"{number(caption_cosine, 2)} with d: the image side and the text side of the space "
            + ("agree." if caption_cosine >= 0.5 else "barely agree here."))


@keeps_view
def show_arithmetic(settings: Settings, digit_a, colour_a, digit_b, colour_b, seed, renderings, word):
    """The two scenes' renderings, the formula with the live numbers, the words ranked along d, and what it says."""
    a, b = scene_pair(digit_a, colour_a, digit_b, colour_b)
    seed, k = whole("seed", seed, 0, MAX_SEED), whole("renderings K", renderings, 1, MAX_RENDERINGS)
    looked_up = checked_word(word, VOCABULARY) if str(word or "").strip() else None
    clip = app_scene_clip(settings)
    images_a, images_b = paired_renderings(a, b, seed, k)                               # (K, 3, 64, 64) each
    d = unit_difference(clip.image_embeddings(images_a), clip.image_embeddings(images_b))   # (D,)
    ranking = words_along(VOCABULARY, clip.text_embeddings(VOCABULARY), d)
    captions = (describe(a, False), describe(b, False))
    t_a, t_b = unit(clip.text_embeddings(list(captions)))                              # (D,) each
    caption_cosine = float(unit(t_a - t_b) @ unit(d))
    changed = differing_words(a, b)
    ranks = shown_ranks(ranking, looked_up)
    bars = word_bars([ranking.words[r - 1] for r in ranks], [float(ranking.cosines[r - 1]) for r in ranks], ranks,
                     len(VOCABULARY), changed[0] + changed[1] + ([looked_up] if looked_up else []),
                     f"Words along d = '{captions[0]}' − '{captions[1]}'")
    shown = min(k, PICTURES)
    pictures = torch.stack([images_a[:shown], images_b[:shown]]).permute(0, 1, 3, 4, 2).numpy()  # (2, n, 64, 64, 3)
    grid = colour_grid(pictures, [""] * shown, [f"a: {captions[0]}", f"b: {captions[1]}"],
                       f"{shown} of the {k} held-out renderings of each scene", height=340)
    formula = arithmetic_formula(ranking, (changed[0][0], changed[1][0]), k, float(d.norm()), caption_cosine,
                                 captions)
    return formula, grid, bars, arithmetic_note(ranking, changed, k, seed, caption_cosine, looked_up)


def build_arithmetic_part(settings: Settings, tab: PanelFrame) -> tuple[dict, Fold]:
    """The arithmetic, folded (drawn when unfolded or linked); returns the link's controls and the fold."""
    with fold("Arithmetic in the shared space: a red seven − a blue seven", "clip-arithmetic") as part:
        gr.Markdown("Words have arithmetic (king − man + woman ≈ queen); so does CLIP's shared space. Take two scenes "
                    "that differ in one word, subtract their unit image embeddings, and ask which caption word's "
                    "text embedding points the same way. The words are the text encoder run on each of the 28 words "
                    "of the captions alone; the scenes are drawn from held-out handwriting.")
        with gr.Row():
            digit_a = gr.Dropdown(list(DIGITS), value="seven", label="scene a: digit", elem_id="clip-a-digit")
            colour_a = gr.Dropdown(list(COLOURS), value="red", label="scene a: colour", elem_id="clip-a-colour")
            digit_b = gr.Dropdown(list(DIGITS), value="seven", label="scene b: digit", elem_id="clip-b-digit")
            colour_b = gr.Dropdown(list(COLOURS), value="blue", label="scene b: colour", elem_id="clip-b-colour")
        with gr.Row():
            seed = CheckedNumber(0, label="seed (which renderings)", precision=0, minimum=0, maximum=MAX_SEED,
                                 elem_id="clip-arithmetic-seed")
            renderings = gr.Slider(1, MAX_RENDERINGS, RENDERINGS, step=1, label="renderings K averaged",
                                   elem_id="clip-arithmetic-k")
            word = gr.Textbox("", label="where does this word rank? (optional)", placeholder="e.g. large",
                              elem_id="clip-arithmetic-word")
        formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="clip-arithmetic-formula")
        note = gr.Markdown(elem_id="clip-arithmetic-note")
        with gr.Row():
            pictures = gr.Plot(label="the two scenes", elem_id="clip-arithmetic-pictures", scale=2)
            bars = gr.Plot(label="words along d", elem_id="clip-arithmetic-bars", scale=3)
        controls = [digit_a, colour_a, digit_b, colour_b, seed, renderings, word]
        scenes(controls, SCENES, elem_id="clip-arithmetic-scenes")
    outputs = [formula, pictures, bars, note]
    gr.on([c.change for c in controls[:-1]] + [word.submit, word.blur], bind(show_arithmetic, settings),
          inputs=controls, outputs=outputs, api_visibility="undocumented", trigger_mode="always_last")
    drawn_when_unfolded(part, tab.opened, bind(show_arithmetic, settings), controls, outputs)
    return dict(zip(["a_digit", "a_colour", "b_digit", "b_colour", "arithmetic_seed", "K", "word"], controls)), part

