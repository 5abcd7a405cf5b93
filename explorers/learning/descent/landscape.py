"""The loss landscape of a real network (knowledge map: Cost Function): the trained 64-16-16-10 digit network's cost
on a 2-D slice through its weights, along two filter-normalized random directions."""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import LATEX
from components.errors import keeps_view, user_errors
from components.landscape_figures import contour_map, surface_3d
from components.checked_number import CheckedNumber
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from core.checks import whole
from core.loss_landscape import axis, check_grid, landscape_grid, random_directions
from core.mlp import HIDDEN_ACTIVATIONS, N_PARAMETERS
from explorers.learning.descent.sgd import MAX_SEED
from models.digit_network import load_digit_network
from models.digits import load_digits_split
from server.gpu import gpu
from server.queue import HEAVY


@lru_cache(maxsize=1)
def training_tensors():
    split = load_digits_split()
    return torch.tensor(split.x_train), torch.tensor(split.y_train)                  # (1347, 64), (1347,)


def network_landscape(grid_size, extent, activation, seed):
    """Checked inputs (before any work), then the grid of C around the trained weights: alphas (n,), C (n, n)."""
    n, r = check_grid(grid_size, extent)
    seed = whole("seed", seed, 0, MAX_SEED)
    params = load_digit_network(activation).params
    x, y = training_tensors()
    d1, d2 = random_directions(params, seed)
    alphas = axis(n, r)
    costs = landscape_grid(params, d1, d2, x, y, activation, alphas, alphas)          # (n, n): rows beta, cols alpha
    return alphas.numpy(), costs.numpy().astype(np.float64)


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def update_network(activation, grid_size, extent, seed):
    alphas, costs = network_landscape(grid_size, extent, activation, seed)
    centre = float(costs[len(alphas) // 2, len(alphas) // 2])
    names = ("α (direction 1)", "β (direction 2)", "cost C")
    marker = (0.0, 0.0)
    surface_figure = surface_3d(alphas, alphas, costs, "C(θ* + α d₁ + β d₂) of the digit network", names,
                                marker=(*marker, centre))
    contour = contour_map(alphas, alphas, costs, "The same slice from above (● the trained weights θ*)", names,
                          marker=marker)
    n_params = sum(p.numel() for p in load_digit_network(activation).params.values())
    r = float(alphas[-1])
    return surface_figure, contour, (
        rf"$$C(\theta^* + \alpha d_1 + \beta d_2):\quad C(\theta^*) = {centre:.4f}, \qquad "
        rf"C(\theta^* + {r:g}\, d_1 + {r:g}\, d_2) = {costs[-1, -1]:.4f}$$" "\n\n"
        f"At the trained weights (the centre) the cost on the {len(training_tensors()[0]):,} training digits is "
        f"**{centre:.4f}**; on this slice it goes up to {costs.max():.3f}. {len(alphas) ** 2:,} networks evaluated "
        f"in one batched pass. *Caveat: this is a 2-D slice through a {n_params:,}-dimensional landscape along two "
        f"random directions; another seed gives another slice.*")


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def landscape_endpoint(grid_size: int = 41, extent: float = 1.0, activation: str = "sigmoid", seed: int = 0) -> dict:
    """C(theta* + alpha d1 + beta d2) of the trained digit network on a grid_size x grid_size grid over
    [-extent, extent]^2 (rows: beta, columns: alpha), two filter-normalized random directions drawn with seed."""
    alphas, costs = network_landscape(grid_size, extent, activation, seed)
    return {"alphas": alphas.tolist(), "betas": alphas.tolist(), "cost": costs.tolist(),
            "trained_cost": float(costs[len(alphas) // 2, len(alphas) // 2])}


def build_landscape_part(tab: PanelFrame) -> tuple[dict, Fold]:
    """The network's slice, folded: its controls, the surface and contour (drawn when unfolded); returns the link's
    controls and the fold."""
    with fold("The landscape of a real network", "descent-network") as part:
        controls, outputs = landscape_layout()
    gr.on([c.change for c in controls], update_network, inputs=controls, outputs=outputs, trigger_mode="always_last",
          api_visibility="undocumented", **HEAVY)                         # .change: a scene sets them too
    drawn_when_unfolded(part, tab.opened, update_network, controls, outputs, **HEAVY)
    return dict(zip(["f", "grid", "r", "dseed"], controls)), part


def landscape_layout() -> tuple[list, list]:
    """The part's controls and outputs, laid out."""
    gr.Markdown(f"The trained 64-16-16-10 digit network has "
                f"{N_PARAMETERS:,} weights and biases, so its cost lives in {N_PARAMETERS:,} dimensions. We can look "
                "at a slice: move all "
                "weights along two random directions d₁, d₂ from the trained θ*, each rescaled neuron by neuron to "
                "the size of that neuron's weights, d_row ← d_row · ‖W_row‖ / ‖d_row‖ (*filter normalization*, "
                "Li et al. 2018; biases stay put), and compute C at every grid point.")
    with gr.Row():
        activation = gr.Radio(list(HIDDEN_ACTIVATIONS), value="sigmoid", label="hidden activation",
                              elem_id="descent-net-activation")
        size = gr.Slider(5, 61, 41, step=2, label="grid points per side", elem_id="descent-net-grid")
        extent = gr.Slider(0.1, 3, 1.0, step=0.1, label="range: α, β in [−r, r]", elem_id="descent-net-range")
        seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="direction seed",
                         elem_id="descent-net-seed")
    status = gr.Markdown(latex_delimiters=LATEX, elem_id="descent-net-status")
    with gr.Row():
        surface_plot = gr.Plot(label="network surface", elem_id="descent-net-surface")
        contour = gr.Plot(label="network contour", elem_id="descent-net-contour")
    return [activation, size, extent, seed], [surface_plot, contour, status]
