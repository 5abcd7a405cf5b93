"""Figures of 2-D diffusion (data in, figures out): a point cloud, arrow fields, sampling paths, marginals, and
samples at several guidance weights. Arrows are line segments (one trace per field), so a whole field is one trace
of a few thousand numbers."""
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.formatting import wrapped
from components.style import COLORS, styled

DATA_COLOUR = "#9ca3af"             # the clean data, drawn faintly under everything
FIELD_COLOURS = {"cond": COLORS[0], "uncond": COLORS[4], "classifier": COLORS[2], "guided": COLORS[1],
                 "score": COLORS[3]}
FIELD_WIDTHS = {"uncond": 5, "cond": 3.5, "classifier": 2.5, "guided": 1.6, "score": 2}   # drawn in this order: where
                                                                      # the fields agree, each shows around the next
HEAD = 0.35                         # arrowhead length, as a fraction of the arrow
MARKER = dict(size=4, opacity=0.55)


def square(fig: go.Figure, limits: tuple[float, float], cols: int = 1) -> go.Figure:
    """Equal axes over the plotted square, in every panel of a one-row figure."""
    for c in range(1, cols + 1):
        where = dict(row=1, col=c) if cols > 1 else {}
        fig.update_xaxes(range=list(limits), zeroline=False, **where)
        fig.update_yaxes(range=list(limits), zeroline=False, scaleanchor="x" if c == 1 else f"x{c}", **where)
    return fig


def class_traces(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str], name: str,
                 faint: bool = False) -> list[go.Scattergl]:
    """One scatter trace per class (a single trace for an unlabelled set)."""
    groups = [(name, np.ones(len(points), dtype=bool))] if not class_names else \
        [(f"{name}: {label}", labels == k) for k, label in enumerate(class_names)]
    colours = [DATA_COLOUR] if faint else COLORS[5:] + COLORS
    return [go.Scattergl(x=points[keep, 0], y=points[keep, 1], mode="markers", name=title,
                         marker=dict(MARKER, color=colours[i % len(colours)], opacity=0.25 if faint else 0.6))
            for i, (title, keep) in enumerate(groups)]


def cloud_figure(data: np.ndarray, noised: np.ndarray, labels: np.ndarray, class_names: Sequence[str], t: int,
                 limits: tuple[float, float]) -> go.Figure:
    """The clean data (faint) and the same points noised to t with the shortcut formula."""
    fig = go.Figure(class_traces(data, labels, (), "the data x₀", faint=True)
                    + class_traces(noised, labels, class_names, f"xₜ at t = {t}"))
    fig.update_layout(legend=dict(orientation="h", y=-0.12))
    return styled(square(fig, limits), f"Forward process: the cloud at t = {t}", height=460)


def arrow_segments(points: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of every arrow (shaft and a two-stroke head) as one polyline with NaN gaps. (N, 2), (N, 2)."""
    tips = points + vectors
    back = -vectors * HEAD                                                       # (N, 2) from the tip backwards
    left = tips + back @ np.array([[np.cos(0.5), np.sin(0.5)], [-np.sin(0.5), np.cos(0.5)]])
    right = tips + back @ np.array([[np.cos(-0.5), np.sin(-0.5)], [-np.sin(-0.5), np.cos(-0.5)]])
    gap = np.full_like(points, np.nan)
    strokes = np.stack([points, tips, gap, left, tips, right, gap], axis=1)     # (N, 7, 2)
    return strokes[..., 0].ravel(), strokes[..., 1].ravel()


FULL_CELL = 85.0                    # |s| = 85 is drawn one grid spacing long, at every t; then 5 is ½, 1 is ¼
LINEAR_BELOW = 1 / 3                # below about this size arrows grow in proportion to |s|, above it with log |s|
TITLE_WIDTH, NOTE_WIDTH = 34, 46    # characters a line of the title, of the scale's note under it: they fit a phone
LINE = 24                           # pixels a line of either takes


def arrow_lengths(sizes: np.ndarray, spacing: float) -> np.ndarray:
    """Drawn lengths of arrows of sizes |s|, proportional to log(1 + |s| / LINEAR_BELOW): one scale for every t, so
    that the field's growth as t falls shows (on the spiral |s| is about 2 at t = 900, about 50 at t = 20), and both
    still fit the grid. |s| = FULL_CELL is one grid spacing long, |s| = 0 has no length."""
    return spacing * np.log1p(sizes / LINEAR_BELOW) / np.log1p(FULL_CELL / LINEAR_BELOW)


def drawn(vectors: np.ndarray, spacing: float) -> np.ndarray:
    """The arrows (N, 2) as drawn: each in its own direction, as long as arrow_lengths says."""
    sizes = np.linalg.norm(vectors, axis=1, keepdims=True)                      # (N, 1)
    return vectors / np.maximum(sizes, 1e-12) * arrow_lengths(sizes, spacing)


def scale_note(fields: dict[str, np.ndarray], labels: dict[str, str]) -> list[str]:
    """The arrows' scale in words, then the mean size |s| of each field drawn: lines of at most NOTE_WIDTH
    characters, for under the title (a phone's screen too), broken between two fields, not inside one."""
    half, quarter = (LINEAR_BELOW * ((1 + FULL_CELL / LINEAR_BELOW) ** part - 1) for part in (0.5, 0.25))
    means = [(labels[name], float(np.linalg.norm(vectors, axis=1).mean())) for name, vectors in fields.items()]
    lines = ["Arrows on one log scale for every t:",
             f"|s| = {FULL_CELL:g} is 1 grid cell, {half:.2g} is ½, {quarter:.2g} is ¼", "mean |s| here:"]
    pieces = [f"{means[0][1]:.1f}"] if len(means) == 1 else \
        [f"{'· ' * (i > 0)}{label}: {mean:.1f}" for i, (label, mean) in enumerate(means)]
    for piece in pieces:
        if len(lines[-1]) + 1 + len(piece) > NOTE_WIDTH:
            lines.append(piece)
        else:
            lines[-1] += " " + piece
    return lines


def field_figure(grid: np.ndarray, fields: dict[str, np.ndarray], labels: dict[str, str], data: np.ndarray,
                 title: str, limits: tuple[float, float], spacing: float,
                 probe: tuple[float, float] | None = None) -> go.Figure:
    """Arrow fields at grid points (N, 2), each (N, 2), drawn over the data (faint), all on one fixed scale, which
    the title states under its first line; probe: the point whose numbers a formula reads, marked ◆."""
    traces = [go.Scattergl(x=data[:, 0], y=data[:, 1], mode="markers", name="the data x₀",
                           marker=dict(MARKER, color=DATA_COLOUR, opacity=0.25))]
    for name, vectors in fields.items():
        x, y = arrow_segments(grid, drawn(vectors, spacing))
        traces.append(go.Scattergl(x=x, y=y, mode="lines", name=labels[name], hoverinfo="skip",
                                   line=dict(color=FIELD_COLOURS[name], width=FIELD_WIDTHS[name])))
    if probe is not None:
        marker = dict(symbol="diamond", size=13, color="black", line=dict(color="white", width=2))
        traces.append(go.Scatter(x=[probe[0]], y=[probe[1]], mode="markers", name="◆ the card's point", marker=marker))
    fig = go.Figure(traces)
    lines = wrapped(title, TITLE_WIDTH).split("<br>") + [f"<sup>{line}</sup>" for line in scale_note(fields, labels)]
    fig.update_layout(legend=dict(orientation="h", y=-0.12), margin_t=66 + LINE * len(lines),   # title, note, plot
                      title=dict(yref="container", y=1, yanchor="top", pad_t=52))              # below gr.Plot's label
    return styled(square(fig, limits), "<br>".join(lines), height=484 + LINE * len(lines))


def paths_figure(panels: dict[str, np.ndarray], data: np.ndarray, shown: int, limits: tuple[float, float]) -> go.Figure:
    """Side by side, one sampler a panel: paths (S + 1, n, 2) from the same starting noise, the first `shown` of them
    drawn whole, every sample's end marked. A panel's title may have lines (<br>): the figure makes room for them."""
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels), horizontal_spacing=0.06)
    for col, (name, path) in enumerate(panels.items(), start=1):
        fig.add_trace(go.Scattergl(x=data[:, 0], y=data[:, 1], mode="markers", showlegend=col == 1, name="the data",
                                   marker=dict(MARKER, color=DATA_COLOUR, opacity=0.25)), row=1, col=col)
        lines = np.concatenate([path[:, :shown], np.full((1, min(shown, path.shape[1]), 2), np.nan)])   # (S+2, k, 2)
        lines = lines.transpose(1, 0, 2).reshape(-1, 2)
        fig.add_trace(go.Scattergl(x=lines[:, 0], y=lines[:, 1], mode="lines", name="paths", showlegend=col == 1,
                                   line=dict(color=COLORS[0], width=1), opacity=0.6, hoverinfo="skip"), row=1, col=col)
        fig.add_trace(go.Scattergl(x=path[0, :shown, 0], y=path[0, :shown, 1], mode="markers", name="start (noise)",
                                   showlegend=col == 1, marker=dict(size=5, color=COLORS[4])), row=1, col=col)
        fig.add_trace(go.Scattergl(x=path[-1, :, 0], y=path[-1, :, 1], mode="markers", name="samples",
                                   showlegend=col == 1, marker=dict(MARKER, color=COLORS[1])), row=1, col=col)
    fig.update_layout(legend=dict(orientation="h", y=-0.12))
    lines = max(title.count("<br>") for title in panels) + 1
    styled(square(fig, limits, len(panels)), None, height=456 + LINE * lines)
    return fig.update_layout(margin_t=LINE * lines)                             # room for the titles' lines


OFF_SCALE = 3.0                     # the marginals' y axis ends at this many times the data's highest density


def marginals_figure(samples: dict[str, np.ndarray], data: np.ndarray, limits: tuple[float, float]) -> go.Figure:
    """Densities of x and of y as step lines (40 bins over the plotted range): the data, thick and grey, against
    each sampler's samples, so that every curve stays visible where they overlap. The y axis ends at OFF_SCALE
    times the data's highest density: a pile's spike runs off the top (its legend says how high) rather than
    flattening every other curve."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["x", "y"], horizontal_spacing=0.08)
    edges = np.linspace(*limits, 41)
    centres = (edges[:-1] + edges[1:]) / 2
    named = {"the data": data, **samples}
    densities = {name: [np.histogram(points[:, col], bins=edges, density=True)[0] for col in (0, 1)]
                 for name, points in named.items()}                                 # name -> [(40,), (40,)]
    ceiling = OFF_SCALE * max(d.max() for d in densities["the data"])
    for i, (name, pair) in enumerate(densities.items()):
        peak = max(d.max() for d in pair)
        label = f"{name} (peak {peak:.1f}, off the scale)" if peak > ceiling else name
        for col, density in enumerate(pair, start=1):
            fig.add_trace(go.Scatter(x=centres, y=density, mode="lines", line_shape="hvh", name=label,
                                     showlegend=col == 1, line=dict(color=DATA_COLOUR if i == 0 else COLORS[i],
                                                                    width=5 if i == 0 else 2)), row=1, col=col)
    fig.update_yaxes(range=[0, ceiling])
    fig.update_layout(legend=dict(orientation="h", y=-0.18))
    return styled(fig, "Final samples against the data: densities of x and y", height=360)


def guidance_figure(samples: dict[float, np.ndarray], data: np.ndarray, class_name: str,
                    limits: tuple[float, float]) -> go.Figure:
    """One panel per guidance weight w: the samples asked for one class, over the whole data set (faint)."""
    fig = make_subplots(rows=1, cols=len(samples), subplot_titles=[f"w = {w:g}" for w in samples],
                        horizontal_spacing=0.03)
    for col, points in enumerate(samples.values(), start=1):
        fig.add_trace(go.Scattergl(x=data[:, 0], y=data[:, 1], mode="markers", showlegend=col == 1, name="the data",
                                   marker=dict(MARKER, color=DATA_COLOUR, opacity=0.2)), row=1, col=col)
        fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", showlegend=col == 1,
                                   name=f"samples asked for {class_name}", marker=dict(MARKER, color=COLORS[1])),
                      row=1, col=col)
    fig.update_layout(legend=dict(orientation="h", y=-0.15))
    return styled(square(fig, limits, len(samples)), f"Guided samples of {class_name}: a panel per w", height=360)
