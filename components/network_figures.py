"""Figures of the digit network: the layers as columns of shaded neurons with their strongest connections, a digit,
the outputs, and weights shown as 8x8 images (one heatmap builder for all of them)."""
import numpy as np
import plotly.graph_objects as go

from components.heatmap import heatmap
from components.style import COLORS, NEGATIVE, POSITIVE, styled

EDGES_PER_LAYER = 36      # the strongest |w * a| connections drawn between two layers


def digit_image(pixels: np.ndarray, title: str) -> go.Figure:
    """An 8x8 digit (64 values in [0, 1]) in grey, ink dark as on paper."""
    fig = heatmap(np.asarray(pixels).reshape(8, 8), title=title, zmin=0, zmax=1, height=330, square=True,
                  hover="row %{y}, column %{x}: %{z:.2f}")
    fig.update_traces(colorscale=[[0, "white"], [1, "black"]], showscale=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig


def tile_images(images: np.ndarray, columns: int = 4, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """(n, h, w, ...) -> one mosaic, row by row, with a gap of `gap` cells between tiles and `fill` where no tile is
    (NaN, the default, is drawn empty by a heatmap); trailing dimensions (colour channels) are kept."""
    n, h, w = images.shape[:3]
    rows = -(-n // columns)
    mosaic = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, *images.shape[3:]), fill)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image
    return mosaic


def weight_images(weights: np.ndarray, title: str, colorbar_title: str = "weight") -> go.Figure:
    """Rows of a (16, 64) matrix as sixteen 8x8 images: what each first-layer neuron looks for (blue +, red -)."""
    mosaic = tile_images(np.asarray(weights).reshape(-1, 8, 8))
    bound = float(np.nanpercentile(np.abs(mosaic), 98)) or 1.0      # a few outliers must not wash out the rest
    fig = heatmap(mosaic, title=title, diverging=True, zmin=-bound, zmax=bound, colorbar_title=colorbar_title,
                  height=720, square=True, hover="%{z:.3f}<extra></extra>")
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    for i in range(weights.shape[0]):
        r, c = divmod(i, 4)
        fig.add_annotation(x=c * 9 + 3.5, y=r * 9 - 0.9, text=f"neuron {i}", showarrow=False, font=dict(size=13))
    return fig


def network_diagram(activations: list[np.ndarray], weights: list[np.ndarray], names: list[str]) -> go.Figure:
    """Columns of neurons shaded by activation; lines for the strongest contributions w_jk * a_k (blue +, red -)."""
    fig = go.Figure()
    positions = []
    for l, a in enumerate(activations):
        n = len(a)
        ys = np.linspace(1, -1, n) * (0.95 if n > 20 else min(1.0, n / 17))
        positions.append(ys)
    for l, W in enumerate(weights):                                   # W: (out, in) between layer l and l + 1
        contribution = W * activations[l][None, :]                     # (out, in)
        flat = np.argsort(-np.abs(contribution), axis=None)[:EDGES_PER_LAYER]
        strongest = np.abs(contribution).max() or 1.0
        for sign, colour in ((1, POSITIVE), (-1, NEGATIVE)):
            for lo, hi, opacity in ((0.5, 1.01, 0.9), (0.2, 0.5, 0.5), (0.0, 0.2, 0.2)):
                xs, ys = [], []
                for index in flat:
                    j, k = divmod(int(index), W.shape[1])
                    value = contribution[j, k]
                    if np.sign(value) == sign and lo <= abs(value) / strongest < hi:
                        xs += [l, l + 1, None]
                        ys += [positions[l][k], positions[l + 1][j], None]
                if xs:
                    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                             line=dict(color=colour, width=1 + 3 * opacity), opacity=opacity))
    for l, a in enumerate(activations):
        size = 7 if len(a) > 20 else 22
        fig.add_trace(go.Scatter(
            x=[l] * len(a), y=positions[l], mode="markers", showlegend=False,
            marker=dict(size=size, color=a, colorscale="Greys", cmin=0, cmax=max(1.0, float(np.max(a))),
                        line=dict(color="#374151", width=1)),
            customdata=np.arange(len(a)), hovertemplate=f"{names[l]} neuron %{{customdata}}: a = %{{marker.color:.3f}}<extra></extra>"))
    last = len(activations) - 1
    fig.add_trace(go.Scatter(x=[last + 0.12] * len(activations[-1]), y=positions[-1], mode="text", showlegend=False,
                             text=[str(d) for d in range(len(activations[-1]))], textfont=dict(size=15),
                             textposition="middle right", hoverinfo="skip"))
    fig.update_xaxes(tickvals=list(range(len(activations))), ticktext=names, range=[-0.3, len(activations) - 0.55],
                     showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, range=[-1.1, 1.1])
    return styled(fig, "Forward pass: activations (white 0 → black 1) and the strongest w·a", height=520)


def output_bars(outputs: np.ndarray, label: int | None, title: str) -> go.Figure:
    """The ten output activations, the prediction (tallest) highlighted, the true label marked."""
    prediction = int(np.argmax(outputs))
    colours = [COLORS[2] if d == prediction else "#9ca3af" for d in range(10)]
    fig = go.Figure(go.Bar(x=list(range(10)), y=outputs, marker_color=colours, text=[f"{v:.2f}" for v in outputs],
                           textposition="outside", hovertemplate="digit %{x}: %{y:.3f}<extra></extra>"))
    ticks = [f"<b>{d}</b><br>label" if d == label else str(d) for d in range(10)]
    fig.update_xaxes(title="digit", tickvals=list(range(10)), ticktext=ticks)
    fig.update_yaxes(title="output activation", range=[0, 1.15])
    return styled(fig, title, height=360)
