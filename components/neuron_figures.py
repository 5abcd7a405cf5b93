"""Figures of one neuron: its activation curve with the current point, and its output over the input plane."""
import numpy as np
import plotly.graph_objects as go

from components.heatmap import heatmap
from components.style import COLORS, styled


def activation_curve(zs: np.ndarray, activations: np.ndarray, z: float, a: float, name: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=zs, y=activations, mode="lines", name=f"a = {name}(z)",
                             line=dict(width=4, color=COLORS[0])))
    fig.add_trace(go.Scatter(x=[z], y=[a], mode="markers+text", name="this neuron",
                             marker=dict(size=18, color=COLORS[1], line=dict(width=2, color="white")),
                             text=[f"z={z:.2f}, a={a:.2f}"], textposition="top left", textfont=dict(size=16)))
    fig.add_vline(x=0, line=dict(color="#9ca3af", dash="dot"))
    fig.update_xaxes(title="z = w·a + b")
    fig.update_yaxes(title="activation a")
    return styled(fig, f"Activation: {name}", height=380)


def input_plane(axis: np.ndarray, grid: np.ndarray, boundary, point: tuple[float, float],
                zrange: tuple[float, float]) -> go.Figure:
    """Heatmap of the output over (a1, a2) with the z = 0 line and the current inputs marked."""
    fig = heatmap(grid, axis, axis, title="Output over the input plane", x_title="input a1", y_title="input a2",
                  zmin=zrange[0], zmax=zrange[1], colorbar_title="a", colorscale="Viridis", categorical=False,
                  reverse_y=False, hover="a1 = %{x:.2f}, a2 = %{y:.2f}: a = %{z:.3f}", height=460)
    if boundary is not None:
        fig.add_trace(go.Scatter(x=boundary[0], y=boundary[1], mode="lines", name="w·a + b = 0",
                                 line=dict(color="#ec4899", width=5, dash="dash")))
    fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="inputs (a1, a2)",
                             marker=dict(size=16, color=COLORS[1], symbol="x", line=dict(width=2, color="white"))))
    lim = float(axis[-1])
    fig.update_xaxes(range=[-lim, lim])
    fig.update_yaxes(range=[-lim, lim])
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return fig
