"""SGD on real digits (knowledge map: Cost Function, SGD — Mini-batch): a model with two parameters tells an 8 from a
3, so its true cost C(w, b) can be drawn exactly, and full-batch gradient descent races mini-batch SGD on it."""
from functools import lru_cache

import gradio as gr

from components.card import LATEX
from components.errors import keeps_view
from components.formatting import percent
from components.landscape_figures import PathTrace, contour_map, cost_vs_examples
from components.checked_number import CheckedNumber
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.style import COLORS
from core.checks import whole
from core.landscape import MAX_STEPS, check_descent, check_start
from core.sgd import (B_RANGE, BATCH_SIZE, DIGITS, LEARNING_RATE, START, STEPS, W_RANGE, cost_surface, descend_data,
                      examples_to_reach, left_ink_data)
from explorers.learning.descent.toy import sig
from models.digits import load_digits_split

DATA_SURFACE = "digits-3-vs-8"   # the /descend name of the real two-parameter cost
MAX_SEED = 1_000_000             # the shuffle seed here, the direction seed of the network landscape
N_TRAIN_3_8 = 268                # the training 3s and 8s of the split in models/digits.py (a test checks it):
                                 # the batch slider's range, known before the data is loaded


@lru_cache(maxsize=1)
def digits_data():
    split = load_digits_split()
    return left_ink_data(split.x_train, split.y_train)


@lru_cache(maxsize=1)
def data_grid():
    return tuple(t.numpy() for t in cost_surface(digits_data()))                     # ws (73,), bs (61,), C (61, 73)


def data_paths(start_w, start_b, learning_rate, momentum, steps, batch_sizes, seed) -> list:
    """Checked inputs, then one (path, examples processed) per batch size, all from the same start and seed
    (core.sgd.descend_data checks each batch size)."""
    eta, mu, n = check_descent(learning_rate, momentum, steps)
    start = check_start(start_w, start_b, W_RANGE, B_RANGE, ("start w", "start b"))
    seed = whole("seed", seed, 0, MAX_SEED)
    return [descend_data(digits_data(), start, eta, mu, n, b, seed) for b in batch_sizes]


def measured_text(full, full_examples, mini, mini_examples, target: float) -> str:
    """How many examples each path processed before its true cost first reached target."""
    reached = [examples_to_reach(p.costs, e, target) for p, e in ((full, full_examples), (mini, mini_examples))]
    measured = " ".join(f"**{name}** reached C ≤ {target:.3f} after {r[0]:,} examples ({r[1]} steps)." if r else
                        f"**{name}** did not reach C ≤ {target:.3f} in {len(p.points) - 1} steps."
                        for name, r, p in (("Full-batch GD", reached[0], full), ("SGD", reached[1], mini)))
    if all(reached):
        measured += f" SGD needed **{reached[0][0] / max(reached[1][0], 1):.1f}×** fewer examples."
    return measured


def data_formula(full, n: int, batch: int) -> str:
    """C(w, b) at the start with its numbers, and what one SGD step costs against a full one."""
    w, b = full.points[0].tolist()
    return (rf"$$C(w, b) = \frac{{1}}{{N}}\sum_{{i=1}}^{{N}} \big(\sigma(w\,x_i + b) - y_i\big)^2 = "
            rf"\frac{{1}}{{{n}}}\sum_{{i=1}}^{{{n}}} \big(\sigma({sig(w)}\,x_i {'+' if b >= 0 else '−'} "
            rf"{sig(abs(b))}) - y_i\big)^2 = {sig(float(full.costs[0]))}$$" "\n\n"
            rf"$$\nabla C \approx \frac{{1}}{{B}} \sum_{{i \in \text{{batch}}}} \nabla L_i, \qquad "
            rf"\text{{one SGD step costs }} \frac{{B}}{{N}} = \frac{{{batch}}}{{{n}}} = {percent(batch / n)}"
            rf"\text{{ of a full step}}$$").replace("%", r"\%")


@keeps_view
def update_data(start_w, start_b, learning_rate, steps, batch_size, seed):
    n = len(digits_data().x)
    (full, full_examples), (mini, mini_examples) = data_paths(start_w, start_b, learning_rate, 0, steps,
                                                              [n, batch_size], seed)
    batch = int(batch_size)
    ws, bs, costs = data_grid()
    traces = [PathTrace(f"full-batch GD (all {n})", full.points.numpy(), full.costs.numpy(), COLORS[6]),
              PathTrace(f"mini-batch SGD (B = {batch})", mini.points.numpy(), mini.costs.numpy(), COLORS[4])]
    contour = contour_map(ws, bs, costs, "The true cost C(w, b) of the 3-vs-8 model", ("weight w", "bias b", "C"),
                          traces, equal_aspect=False)
    curves = cost_vs_examples([(traces[0].name, full_examples.numpy(), full.costs.numpy(), COLORS[6]),
                               (traces[1].name, mini_examples.numpy(), mini.costs.numpy(), COLORS[4])], n)
    target = float(costs.min() + 0.1 * (full.costs[0] - costs.min()))
    measured = measured_text(full, full_examples, mini, mini_examples, target)
    return data_formula(full, n, batch), contour, curves, measured


def build_sgd_part(tab: PanelFrame) -> tuple[dict, Fold]:
    """The digits cost, folded: its controls, the two paths and the cost-against-examples curves (drawn when
    unfolded); returns the link's controls and the fold."""
    with fold("A real cost on real digits: full-batch GD against mini-batch SGD", "descent-data") as part:
        controls, outputs = sgd_layout()
    gr.on([c.change for c in controls], update_data, inputs=controls, outputs=outputs, trigger_mode="always_last",
          api_visibility="undocumented", show_progress="hidden")
    drawn_when_unfolded(part, tab.opened, update_data, controls, outputs)
    return dict(zip(["w", "b", "eta2", "n2", "batch", "seed"], controls)), part


def sgd_layout() -> tuple[list, list]:
    """The part's controls and outputs, laid out."""
    gr.Markdown(f"A model with exactly two "
                f"parameters tells an **{DIGITS[1]}** from a **{DIGITS[0]}** by one number per image, x = how much "
                f"ink the left side has (standardized): a = σ(w·x + b). Its cost C averages L = (a − y)² over all "
                f"{N_TRAIN_3_8} training 3s and 8s, so the surface below is exact. SGD follows the "
                "gradient of a small random batch instead: a noisier path, but each step costs B/N of a full one.")
    formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"],
                          elem_id="descent-data-formula")
    with gr.Row():
        w0 = gr.Slider(*W_RANGE, START[0], step=0.1, label="start w", elem_id="descent-w")
        b0 = gr.Slider(*B_RANGE, START[1], step=0.1, label="start b", elem_id="descent-b")
        eta = gr.Slider(0.1, 10, LEARNING_RATE, step=0.1, label="learning rate η", elem_id="descent-data-eta")
    with gr.Row():
        steps = gr.Slider(1, MAX_STEPS, STEPS, step=1, label="steps", elem_id="descent-data-steps")
        batch = gr.Slider(1, N_TRAIN_3_8, BATCH_SIZE, step=1, label="batch size B (SGD)",
                          elem_id="descent-batch")
        seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="shuffle seed", elem_id="descent-seed")
    measured = gr.Markdown(elem_id="descent-measured")
    with gr.Row():
        contour = gr.Plot(label="both paths", elem_id="descent-data-contour")
        curves = gr.Plot(label="cost against examples", elem_id="descent-data-curves")
    return [w0, b0, eta, steps, batch, seed], [formula, contour, curves, measured]
