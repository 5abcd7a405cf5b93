"""Figures of the series' hand-built fact neuron (core/fact_neuron.py): the stream on each named direction, the
neuron's z and ReLU(z), and what it adds to the stream; the AND gate as a map over (Michael, Jordan); and the angles
between many random directions (superposition)."""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.heatmap import heatmap
from components.style import COLORS, NEGATIVE, POSITIVE, styled

WRITES = COLORS[4]          # what the neuron writes (orange: 'basketball' lights up)
ALREADY = "#94a3b8"         # what was in the stream before the MLP


def axis_range(values: list[float]) -> list[float]:
    """A y range that stays [−1.2, 1.5] for the usual amounts (0 … 1, b = −1), so that the bars move and the axes
    do not, and grows only to fit a larger bar and its label."""
    return [min(-1.2, min(values) - 0.4), max(1.5, max(values) + 0.5)]


def fact_neuron_figure(names: list[str], on_names: np.ndarray, z: float, a: float, written: np.ndarray) -> go.Figure:
    """Three panels, left to right as the vector flows: the stream x on each named direction (names,), the neuron
    (z = w_up·x + b and a = ReLU(z)), and the stream after the MLP: x + out, with out's share (names,) on top."""
    fig = make_subplots(rows=1, cols=3, column_widths=[0.38, 0.24, 0.38], horizontal_spacing=0.08,
                        subplot_titles=["the stream x going in", "the neuron", "the stream after: x + out"])
    fig.add_trace(go.Bar(x=names, y=on_names, marker_color=POSITIVE, showlegend=False,
                         text=[f"{v:.2f}" if abs(v) > 0.005 else "" for v in on_names], textposition="outside", cliponaxis=False,
                         hovertemplate="x · e_%{x} = %{y:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=["z = w↑·x + b", "a = ReLU(z)"], y=[z, a], showlegend=False,
                         marker_color=[POSITIVE if z > 0 else NEGATIVE, WRITES],
                         text=[f"{z:+.2f}", f"{a:.2f}"], textposition="outside", cliponaxis=False,
                         hovertemplate="%{x}: %{y:.3f}<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=on_names, marker_color=ALREADY, name="already in the stream (x)",
                         hovertemplate="x · e_%{x} = %{y:.3f}<extra></extra>"), row=1, col=3)
    fig.add_trace(go.Bar(x=names, y=written, marker_color=WRITES, name="added by the neuron (out = a · e_basketball)",
                         text=[f"+{w:.2f}" if w > 0.005 else "" for w in written], textposition="outside",
                         cliponaxis=False, hovertemplate="out · e_%{x} = %{y:.3f}<extra></extra>"), row=1, col=3)
    fig.update_layout(barmode="relative", legend=dict(orientation="h", y=-0.25, x=0.5, xanchor="center",
                                                      yanchor="top"))
    after = [*(on_names + np.maximum(written, 0)), *(on_names + np.minimum(written, 0))]
    fig.update_yaxes(range=axis_range([*on_names, *after]), row=1, col=1)
    fig.update_yaxes(range=axis_range([z, a]), row=1, col=2)
    fig.update_yaxes(range=axis_range([*on_names, *after]), row=1, col=3)
    fig.update_yaxes(zeroline=True, zerolinecolor="#6b7280", zerolinewidth=2)
    fire = "fires" if a > 0 else "stays off"
    return styled(fig, f"The neuron {fire}: z = {z:+.2f}, ReLU(z) = {a:.2f}, basketball written: "
                       f"{written[names.index('basketball')]:.2f}", height=470)


def and_gate_map(amounts: np.ndarray, reads: np.ndarray, corners: list[tuple[int, int, float]],
                 point: tuple[float, float]) -> go.Figure:
    """read = out · e_basketball over a grid of (Michael, Jordan) amounts: reads (G, G), row i at Jordan = amounts[i];
    the four corners (Michael, Jordan, read) written on the map, and the sliders' point (Michael, Jordan)."""
    fig = heatmap(reads, amounts, amounts, x_title="amount of Michael", y_title="amount of Jordan", zmin=0,
                  zmax=max(1.0, float(reads.max())), colorbar_title="read", colorscale="Oranges", categorical=False,
                  reverse_y=False, square=True, hover="Michael %{x:.2f}, Jordan %{y:.2f}: read %{z:.3f}",
                  title="An AND gate: 'basketball' is read only<br>where Michael and Jordan are both there", height=470)
    fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="the sliders",     # under the corners
                             marker=dict(size=44, symbol="circle-open-dot", color=POSITIVE, line=dict(width=4)),
                             hovertemplate="the sliders: Michael %{x:.2f}, Jordan %{y:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[m for m, _, _ in corners], y=[j for _, j, _ in corners], mode="markers+text",
                             text=[f"{read:.0f}" for _, _, read in corners], textposition="middle center",
                             marker=dict(size=30, color="white", line=dict(color="#1f2937", width=2)),
                             textfont=dict(size=16, color="#1f2937"), name="read at a corner (names 0 or 1)",
                             hovertemplate="Michael %{x}, Jordan %{y}: read %{text}<extra>corner</extra>"))
    fig.update_layout(legend=dict(orientation="h", y=-0.2, x=0.5, xanchor="center", yanchor="top"))
    return fig


def angle_histogram(edges: np.ndarray, counts: np.ndarray, expected: np.ndarray, n: int, d: int) -> go.Figure:
    """The angles between every pair of n random directions in d dimensions: counts (bins,) over edges (bins + 1,)
    degrees, as a density per degree beside the expected density (bins,) at the bins' centres."""
    centres, width = (edges[:-1] + edges[1:]) / 2, float(edges[1] - edges[0])
    density = counts / max(counts.sum(), 1) / width
    fig = go.Figure(go.Bar(x=centres, y=density, width=width, marker_color=COLORS[5], name="measured",
                           hovertemplate="%{x:.0f}°: %{y:.4f} per degree<extra>measured</extra>"))
    fig.add_trace(go.Scatter(x=centres, y=expected, mode="lines", line=dict(color=COLORS[3], width=3),
                             name="expected: ∝ sin^(d−2) θ"))
    fig.add_vline(x=90, line_dash="dash", line_color="#6b7280")
    fig.update_xaxes(title="angle between two directions (degrees)", range=[0, 180], dtick=30)
    fig.update_yaxes(title="share of pairs per degree")
    fig.update_layout(bargap=0, legend=dict(orientation="h", y=-0.25, x=0.5, xanchor="center", yanchor="top"))
    return styled(fig, f"{n:,} random directions in {d} dimensions: the angles of all {n * (n - 1) // 2:,} pairs",
                  height=420)
