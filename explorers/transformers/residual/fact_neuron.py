"""The series' own fact neuron (knowledge map: MLP Block (Fact Storage): "IF context = 'Michael Jordan' THEN add
'basketball'"): one MLP neuron built by hand from named directions, an AND gate; and superposition, measured. The
part of Residual stream & facts folded before the real model's neurons, and its handlers."""
import gradio as gr
import torch

from components.card import LATEX
from components.errors import keeps_view
from components.fact_neuron_figures import and_gate_map, angle_histogram, fact_neuron_figure
from components.formatting import number, plus, significant
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from core.fact_neuron import (AMOUNT_RANGE, BIAS, BIAS_RANGE, CONFIDENCE, DIMENSION_RANGE, DIMENSIONS,
                              MAX_DIRECTIONS, NAMES, Firing, angle_density, directions_that_fit, fact_mlp, fire,
                              measure_overlap, read_map, stream, truth_table)

MAP_AMOUNTS = torch.linspace(*AMOUNT_RANGE, 81, dtype=torch.float64)     # the AND-gate map's grid, each axis
GPT3_DIMENSIONS = 12_288
NEARLY = 0.1                # |cos| ≤ 0.1: every angle between 84° and 96°
# label -> (Michael, Jordan, Phelps, bias), the order of the part's controls
SCENES = {
    "MLP Block · Michael Jordan: the neuron fires, basketball": [1.0, 1.0, 0.0, BIAS],
    "MLP Block · Michael Phelps: no Jordan, nothing written": [1.0, 0.0, 1.0, BIAS],
    "MLP Block · only Jordan: half the key is not enough": [0.0, 1.0, 0.0, BIAS],
    "MLP Block · bias 0: Michael Phelps plays basketball?!": [1.0, 0.0, 1.0, 0.0],
}


def neuron_formula(amounts: dict[str, float], bias: float, firing: Firing) -> str:
    """z, ReLU(z) and the read, with the sliders' numbers; and the verdict in words."""
    m, j = amounts["Michael"], amounts["Jordan"]
    swimming = float(firing.written[NAMES.index("swimming")])
    fires = number(firing.a) != number(0)                   # as shown: a z of 10⁻¹⁶ from rounding is 0.000, off
    verdict = (f"z > 0: the neuron **fires** and adds {number(firing.a, 2)} × basketball to the stream "
               f"(read {number(firing.read)})." if fires else
               f"z ≤ 0: ReLU keeps the neuron **off**, nothing is written (read {number(firing.read)}).")
    return (f"$$z = w_{{\\uparrow}}\\cdot x + b = (e_{{\\text{{Michael}}}} + e_{{\\text{{Jordan}}}})\\cdot x + b = "
            f"m + j + b = {number(m, 2)} {plus(j, 2)} {plus(bias, 2)} = {number(firing.z)}$$\n\n"
            f"$$a = \\text{{ReLU}}(z) = \\max(0,\\ {number(firing.z)}) = {number(firing.a)}$$\n\n"
            f"$$\\text{{read}} = \\text{{out}}\\cdot e_{{\\text{{basketball}}}} = a\\,(w_{{\\downarrow}}\\cdot "
            f"e_{{\\text{{basketball}}}}) = {number(firing.a)} \\times 1 = {number(firing.read)}, \\qquad "
            f"\\text{{out}}\\cdot e_{{\\text{{swimming}}}} = {number(swimming)}$$\n\n"
            f"Michael {number(m, 2)}, Jordan {number(j, 2)}, Phelps {number(amounts['Phelps'], 2)} (Phelps is "
            f"perpendicular to the key: it adds nothing to z). {verdict}")


def neuron_view(michael, jordan, phelps, bias):
    """The formula, the neuron as the vector flows through it, and the AND-gate map, for the sliders."""
    mlp = fact_mlp(bias)
    amounts = {"Michael": michael, "Jordan": jordan, "Phelps": phelps}
    firing = fire(mlp, stream(mlp, amounts))                 # stream() checks each amount
    amounts = {name: float(value) for name, value in amounts.items()}
    figure = fact_neuron_figure(list(NAMES), firing.on_names.numpy(), firing.z, firing.a, firing.written.numpy())
    gate = and_gate_map(MAP_AMOUNTS.numpy(), read_map(mlp, MAP_AMOUNTS).numpy(), truth_table(mlp),
                        (amounts["Michael"], amounts["Jordan"]))
    return neuron_formula(amounts, mlp.bias, firing), figure, gate


def superposition_view(n, d):
    """What was measured against what is expected, and the histogram of the angles."""
    overlap = measure_overlap(n, d)
    edges = overlap.angle_edges
    expected = angle_density((edges[:-1] + edges[1:]) / 2, overlap.d)
    widest = torch.rad2deg(torch.arccos(torch.tensor(overlap.max_abs_cos))).item()
    pairs = overlap.n * (overlap.n - 1) // 2
    fit = directions_that_fit(GPT3_DIMENSIONS, NEARLY)
    note = (f"Exactly perpendicular, {overlap.d} dimensions hold at most {overlap.d} directions; here are "
            f"{overlap.n:,} random ones, {pairs:,} pairs:\n\n"
            f"- mean |cos| **{overlap.mean_abs_cos:.4f}**, expected "
            f"$\\frac{{\\Gamma(d/2)}}{{\\sqrt{{\\pi}}\\,\\Gamma((d+1)/2)}} \\approx \\sqrt{{2/(\\pi d)}}$ = "
            f"{overlap.expected_mean:.4f}\n"
            f"- largest |cos| **{overlap.max_abs_cos:.3f}** (every angle between {widest:.0f}° and "
            f"{180 - widest:.0f}°), under the Johnson–Lindenstrauss bound $\\sqrt{{2\\ln(2P/\\delta)/d}}$ = "
            f"{overlap.max_bound:.3f} (P pairs; with probability 1 − δ = {CONFIDENCE:.0%} no pair exceeds it)\n"
            f"- the same bound fits about ${significant(fit)}$ random directions in the series' "
            f"{GPT3_DIMENSIONS:,} dimensions with every angle between 84° and 96° (|cos| ≤ {NEARLY}): room for "
            "far more features than dimensions.")
    figure = angle_histogram(edges.numpy(), overlap.angle_counts.numpy(), expected.numpy(), overlap.n, overlap.d)
    return note, figure


@keeps_view
def show_neuron(michael, jordan, phelps, bias):
    return neuron_view(michael, jordan, phelps, bias)


@keeps_view
def show_superposition(n, d):
    return superposition_view(n, d)


@keeps_view
def show_part(michael, jordan, phelps, bias, n, d):
    """The whole part, when it is first unfolded (or opens unfolded from a link)."""
    return *neuron_view(michael, jordan, phelps, bias), *superposition_view(n, d)


def neuron_layout() -> tuple[list, list]:
    gr.Markdown(f"The series' picture of one MLP neuron, built by hand. The stream here has {DIMENSIONS} "
                f"dimensions and five named, mutually perpendicular directions ({', '.join(NAMES)}), so each slider "
                "is exactly how much of a name the vector holds. The neuron's key (its row of W↑) is e_Michael + "
                "e_Jordan: its dot product with the stream adds the two amounts, and the bias −1 lets only both "
                "names together through; ReLU keeps it silent otherwise. Its value (its column of W↓) is "
                "e_basketball: when it fires, 'basketball' is *added* to the stream, next to Michael and Jordan.")
    formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="residual-fact-formula")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            michael = gr.Slider(*AMOUNT_RANGE, 1.0, step=0.05, label="Michael (m): how much is in the stream",
                                elem_id="residual-michael")
            jordan = gr.Slider(*AMOUNT_RANGE, 1.0, step=0.05, label="Jordan (j)", elem_id="residual-jordan")
            phelps = gr.Slider(*AMOUNT_RANGE, 0.0, step=0.05, label="Phelps", elem_id="residual-phelps")
            bias = gr.Slider(*BIAS_RANGE, BIAS, step=0.05, label="bias b (the threshold)", elem_id="residual-bias")
            controls = [michael, jordan, phelps, bias]
            scenes(controls, SCENES, elem_id="residual-fact-scenes")
        gate = gr.Plot(label="the AND gate", elem_id="residual-fact-gate")
    figure = gr.Plot(label="the neuron, as the vector flows through it", elem_id="residual-fact-neuron")
    return controls, [formula, figure, gate]


def superposition_layout() -> tuple[list, list]:
    gr.Markdown("#### Superposition: many more directions than dimensions\n\nThe toy gives each name a perpendicular "
                "direction of its own, so its 8 dimensions hold at most 8 names. A real model needs far more "
                "features than it has dimensions, and in many dimensions random directions are already *nearly* "
                "perpendicular: measure how near.")
    with gr.Row():
        n = gr.Slider(10, MAX_DIRECTIONS, 1000, step=10, label="directions n", elem_id="residual-directions")
        d = gr.Slider(*DIMENSION_RANGE, 100, step=1, label="dimensions d", elem_id="residual-dimensions")
    note = gr.Markdown(latex_delimiters=LATEX, elem_id="residual-superposition-note")
    angles = gr.Plot(label="angles between the directions", elem_id="residual-superposition")
    return [n, d], [note, angles]


def build_fact_neuron_part(tab: PanelFrame) -> tuple[dict, Fold]:
    """The toy neuron and superposition, folded (drawn when unfolded); returns the link's controls and the fold."""
    with fold("The series' own fact neuron: Michael AND Jordan → basketball, built by hand", "residual-fact") as part:
        neuron_controls, neuron_outputs = neuron_layout()
        overlap_controls, overlap_outputs = superposition_layout()
    events = dict(trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden")
    gr.on([c.change for c in neuron_controls], show_neuron, inputs=neuron_controls, outputs=neuron_outputs, **events)
    gr.on([c.release for c in overlap_controls], show_superposition, inputs=overlap_controls, outputs=overlap_outputs,
          **events)
    drawn_when_unfolded(part, tab.opened, show_part, neuron_controls + overlap_controls,
                        neuron_outputs + overlap_outputs)
    return dict(zip(["michael", "jordan", "phelps", "bias", "n", "d"], neuron_controls + overlap_controls)), part
