"""Figures of attention: scores and pattern for one head, one query's weights, bertviz-like lines, and an overview
of every head (thumbnails and scores). Heatmaps all go through components/heatmap.py."""
import numpy as np
import plotly.graph_objects as go

from components.heatmap import heatmap
from components.network_figures import tile_images
from components.style import COLORS, styled

THUMBNAIL_TOKENS = 20     # overview thumbnails show the first 20 tokens of each head's pattern


def token_labels(tokens: list[str]) -> list[str]:
    """Unique axis labels ('3·the'): repeated tokens must not merge on a category axis."""
    return [f"{i}·{t}" for i, t in enumerate(tokens)]


def masked(matrix: np.ndarray) -> np.ndarray:
    """The causal mask as NaN (drawn empty), not as zeros or -inf."""
    out = np.array(matrix, dtype=np.float64)
    out[np.triu(np.ones(out.shape, dtype=bool), 1)] = np.nan
    return out


def scores_figure(scores: np.ndarray, labels: list[str], layer: int, head: int) -> go.Figure:
    return heatmap(masked(scores), labels, labels, title=f"Scores q·k/√d, layer {layer} head {head} (blank: masked)",
                   x_title="key (what do I contain?)", y_title="query (what am I looking for?)", diverging=True,
                   colorbar_title="score", height=520, hover="query %{y} · key %{x}: %{z:.2f}")


def pattern_figure(pattern: np.ndarray, labels: list[str], layer: int, head: int) -> go.Figure:
    return heatmap(masked(pattern), labels, labels, title=f"Pattern softmax(scores), layer {layer} head {head}",
                   x_title="key", y_title="query", zmin=0, zmax=1, colorbar_title="weight", height=520,
                   hover="query %{y} · key %{x}: %{z:.3f}")


def query_bars(weights: np.ndarray, value_norms: np.ndarray, labels: list[str], query: int) -> go.Figure:
    """For one query: the weight on each earlier token, and weight × |v| (how much each key actually sends)."""
    keys = labels[:query + 1]
    sent = weights[:query + 1] * value_norms[:query + 1]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=keys, y=weights[:query + 1], name="attention weight", marker_color=COLORS[0],
                         offsetgroup="weight"))
    fig.add_trace(go.Bar(x=keys, y=sent, name="weight × |v| (what is sent)", marker_color=COLORS[4], yaxis="y2",
                         offsetgroup="sent"))
    fig.update_layout(barmode="group", yaxis=dict(title="weight", range=[0, 1]),
                      yaxis2=dict(title="weight × |v|", overlaying="y", side="right", showgrid=False),
                      legend=dict(orientation="h", y=-0.35))
    fig.update_xaxes(type="category", tickangle=-45)
    return styled(fig, f"What query {labels[query]} takes from each key", height=420)


def lines_view(patterns: dict[int, np.ndarray], tokens: list[str]) -> go.Figure:
    """bertviz's head view: tokens in two columns, a line from each query (right) to each key (left) with
    opacity = weight; several heads overlaid in different colours."""
    T = len(tokens)
    ys = -np.arange(T, dtype=np.float64)
    fig = go.Figure()
    for n, (head, pattern) in enumerate(patterns.items()):
        colour = COLORS[n % len(COLORS)]
        for lo, hi in ((0.05, 0.2), (0.2, 0.5), (0.5, 1.01)):
            queries, keys = np.nonzero(np.tril((pattern >= lo) & (pattern < hi)))    # the (i, j) in this band
            if len(queries):
                # one segment per (i, j): (1, y_i) -> (0, y_j), then NaN to lift the pen (numpy arrays: plotly
                # validates them at once, where a list with None is checked element by element)
                xs = np.tile([1.0, 0.0, np.nan], len(queries))
                yl = np.stack([ys[queries], ys[keys], np.full(len(queries), np.nan)], axis=1).ravel()
                fig.add_trace(go.Scatter(x=xs, y=yl, mode="lines", line=dict(color=colour, width=1 + 4 * hi),
                                         opacity=min(1.0, 0.25 + hi * 0.7), hoverinfo="skip",
                                         name=f"head {head}", legendgroup=str(head), showlegend=lo == 0.5))
    for x, anchor in ((0, "left"), (1, "right")):         # keys to the left of x = 0, queries right of 1
        fig.add_trace(go.Scatter(x=[x] * T, y=ys, mode="text", text=tokens, textposition=f"middle {anchor}",
                                 textfont=dict(size=14), hoverinfo="skip", showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.6, 1.6])
    fig.update_yaxes(visible=False)
    fig.update_layout(legend=dict(orientation="h", y=1.02))
    return styled(fig, "Lines: queries (right) look at keys (left); opacity = weight", height=max(420, 22 * T + 120))


def overview(pattern: np.ndarray) -> go.Figure:
    """Every head's pattern as a thumbnail: rows are layers, columns heads (first 20 tokens)."""
    L, H, T, _ = pattern.shape
    t = min(T, THUMBNAIL_TOKENS)
    tiles = np.stack([masked(pattern[l, h, :t, :t]) for l in range(L) for h in range(H)])
    mosaic = tile_images(tiles, columns=H)
    fig = heatmap(mosaic, title=f"All {L} × {H} heads (rows: layers 0…{L - 1}, columns: heads 0…{H - 1})",
                  zmin=0, zmax=1, colorbar_title="weight", height=max(600, 26 * L), hover="%{z:.2f}")
    fig.update_xaxes(tickvals=[h * (t + 1) + t / 2 for h in range(H)], ticktext=[f"h{h}" for h in range(H)])
    fig.update_yaxes(tickvals=[l * (t + 1) + t / 2 for l in range(L)], ticktext=[f"L{l}" for l in range(L)])
    return fig


def statistic_figure(values: np.ndarray, name: str) -> go.Figure:
    L, H = values.shape
    return heatmap(values, [f"h{h}" for h in range(H)], [f"L{l}" for l in range(L)], title=f"{name}, every head",
                   x_title="head", y_title="layer", colorbar_title=name.split(" (")[0], height=max(600, 26 * L),
                   text_format=".2f", hover="layer %{y}, head %{x}: %{z:.3f}")
