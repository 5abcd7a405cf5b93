"""Figures of the digit network learning and probed, from data: the first layer's weights as they move, C and the
held-out accuracy per epoch, a few held-out digits' ten outputs, the largest output on noise and on digits, the
mean digits and their correlations with the weights, and the held-out accuracy as noise grows on the weights."""
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.heatmap import heatmap
from components.network_figures import tile_images, weight_images
from components.style import COLORS, NEGATIVE, styled

GREYS = [[0, "white"], [1, "black"]]      # ink dark, as on paper


def weight_tiles(weights: np.ndarray, title: str, height: int = 600) -> go.Figure:
    """The rows of a (16, 64) first-layer matrix as sixteen 8x8 images (components.network_figures.weight_images),
    at a height that fits half a page's width, the neurons named in smaller type."""
    return weight_images(weights, title).update_layout(height=height).update_annotations(font_size=11)


def learning_curves(train_cost: Sequence[float], test_accuracy: Sequence[float], title: str) -> go.Figure:
    """C on the training digits (left axis) and the held-out accuracy in % (right axis) at epoch 0, 1, 2, ..."""
    epochs = np.arange(len(train_cost))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=np.asarray(train_cost, dtype=np.float64), name="C, training digits",
                             mode="lines+markers", line=dict(color="#1f2937", width=3),
                             hovertemplate="epoch %{x}: C = %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=epochs, y=100 * np.asarray(test_accuracy, dtype=np.float64), yaxis="y2",
                             name="held-out accuracy", mode="lines+markers", line=dict(color=COLORS[2], width=3),
                             hovertemplate="epoch %{x}: %{y:.1f}% right<extra></extra>"))
    fig.update_layout(xaxis=dict(title="epoch", range=[-0.2, max(len(epochs) - 1, 1) + 0.2]),
                      yaxis=dict(title="C", rangemode="tozero"),
                      yaxis2=dict(title="held-out accuracy (%)", overlaying="y", side="right", range=[0, 101],
                                  showgrid=False, color=COLORS[2]),
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                      margin=dict(r=80))
    return styled(fig, title, height=420)


def followed_outputs(images: np.ndarray, outputs: np.ndarray, labels: Sequence[int], names: Sequence[str],
                     title: str) -> go.Figure:
    """A few digits (k, 64) on the left and their ten outputs (k, 10) as a heat row each, named by `names`, the true
    digit's (labels) cell outlined in green."""
    k = len(images)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.1, 0.9], horizontal_spacing=0.03)
    digits = heatmap(tile_images(np.asarray(images).reshape(k, 8, 8), columns=1), zmin=0, zmax=1, colorscale=GREYS,
                     hover="pixel: %{z:.2f}").data[0].update(showscale=False)
    rows = heatmap(np.asarray(outputs), list(range(10)), list(names), zmin=0, zmax=1,
                   text_format=".2f", colorscale="Blues", colorbar_title="a_j",
                   hover="%{y} · output %{x}: %{z:.3f}").data[0]
    fig.add_trace(digits, row=1, col=1)
    fig.add_trace(rows, row=1, col=2)
    for i, label in enumerate(labels):
        fig.add_shape(type="rect", x0=int(label) - 0.5, x1=int(label) + 0.5, y0=i - 0.5, y1=i + 0.5, xref="x2",
                      yref="y2", line=dict(color=COLORS[2], width=3))
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", row=1, col=1)
    fig.update_xaxes(title="output j (green: the true digit)", type="category", row=1, col=2)
    fig.update_yaxes(type="category", autorange="reversed", row=1, col=2)
    return styled(fig, title, height=90 + 62 * k)


def top_output_histograms(noise_top: np.ndarray, digit_top: np.ndarray, threshold: float, title: str) -> go.Figure:
    """The largest output a_j of every noise picture and of every held-out digit, as shares of each, with the line
    where a_j = threshold."""
    fig = go.Figure()
    bins = dict(start=0, end=1.0001, size=0.05)
    for values, name, colour in ((noise_top, f"{len(noise_top):,} noise pictures", NEGATIVE),
                                 (digit_top, f"{len(digit_top):,} held-out digits", COLORS[0])):
        fig.add_trace(go.Histogram(x=np.asarray(values), xbins=bins, histnorm="percent", name=name, opacity=0.6,
                                   marker_color=colour, hovertemplate="largest output %{x}: %{y:.1f}%<extra></extra>"))
    fig.add_vline(x=threshold, line=dict(color="#1f2937", dash="dash", width=2))
    fig.update_layout(barmode="overlay", legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    fig.update_xaxes(title="the largest output a_j (how sure of its answer)", range=[0, 1])
    fig.update_yaxes(title="share of the pictures (%)")
    return styled(fig, title, height=360)


def mean_digits(images: np.ndarray, title: str) -> go.Figure:
    """The ten mean digit images (10, 64) in grey, two rows of five, each named."""
    mosaic = tile_images(np.asarray(images).reshape(-1, 8, 8), columns=5)
    fig = heatmap(mosaic, title=title, zmin=0, zmax=float(np.nanmax(mosaic)) or 1.0, height=330, square=True,
                  hover="%{z:.2f}")
    fig.update_traces(colorscale=GREYS, showscale=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    for digit in range(len(images)):
        r, c = divmod(digit, 5)
        fig.add_annotation(x=c * 9 + 3.5, y=r * 9 - 0.9, text=f"mean {digit}", showarrow=False, font=dict(size=13))
    return fig


def correlation_map(r: np.ndarray, title: str) -> go.Figure:
    """Pearson r of every first-layer neuron's weight image (rows) with every mean digit (columns), −1 to 1."""
    return heatmap(np.asarray(r), [f"mean {d}" for d in range(r.shape[1])], [f"neuron {i}" for i in range(r.shape[0])],
                   title=title, diverging=True, zmin=-1, zmax=1, text_format=".2f", colorbar_title="r",
                   hover="%{y} · %{x}: r = %{z:.2f}", height=620)


def accuracy_against_noise(sigmas: np.ndarray, accuracies: np.ndarray, sigma: float, accuracy: float,
                           intact: float, title: str) -> go.Figure:
    """Held-out accuracy (%) against the weight noise σ, the chosen σ marked, the intact network and chance (10 %)
    as dashed lines."""
    fig = go.Figure(go.Scatter(x=sigmas, y=100 * np.asarray(accuracies), mode="lines", name="broken network",
                               line=dict(color="#1f2937", width=3),
                               hovertemplate="σ = %{x:.2f}: %{y:.1f}% right<extra></extra>"))
    fig.add_trace(go.Scatter(x=[sigma], y=[100 * accuracy], mode="markers", name=f"σ = {sigma:g}",
                             marker=dict(size=14, color=NEGATIVE), hovertemplate="%{y:.1f}% right<extra></extra>"))
    fig.add_hline(y=100 * intact, line=dict(color=COLORS[2], dash="dash"), annotation_text="intact",
                  annotation_position="top right")
    fig.add_hline(y=10, line=dict(color="#9ca3af", dash="dot"), annotation_text="chance (10%)",
                  annotation_position="bottom right")
    fig.update_xaxes(title="noise σ added to every weight")
    fig.update_yaxes(title="held-out accuracy (%)", range=[0, 101])
    fig.update_layout(showlegend=False)
    return styled(fig, title, height=380)
