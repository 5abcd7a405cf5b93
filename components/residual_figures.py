"""Figures of the residual stream: the logit lens, what each block writes, each block's push on the target's logit,
the top MLP neurons as key/value pairs, and the causal trace. Heatmaps all go through components/heatmap.py."""
import numpy as np
import plotly.graph_objects as go

from components.heatmap import heatmap
from components.style import COLORS, styled


def token_labels(tokens: list[str], marked: tuple[int, int] | None = None) -> list[str]:
    """Unique axis labels ('3·Tower'); tokens inside `marked` [start, end) get a '*' (the corrupted subject)."""
    start, end = marked or (0, 0)
    return [f"{i}·{t}" + ("*" if start <= i < end else "") for i, t in enumerate(tokens)]


def layer_labels(n_layers: int, with_embedding: bool) -> list[str]:
    return (["embedding"] if with_embedding else []) + [f"block {l}" for l in range(n_layers)]


def lens_heatmap(probabilities: np.ndarray, labels: list[str], target: str) -> go.Figure:
    """probabilities: (L + 1, T), p(target) decoded from the stream after the embedding and after each block."""
    rows = layer_labels(probabilities.shape[0] - 1, with_embedding=True)
    return heatmap(probabilities, labels, rows, title=f"Logit lens: p({target}) read from the stream at each layer",
                   x_title="position (token)", y_title="stream after", zmin=0, zmax=1, colorbar_title="p",
                   hover="after %{y} · at %{x}: p = %{z:.3f}", height=760)


def write_norms_figure(attention: np.ndarray, mlp: np.ndarray, stream: np.ndarray, position: str) -> go.Figure:
    """attention, mlp: (L,) |what each block adds| at one position; stream: (L + 1,) |the stream| there."""
    blocks = list(range(len(attention)))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=blocks, y=attention, name="|attention write|", marker_color=COLORS[0]))
    fig.add_trace(go.Bar(x=blocks, y=mlp, name="|MLP write|", marker_color=COLORS[4]))
    fig.add_trace(go.Scatter(x=[-0.5] + [b + 0.5 for b in blocks], y=stream, name="|stream| after it",
                             mode="lines+markers", line=dict(color=COLORS[3], width=3), yaxis="y2"))
    fig.update_layout(barmode="group", xaxis=dict(title="block (layer)", dtick=2),
                      yaxis=dict(title="size of the write"),
                      yaxis2=dict(title="size of the stream", overlaying="y", side="right", showgrid=False,
                                  rangemode="tozero"),
                      legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", yanchor="top"))
    return styled(fig, f"What each block adds at {position}<br>(every block adds to the stream; none replaces it)",
                  height=500)


def attribution_figure(attention: np.ndarray, mlp: np.ndarray, embedding: float, logit: float,
                       target: str) -> go.Figure:
    """Each block's direct push on the target's logit at the last position: (L,) for attention and MLP."""
    blocks = list(range(len(attention)))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=blocks, y=attention, name="attention", marker_color=COLORS[0],
                         hovertemplate="block %{x} attention: %{y:+.3f}<extra></extra>"))
    fig.add_trace(go.Bar(x=blocks, y=mlp, name="MLP", marker_color=COLORS[4],
                         hovertemplate="block %{x} MLP: %{y:+.3f}<extra></extra>"))
    fig.add_hline(y=0, line_color="#6b7280")
    fig.update_layout(barmode="group", xaxis=dict(title="block (layer)", dtick=2),
                      yaxis=dict(title=f"push on logit({target})"),
                      legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", yanchor="top"))
    title = (f"Each block's direct push on logit({target})<br>embed {embedding:+.2f}, attn {attention.sum():+.2f}, "
             f"MLP {mlp.sum():+.2f}: sum {embedding + attention.sum() + mlp.sum():.2f} = logit {logit:.2f}")
    return styled(fig, title, height=500)


def neuron_figure(neurons: list[int], contributions: np.ndarray, activations: np.ndarray,
                  promoted: list[list[str]], layer: int, target: str) -> go.Figure:
    """The top neurons of one MLP: horizontal bars of a_i (v_i · d), labelled with the tokens a_i v_i promotes."""
    names = [f"neuron {n} (a = {a:+.1f}) → {', '.join(tokens[:4])}" for n, a, tokens in zip(neurons, activations,
                                                                                         promoted)]
    fig = go.Figure(go.Bar(y=names, x=contributions, orientation="h",
                           marker_color=[COLORS[0] if c >= 0 else COLORS[1] for c in contributions],
                           hovertemplate="%{y}<br>push on the logit: %{x:+.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=f"neuron's push on logit({target}) = a_i (v_i · d)", zeroline=True,
                     zerolinecolor="#6b7280")
    return styled(fig, f"Block {layer}'s MLP: the neurons that move logit({target}) most<br>each with its activation a "
                       "(how strongly its key fired) → the tokens a·v pushes up (its value)", height=110 + 48 * len(neurons))


def trace_heatmap(restored: np.ndarray, labels: list[str], kind: str, clean: float, corrupted: float,
                  target: str) -> go.Figure:
    """restored: (L, T) p(target) with one (layer, position) restored to its clean value."""
    what = {"hidden": "the stream (hidden state)", "mlp": "the MLP output", "attention": "the attention output"}[kind]
    top = max(clean, float(np.nanmax(restored)))
    return heatmap(restored, labels, layer_labels(restored.shape[0], with_embedding=False),
                   title=f"Restoring {what} at one (block, token): p({target}) comes back "
                         f"(clean {clean:.3f}, corrupted {corrupted:.3f}; * = corrupted subject)",
                   x_title="restored token", y_title="restored at", zmin=0, zmax=top, colorbar_title="p",
                   hover="restore %{y} at %{x}: p = %{z:.3f}", height=760)
