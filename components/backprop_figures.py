"""Figures of backpropagation: the gradient of every weight for one example (its cost L), the paths that make up a
neuron's blame, the nudges the output layer wants and passes back, and a batch's examples' gradients for one weight
with their average (the gradient of the cost C)."""
import numpy as np
import plotly.graph_objects as go

from components.formatting import significant
from components.heatmap import heatmap
from components.network_figures import weight_images
from components.style import COLORS, NEGATIVE, POSITIVE, styled


def gradient_heatmap(gradient: np.ndarray, layer: int, chosen: tuple[int, int] | None) -> go.Figure:
    """∂L/∂W of one example for one weight layer (out x in); the first layer is shown as 16 images of 8x8, like its
    weights."""
    if layer == 1:
        fig = weight_images(gradient, "∂L/∂W¹: each hidden-1 neuron's 64 weight gradients as an 8x8 image",
                            colorbar_title="∂L/∂w")
    else:
        names = {2: ("hidden-1 neuron k", "hidden-2 neuron j"), 3: ("hidden-2 neuron k", "output j (digit)")}[layer]
        fig = heatmap(gradient, title=f"∂L/∂W{'²' if layer == 2 else '³'} (blue: raising w raises the cost)",
                      x_title=names[0], y_title=names[1], diverging=True, colorbar_title="∂L/∂w", height=430,
                      hover="j %{y}, k %{x}: %{z:.2e}")
    if chosen is not None and layer > 1:
        j, k = chosen
        fig.add_shape(type="rect", x0=k - 0.5, x1=k + 0.5, y0=j - 0.5, y1=j + 0.5, line=dict(color="black", width=3))
    return fig


def signed_bars(names: list[str], values: np.ndarray, line: float, line_text: str, hover: str,
                 text: list[str] | None = None, horizontal: bool = False) -> go.Figure:
    """Bars blue where positive, red where negative (upright, or lying with the first name on top when horizontal),
    and one dashed line across them (their sum or their mean) named on the figure."""
    bar = go.Bar(x=values, y=names, orientation="h") if horizontal else go.Bar(x=names, y=values)
    fig = go.Figure(bar.update(marker_color=[POSITIVE if v >= 0 else NEGATIVE for v in values], text=text,
                               textposition="outside", constraintext="none", cliponaxis=False, hovertemplate=hover))
    dashed = dict(line=dict(color=COLORS[2], width=3, dash="dash"), annotation_text=line_text,
                  annotation_bgcolor="rgba(255, 255, 255, 0.85)")
    if horizontal:
        fig.add_vline(x=line, annotation_position="top right", annotation_yanchor="bottom", **dashed)   # above the bars
        fig.update_yaxes(type="category", autorange="reversed", tickmode="linear", dtick=1)   # every name written
    else:
        fig.add_hline(y=line, annotation_position="top left", **dashed)
        fig.update_xaxes(type="category")
    return fig


def path_bars(paths: list[tuple], layer: int, to_neuron: int) -> go.Figure:
    """Each path from a_j to the next layer: W_ij · f'(z_i) · ∂L/∂a_i. Their sum is a_j's blame (how wrong)."""
    products = np.array([row[4] for row in paths])
    fig = signed_bars([f"{row[0]}" for row in paths], products, products.sum(),
                      f"sum = ∂L/∂a = {significant(products.sum(), 4, latex=False)}",
                      "via neuron %{x}: %{y:.3e}<extra></extra>")
    nxt = "output digit" if layer == 2 else "hidden-2 neuron"
    fig.update_xaxes(title=f"path through {nxt} i")
    fig.update_yaxes(title="W·f′(z)·∂L/∂a of the path")
    return styled(fig, f"All paths from layer-{layer} neuron {to_neuron} to the next layer", height=380)


def example_bars(gradients: np.ndarray, names: list[str], weight: str) -> go.Figure:
    """Each example's ∂L_m/∂w for one weight, one bar per example with its number written beside it, and their mean
    ∂C/∂w, the gradient of the batch's cost, as a dashed line. names: one label per example ("#940: a 5"); weight:
    the weight's name ("W³[9, 11]")."""
    average = float(np.mean(gradients))
    fig = signed_bars(names, gradients, average, f"average = ∂C/∂w = {significant(average, 3, latex=False)}",
                      "example %{y}: ∂L/∂w = %{x:.3e}<extra></extra>",
                      text=[significant(v, 2, latex=False) for v in gradients], horizontal=True)
    fig.update_traces(textfont_size=13)
    fig.update_yaxes(tickfont_size=13)
    low, high = min(0.0, float(gradients.min())), max(0.0, float(gradients.max()))
    room = 0.4 * (high - low) or 1.0                                  # for the numbers written beside the bars
    fig.update_xaxes(title="∂L_m/∂w (> 0: this example wants w smaller, < 0: larger)",
                     range=[low - room, high + room])
    fig.update_yaxes(title="example m of the batch")
    height = max(340, 150 + 24 * len(gradients))                       # 24 px a bar
    fig = styled(fig, f"Each example's gradient for w = {weight}, and their average", height=height)
    return fig.update_layout(margin_t=96)                              # room for the average's name above the bars


def nudge_bars(wanted_outputs: np.ndarray, label: int) -> go.Figure:
    """How much each output wants to move: −∂L/∂a (the label wants up, the others down)."""
    fig = go.Figure(go.Bar(y=[f"{d}{' (label)' if d == label else ''}" for d in range(10)], x=wanted_outputs,
                           orientation="h", marker_color=[POSITIVE if v >= 0 else NEGATIVE for v in wanted_outputs],
                           text=[f"{v:+.2f}" for v in wanted_outputs], textposition="inside",
                           insidetextanchor="middle", hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    bound = float(np.abs(wanted_outputs).max()) * 1.1 or 1.0
    fig.update_yaxes(autorange="reversed", type="category", title="output digit")
    fig.update_xaxes(title="desired nudge −∂L/∂a", range=[-bound, bound])
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
