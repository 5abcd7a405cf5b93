"""Figures of backpropagation: the gradient of every weight, the paths that make up a neuron's blame, and the
nudges the output layer wants and passes back."""
import numpy as np
import plotly.graph_objects as go

from components.formatting import significant
from components.heatmap import heatmap
from components.network_figures import weight_images
from components.style import COLORS, NEGATIVE, POSITIVE, styled


def gradient_heatmap(gradient: np.ndarray, layer: int, chosen: tuple[int, int] | None) -> go.Figure:
    """dC/dW for one weight layer (out x in); the first layer is shown as 16 images of 8x8, like its weights."""
    if layer == 1:
        fig = weight_images(gradient, "dC/dW¹: each hidden-1 neuron's 64 weight gradients as an 8x8 image",
                            colorbar_title="dC/dw")
    else:
        names = {2: ("hidden-1 neuron k", "hidden-2 neuron j"), 3: ("hidden-2 neuron k", "output j (digit)")}[layer]
        fig = heatmap(gradient, title=f"dC/dW{'²' if layer == 2 else '³'} (blue: raising w raises the cost)",
                      x_title=names[0], y_title=names[1], diverging=True, colorbar_title="dC/dw", height=430,
                      hover="j %{y}, k %{x}: %{z:.2e}")
    if chosen is not None and layer > 1:
        j, k = chosen
        fig.add_shape(type="rect", x0=k - 0.5, x1=k + 0.5, y0=j - 0.5, y1=j + 0.5, line=dict(color="black", width=3))
    return fig


def path_bars(paths: list[tuple], layer: int, to_neuron: int) -> go.Figure:
    """Each path from a_j to the next layer: W_ij · f'(z_i) · dC/da_i. Their sum is a_j's blame (how wrong)."""
    products = np.array([row[4] for row in paths])
    fig = go.Figure(go.Bar(x=[f"{row[0]}" for row in paths], y=products,
                           marker_color=[POSITIVE if v >= 0 else NEGATIVE for v in products],
                           hovertemplate="via neuron %{x}: %{y:.3e}<extra></extra>"))
    fig.add_hline(y=products.sum(), line=dict(color=COLORS[2], width=3, dash="dash"),
                  annotation_text=f"sum = dC/da = {significant(products.sum(), 4, latex=False)}",
                  annotation_position="top left")
    nxt = "output digit" if layer == 2 else "hidden-2 neuron"
    fig.update_xaxes(title=f"path through {nxt} i", type="category")
    fig.update_yaxes(title="W·f'(z)·dC/da of the path")
    return styled(fig, f"All paths from layer-{layer} neuron {to_neuron} to the next layer", height=380)


def nudge_bars(wanted_outputs: np.ndarray, label: int) -> go.Figure:
    """How much each output wants to move: −dC/da (the label wants up, the others down)."""
    fig = go.Figure(go.Bar(y=[f"{d}{' (label)' if d == label else ''}" for d in range(10)], x=wanted_outputs,
                           orientation="h", marker_color=[POSITIVE if v >= 0 else NEGATIVE for v in wanted_outputs],
                           text=[f"{v:+.2f}" for v in wanted_outputs], textposition="inside",
                           insidetextanchor="middle", hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    bound = float(np.abs(wanted_outputs).max()) * 1.1 or 1.0
    fig.update_yaxes(autorange="reversed", type="category", title="output digit")
    fig.update_xaxes(title="desired nudge −dC/da", range=[-bound, bound])
    return styled(fig, "What this example wants from the outputs", height=430)


def passed_back(per_output: np.ndarray) -> go.Figure:
    """Row j: output j's wish for each hidden-2 neuron; the last row adds them up (that neuron's total wish)."""
    totals = per_output.sum(axis=0)
    grid = np.vstack([per_output, np.full((1, per_output.shape[1]), np.nan), totals[None, :]])   # (12, 16)
    rows = [f"from output {d}" for d in range(10)] + [" ", "sum = wish"]
    return heatmap(grid, [str(k) for k in range(per_output.shape[1])], rows, diverging=True,
                   title="Passed back to hidden-2: each output's wish, and the sum",
                   x_title="hidden-2 neuron", colorbar_title="nudge", height=430,
                   hover="%{y} → neuron %{x}: %{z:.3f}")
