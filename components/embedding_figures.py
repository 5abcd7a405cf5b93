"""Figures of embedding arithmetic: the words and the result in 2-D (PCA), with the parallelogram's arrows, and
words along one direction."""
import numpy as np
import plotly.graph_objects as go

from components.style import COLORS, styled


def arithmetic_picture(points_2d: np.ndarray, labels: list[str], kinds: list[str],
                       arrows: list[tuple[int, int]]) -> go.Figure:
    """points_2d: (n, 2); kinds: 'input', 'result' or 'neighbour' per point; arrows: (from, to) index pairs."""
    fig = go.Figure()
    for start, end in arrows:
        fig.add_annotation(x=points_2d[end, 0], y=points_2d[end, 1], ax=points_2d[start, 0], ay=points_2d[start, 1],
                           xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.5,
                           arrowwidth=2.5, arrowcolor=COLORS[3], opacity=0.8)
    style = {"input": (COLORS[0], 16, "circle"), "result": (COLORS[1], 20, "star"), "neighbour": ("#6b7280", 11, "circle")}
    for kind, (colour, size, symbol) in style.items():
        chosen = [i for i, k in enumerate(kinds) if k == kind]
        if chosen:
            fig.add_trace(go.Scatter(x=points_2d[chosen, 0], y=points_2d[chosen, 1], mode="markers+text",
                                     name=kind, text=[labels[i] for i in chosen], textposition="top center",
                                     textfont=dict(size=16 if kind != "neighbour" else 13),
                                     marker=dict(size=size, color=colour, symbol=symbol)))
    fig.update_xaxes(title="principal direction 1", zeroline=False)
    fig.update_yaxes(title="principal direction 2", zeroline=False, scaleanchor="x")
    return styled(fig, "The arithmetic in 2-D (PCA of these points only; distances are approximate)", height=520)


def direction_strip(values: np.ndarray, labels: list[str], title: str) -> go.Figure:
    """Words placed along one direction (their cosine with it), as a 1-D strip."""
    order = np.argsort(values)
    levels = np.arange(len(values)) % 4                               # stagger labels so they do not overlap
    fig = go.Figure(go.Scatter(x=values[order], y=levels, mode="markers+text", text=[labels[i] for i in order],
                               textposition="top center", textfont=dict(size=15),
                               marker=dict(size=14, color=values[order], colorscale="RdBu", cmin=-1, cmax=1),
                               hovertemplate="%{text}: %{x:.3f}<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="#9ca3af", dash="dot"))
    fig.update_yaxes(visible=False, range=[-0.8, 4.2])
    fig.update_xaxes(title="cosine with the direction", range=[-1, 1])
    return styled(fig, title, height=320)
