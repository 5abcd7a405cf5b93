"""Gradient descent (knowledge map: Cost Function, Gradient, Gradient Descent, SGD — Mini-batch): toy cost surfaces
with descent and momentum, a real two-parameter cost on real digits with full-batch GD against mini-batch SGD, and
the loss landscape of the trained digit network along two filter-normalized random directions.

One part per concept: toy.py (toy surfaces), sgd.py (SGD on real digits), landscape.py (the network's landscape).
"""
import gradio as gr

from components.deeplink import PanelLink, link_box
from components.errors import user_errors
from components.page import panel_frame
from core.landscape import SURFACES, descend_surface
from explorers.learning.descent.landscape import build_landscape_part, landscape_endpoint
from explorers.learning.descent.sgd import DATA_SURFACE, build_sgd_part, data_paths, digits_data
from explorers.learning.descent.toy import build_toy_part
from models.settings import Settings
from server.queue import HEAVY


@user_errors
def descend_endpoint(surface: str, start_x: float, start_y: float, learning_rate: float, momentum: float = 0.0,
                     steps: int = 50, batch_size: int = 0, seed: int = 0) -> dict:
    """The descent path [[x, y, C], ...] on a toy surface or on the digits cost (there x = w, y = b, and batch_size
    1..N picks mini-batch SGD; 0 means all N, full-batch GD), and whether it diverged."""
    if not isinstance(surface, str) or (surface != DATA_SURFACE and surface not in SURFACES):
        raise ValueError(f"Unknown surface {str(surface)[:30]!r}; choose one of {', '.join(SURFACES)} or "
                         f"{DATA_SURFACE}.")
    if surface == DATA_SURFACE:
        batch = len(digits_data().x) if batch_size == 0 else batch_size
        [(path, examples)] = data_paths(start_x, start_y, learning_rate, momentum, steps, [batch], seed)
        extra = {"examples_processed": examples.tolist()}
    else:
        _, path = descend_surface(surface, start_x, start_y, learning_rate, momentum, steps)
        extra = {}
    return {"surface": surface, "path": [[x, y, c] for (x, y), c in zip(path.points.tolist(), path.costs.tolist())],
            "diverged": path.diverged, "diverged_at_step": path.diverged_at, **extra}


PANEL = "descent"                       # its page: /descent, and ?panel=descent in a link
TITLE = "Gradient descent"
SUMMARY = "θ ← θ − η∇C on five cost surfaces, GD against SGD, the network's loss landscape"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:   # drawn when opened
        toy_links = build_toy_part(tab)
        data_links, data_part = build_sgd_part(tab)          # folded: drawn when unfolded (or linked)
        network_links, network_part = build_landscape_part(tab)
        gr.api(descend_endpoint, api_name="descend")
        gr.api(landscape_endpoint, api_name="landscape", **HEAVY)
        return link_box("descent", {**toy_links, **data_links, **network_links}, folds=(data_part, network_part))
