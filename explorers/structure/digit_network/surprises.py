"""Two surprises of the series, measured on the trained network, and a break-it row (knowledge map: Layers, Weights &
Bias): pure noise gets a confident answer; the first layer's weight images look like no digit; dropping the biases,
noise on the weights or a zeroed layer, and the held-out accuracy before and after. Folded: drawn when unfolded."""
import gradio as gr
import numpy as np
import torch

from components.card import LATEX
from components.checked_number import CheckedNumber
from components.digit_learning_figures import accuracy_against_noise, correlation_map, mean_digits, \
    top_output_histograms
from components.errors import keeps_view
from components.formatting import number
from components.network_figures import digit_image, output_bars
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from core.checks import MAX_SEED
from core.mlp import accuracy, forward, init_params
from core.mlp_probes import (MAX_WEIGHT_NOISE, N_LAYERS, broken, correlations, mean_digit_images, noise_images,
                             top_outputs, weight_noise)
from explorers.structure.digit_network.training import digits_split
from models.digit_network import load_digit_network

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
N_NOISE = 1_000               # noise pictures measured; the first is the one shown
SURE = 0.5                    # a largest output above this counts as a confident answer
SIGMAS = np.linspace(0, MAX_WEIGHT_NOISE, 31)    # the accuracy curve's σ values
ZERO_CHOICES = [("none", 0), ("layer 1", 1), ("layer 2", 2), ("layer 3", 3)]
# label -> (drop the biases, σ, layer to zero)
SCENES = {
    "Weights & Bias · drop every bias: does it care?": [True, 0.0, 0],
    "Weights & Bias · noise σ = 0.5 on every weight": [False, 0.5, 0],
    "Layers · zero layer 2: one answer for every digit": [False, 0.0, 2],
}


def noise_view(activation: str, seed) -> tuple:
    """The first noise picture and its outputs, the largest outputs of N_NOISE of them against the held-out digits',
    and the measured shares in words."""
    params, split = load_digit_network(activation).params, digits_split()
    images = noise_images(N_NOISE, seed)                                                  # (N_NOISE, 64)
    noise_top, _ = top_outputs(params, images, activation)
    digit_top, _ = top_outputs(params, split.x_test, activation)
    with torch.no_grad():
        outputs = forward(params, images[0], activation)[-1].numpy()                       # (10,)
    answer = int(np.argmax(outputs))
    share, digit_share = float((noise_top > SURE).double().mean()), float((digit_top > SURE).double().mean())
    median, digit_median = float(noise_top.quantile(0.5)), float(digit_top.quantile(0.5))
    a = f"a{str(answer).translate(SUBSCRIPT)}"
    text = (f"**Pure noise, read as a {answer}: {a} = {outputs[answer]:.2f}.** Over {N_NOISE:,} noise pictures "
            f"(seed {int(seed)}), **{share:.0%}** get a largest output above {SURE} (median {median:.2f}); of the "
            f"{len(digit_top)} held-out digits, {digit_share:.0%} do (median {digit_median:.3f}). Each output "
            "aⱼ = σ(zⱼ) says how sure the network is that the picture is a j. It was only ever shown digits: "
            "nothing taught it to say *none of these*.")
    return (text, digit_image(images[0].numpy(), "pure noise, 8x8"),
            output_bars(outputs, None, f"Its outputs: a {answer}, {a} = {outputs[answer]:.2f}"),
            top_output_histograms(noise_top.numpy(), digit_top.numpy(), SURE,
                                  "The largest output: on noise and on digits"))


def templates_view(activation: str, seed) -> tuple:
    """Every first-layer weight image against the ten mean digits (Pearson r), with two references: random
    starting weights (from seed) and the held-out digits against their own digit's mean."""
    split = digits_split()
    means = mean_digit_images(split.x_train, split.y_train)                               # (10, 64)
    r = correlations(load_digit_network(activation).params["W1"], means)                  # (16, 10)
    best = r.abs().max(dim=1).values                                                      # (16,)
    chance = correlations(init_params(int(seed))["W1"], means).abs().max(dim=1).values
    own = correlations(split.x_test, means)[torch.arange(len(split.y_test)), split.y_test]  # (450,) r with own mean
    looks = "look like none of the digits" if float(best.max()) < 0.5 else "mostly look like no digit"
    text = (f"Each of the 16 weight images of the first layer (the tiles above) against the ten mean digits: a "
            f"neuron's best |r| is {float(best.min()):.2f} to {float(best.max()):.2f} (median "
            f"{float(best.quantile(0.5)):.2f}). Random starting weights reach a median "
            f"{float(chance.quantile(0.5)):.2f} by chance alone (seed {int(seed)}), and a held-out digit against its "
            f"own digit's mean reaches {float(own.quantile(0.5)):.2f}. A neuron that looked for a loop or a bar of "
            f"some digit would follow that digit's ink; these {looks}: only a little closer to one than random "
            "weights, far from a digit's closeness to its mean. As in the series, the hidden units keep whatever "
            "features lowered C, not the tidy edges and strokes one hoped for.")
    return (text, correlation_map(r.numpy(), "r of each neuron's weights with each mean digit"),
            mean_digits(means.numpy(), "What the digits' ink looks like: each digit's mean"))


def broken_view(activation: str, seed, drop_biases, sigma, zero_layer) -> tuple:
    """The break-it formula with the weights' own sizes, the accuracy before and after in words, and the accuracy
    against σ (the same ε scaled, the same biases and zeroed layer)."""
    params, split = load_digit_network(activation).params, digits_split()
    noise = weight_noise(params, seed)
    after_params = broken(params, bool(drop_biases), sigma, zero_layer, noise)
    intact = accuracy(params, split.x_test, split.y_test, activation)
    after = accuracy(after_params, split.x_test, split.y_test, activation)
    curve = [accuracy(broken(params, bool(drop_biases), s, zero_layer, noise), split.x_test, split.y_test,
                      activation) for s in SIGMAS]
    sizes = ", ".join(number(float(params[f"W{l}"].pow(2).mean().sqrt()), 2) for l in range(1, N_LAYERS + 1))
    changes = [rf"W \leftarrow W + \sigma\,\varepsilon,\ \ \varepsilon_{{jk}} \sim \mathcal{{N}}(0, 1),\ \ "
               rf"\sigma = {float(sigma):g} \quad \text{{(the weights' own sizes, RMS of }} W^{{(1)}}, W^{{(2)}}, "
               rf"W^{{(3)}}\text{{: {sizes})}}"]
    if drop_biases:
        changes.append(r"b^{(1)} = b^{(2)} = b^{(3)} = 0")
    if int(zero_layer):
        changes.append(rf"W^{{({int(zero_layer)})}} = 0,\ b^{{({int(zero_layer)})}} = 0 \quad \text{{(every digit "
                       rf"reaches layer {int(zero_layer)} as the same }} f(0)\text{{: one answer for all)}}")
    formula = "\n\n".join(f"$${change}$$" for change in changes)
    moved = after - intact
    verdict = "unchanged" if abs(moved) < 0.0005 else \
        f"{'rose' if moved > 0 else 'fell'} by {100 * abs(moved):.1f} points"
    text = (f"Held-out accuracy: intact **{intact:.1%}** → broken **{after:.1%}** ({verdict}, on the "
            f"{len(split.y_test)} digits it never saw).")
    return (formula, text, accuracy_against_noise(SIGMAS, np.array(curve), float(sigma), after, intact,
                                                 "Held-out accuracy as the weights get noisier"))


@keeps_view
def show_surprises(activation, seed, drop_biases, sigma, zero_layer):
    """The whole part: the noise surprise, the weight images against the digits, and the broken network."""
    return (*noise_view(activation, seed), *templates_view(activation, seed),
            *broken_view(activation, seed, drop_biases, sigma, zero_layer))


@keeps_view
def show_broken(activation, seed, drop_biases, sigma, zero_layer):
    return broken_view(activation, seed, drop_biases, sigma, zero_layer)


def redraw_if_unfolded(unfolded, *values):
    """The panel's activation changed: redraw the part if it is drawn, else wait for the unfolding."""
    return show_surprises(*values) if unfolded else gr.skip()


def build_surprises_part(tab: PanelFrame, activation: gr.Radio) -> tuple[dict, Fold]:
    """The folded part, on the network the panel's activation picks; returns the link's controls and the fold."""
    with fold("Two surprises, and break it: pure noise, the weight images, a broken network",
              "digit-network-surprises") as part:
        controls, noise_outputs, break_outputs = surprises_layout()
    inputs = [activation, *controls.values()]
    outputs = noise_outputs + break_outputs
    settings = dict(api_visibility="undocumented", show_progress="hidden")
    drawn_when_unfolded(part, tab.opened, show_surprises, inputs, outputs)
    gr.on([activation.change, controls["noise_seed"].change], redraw_if_unfolded, [part.unfolded, *inputs], outputs,
          trigger_mode="always_last", **settings)
    gr.on([controls[name].change for name in ("nobias", "sigma", "zero")], show_broken, inputs, break_outputs,
          trigger_mode="always_last", **settings)
    return controls, part


def surprises_layout() -> tuple[dict, list, list]:
    """The part's controls (by link name) and its outputs: the two surprises', the break-it row's."""
    seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed (the noise pictures and ε)",
                         elem_id="digit-network-noise-seed")
    gr.Markdown("### 1. A picture of pure noise gets a confident answer")
    noise_text = gr.Markdown(elem_id="digit-network-noise")
    with gr.Row():
        image = gr.Plot(label="noise", elem_id="digit-network-noise-image")
        bars = gr.Plot(label="its outputs", elem_id="digit-network-noise-outputs")
        spread = gr.Plot(label="noise against digits", elem_id="digit-network-noise-spread")
    gr.Markdown("### 2. The hidden units' weight images look nothing like strokes")
    templates_text = gr.Markdown(elem_id="digit-network-templates")
    with gr.Row():
        r_map = gr.Plot(label="correlations", elem_id="digit-network-correlations")
        means = gr.Plot(label="mean digits", elem_id="digit-network-means")
    gr.Markdown("### Break it")
    formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="digit-network-break-formula")
    with gr.Row():
        drop = gr.Checkbox(False, label="drop the biases (b = 0)", elem_id="digit-network-nobias")
        sigma = gr.Slider(0, MAX_WEIGHT_NOISE, 0, step=0.05, label="noise σ on every weight",
                          elem_id="digit-network-sigma")
        zero = gr.Radio(ZERO_CHOICES, value=0, label="zero a layer (W and b)", elem_id="digit-network-zero")
    break_text = gr.Markdown(elem_id="digit-network-break")
    curve = gr.Plot(label="accuracy against σ", elem_id="digit-network-break-curve")
    scenes([drop, sigma, zero], SCENES, elem_id="digit-network-break-scenes")
    controls = {"noise_seed": seed, "nobias": drop, "sigma": sigma, "zero": zero}
    return controls, [noise_text, image, bars, spread, templates_text, r_map, means], [formula, break_text, curve]
