"""Figures of attention: scores and pattern for one head, one query's weights and each key's share of what the head
writes, bertviz-like lines, an overview of every head (thumbnails and scores), the heads ranked for one (query, key)
relation, and the tokens one head's write promotes and suppresses. Heatmaps all go through components/heatmap.py,
signed bars through components/backprop_figures.signed_bars."""
import numpy as np
import plotly.graph_objects as go

from components.backprop_figures import signed_bars
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


def query_bars(weights: np.ndarray, key_shares: np.ndarray, labels: list[str], query: int) -> go.Figure:
    """For one query: the weight a_ij on each earlier token, and each key's share of the head's write o (the part of
    W_O a_ij v_j along o; signed, summing to |o|), which a weight alone does not tell."""
    keys, shares = labels[:query + 1], key_shares[:query + 1]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=keys, y=weights[:query + 1], name="attention weight a_ij", marker_color=COLORS[0],
                         offsetgroup="weight"))
    fig.add_trace(go.Bar(x=keys, y=shares, name="share of the write |o| (W_O a_ij v_j · o/|o|)",
                         marker_color=COLORS[4], yaxis="y2", offsetgroup="share"))
    top, low = max(float(shares.max()), 1e-9) * 1.05, min(float(shares.min()), 0.0) * 1.05
    # both axes put 0 at the same height: a negative share (a key pushing against o) shows below the weights' 0
    fig.update_layout(barmode="group", yaxis=dict(title="weight", range=[low / top, 1]),
                      yaxis2=dict(title=f"share of |o| = {shares.sum():.1f}", overlaying="y", side="right",
                                  showgrid=False, range=[low, top]),
                      legend=dict(orientation="h", y=-0.35))
    fig.update_xaxes(type="category", tickangle=-45)
    return styled(fig, f"What query {labels[query]} takes from each key", height=420)


def relation_bars(ranking: list[tuple[int, int, float]], query_label: str, key_label: str, top: int) -> go.Figure:
    """The `top` heads of a ranking [(layer, head, weight), ...] (largest first) as bars, with the mean over every
    head as a dashed line."""
    mean = float(np.mean([weight for _, _, weight in ranking]))
    shown = ranking[:top]
    fig = signed_bars([f"L{l} h{h}" for l, h, _ in shown], np.array([w for _, _, w in shown]), mean,
                      f"mean of all {len(ranking)} heads = {mean:.3f}",
                      "%{y}: weight %{x:.3f}<extra></extra>", text=[f"{w:.3f}" for _, _, w in shown], horizontal=True)
    fig.update_xaxes(title=f"weight a[{query_label} → {key_label}]", range=[0, 1.12])
    return styled(fig, f"Heads that look from {query_label} to {key_label}", height=max(380, 30 * len(shown) + 130))


def unique(labels: list[str]) -> list[str]:
    """Two tokens shown alike ('␣Mary' twice) stay two bars: a repeat gets ' (2)'."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def write_bars(promoted: list[tuple[str, float]], suppressed: list[tuple[str, float]], mean: float,
               title: str) -> go.Figure:
    """The tokens a head's write pushes up most (blue) and down most (red): their logits W_U · norm(o), most
    promoted on top, with the mean over the vocabulary as a dashed line."""
    rows = promoted + suppressed[::-1]                        # the most suppressed at the bottom
    fig = signed_bars(unique([token for token, _ in rows]), np.array([logit for _, logit in rows]), mean,
                      f"mean over the vocabulary = {mean:.1f}", "%{y}: logit %{x:.2f}<extra></extra>",
                      text=[f"{logit:.1f}" for _, logit in rows], horizontal=True)
    logits = [0.0] + [logit for _, logit in rows]
    room = 0.22 * (max(logits) - min(logits))                          # for the numbers written beside the bars
    fig.update_xaxes(title="logit of the token: W_U · norm(o)", range=[min(logits) - room, max(logits) + room])
    return styled(fig, title, height=max(420, 26 * len(rows) + 130))


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
