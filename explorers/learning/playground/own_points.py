"""Your own points: the learner clicks the plane (or uploads a CSV of x, y, label) and trains on those points, the
data set OWN. The points live in the browser session's state."""
import gradio as gr
import numpy as np

from components import playground_figures as figures
from components.errors import keeps_view
from core.checks import whole
from core.playground_data import EXTENT, MAX_POINTS, read_csv
from explorers.learning.playground.handlers import OWN, reset


def points_from_csv(path) -> list[list[float]]:
    """An uploaded CSV as the learner's points [[x, y, label], ...] (read at most a little over the byte cap)."""
    if not path:
        raise ValueError("No file was uploaded.")
    with open(path, "rb") as file:
        data = file.read(300_000)
    points, labels = read_csv(data)
    return [[float(x), float(y), int(k)] for (x, y), k in zip(points.tolist(), labels.tolist())]


def own_points_note(points: list) -> str:
    counts = np.bincount([int(p[2]) for p in points], minlength=3) if points else np.zeros(3, dtype=int)
    named = ", ".join(f"{c} of class {k}" for k, c in enumerate(counts) if c)
    return (f"**{len(points)} points** ({named or 'none yet'}). They stay in this browser tab: a link to this view "
            "does not carry them (share them as a CSV of x, y, label).")


def own_points_view(points: list) -> tuple:
    return points, figures.points_canvas(points, EXTENT), own_points_note(points)


@keeps_view
def add_point(points: list, label, event: gr.SelectData) -> tuple:
    """A click on the canvas adds a point of the chosen class there (at most MAX_POINTS)."""
    if len(points) >= MAX_POINTS:
        raise ValueError(f"At most {MAX_POINTS:,} points; undo or clear some first.")
    x, y = figures.canvas_to_plane(*event.index[:2], EXTENT)
    return own_points_view([*points, [round(x, 2), round(y, 2), whole("class", label, 0, 2)]])


@keeps_view
def undo_point(points: list) -> tuple:
    return own_points_view(points[:-1])


@keeps_view
def clear_points(points: list) -> tuple:
    return own_points_view([])


@keeps_view
def upload_points(path) -> tuple:
    """A CSV replaces the points, and the network starts on them (the data set switches to OWN)."""
    return (*own_points_view(points_from_csv(path)), OWN)


def use_points() -> str:
    return OWN




def build_own_points(own, dataset, reset_inputs, reset_outputs) -> None:
    """The folded part under the controls; `own` holds the points, `dataset` switches to OWN to train on them."""
    with gr.Accordion("Your own points: click the plane, or upload a CSV (x, y, label)", open=False):
        with gr.Row():
            canvas = gr.Image(own_points_view([])[1], label=f"click to add a point ([−{EXTENT:g}, "
                              f"{EXTENT:g}]², x to the right, y up)", interactive=False, elem_id="playground-canvas",
                              height=360, width=360, buttons=[])
            with gr.Column():
                label = gr.Radio([("orange (0)", 0), ("blue (1)", 1), ("green (2)", 2)], value=0,
                                 label="class of the next point", elem_id="playground-class")
                note = gr.Markdown(own_points_note([]), elem_id="playground-own-note")
                with gr.Row():
                    undo = gr.Button("Undo last point", size="sm")
                    clear = gr.Button("Clear", size="sm")
                use = gr.Button("Train on these points", variant="primary", elem_id="playground-use")
                upload = gr.File(label="or upload a CSV (at most 2,000 rows)", file_types=[".csv", ".txt"],
                                 elem_id="playground-csv")
    shown = [own, canvas, note]
    canvas.select(add_point, [own, label], shown, api_visibility="undocumented")
    undo.click(undo_point, own, shown, api_visibility="undocumented")
    clear.click(clear_points, own, shown, api_visibility="undocumented")
    upload.upload(upload_points, upload, [*shown, dataset], api_visibility="undocumented")
    use.click(use_points, None, dataset, api_visibility="undocumented", queue=False).then(
        reset, reset_inputs, reset_outputs, api_visibility="undocumented")
