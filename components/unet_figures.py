"""Figures of the digit U-Net opened up and asked about its training task, built from data (arrays in, go.Figure
out): the levels drawn as a U with a few feature maps each and the skips across it, a table of images, and the
training loss across t."""
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.diffusion_figures import IMAGE_RANGE, NOISE_RANGE
from components.network_figures import tile_images
from components.style import COLORS, DIVERGING, NEGATIVE, styled

GREY = [[0.0, "black"], [1.0, "white"]]
SHOWN_CHANNELS = 4           # the feature maps drawn per level (a 2 x 2 mosaic)


@dataclass(frozen=True)
class Level:
    name: str                # core.unet_probe's level name: down.{i}, mid, up.{i}
    maps: np.ndarray         # (k, h, w) the channels drawn, most varied first
    channels: Sequence[int]  # (k,) their channel numbers
    width: int               # the level's number of channels C
    cut: bool = False        # the bottleneck cut (mid), or the skips into this up block cut (up.{i})
    skips: Sequence[int] = ()   # up.{i}: the channels of each skip tensor it concatenates


def place(name: str, depth: int) -> tuple[int, int]:
    """(row, column) of a level in the U, 0-based: row = how many times the picture was halved; the input x_t is
    column 0 and the output eps_hat the last. depth: the number of down blocks."""
    kind, _, index = name.partition(".")
    if kind == "down":
        return int(index), 1 + int(index)
    if kind == "mid":
        return depth - 1, 1 + depth
    return depth - 1 - int(index), 2 + depth + int(index)


def mosaic(maps: np.ndarray) -> np.ndarray:
    """(k, h, w) -> a 2-column mosaic, each map divided by its own largest |value| (an all-zero map stays 0)."""
    peak = np.abs(maps).reshape(len(maps), -1).max(axis=1)                               # (k,)
    scaled = maps / np.where(peak > 0, peak, 1.0)[:, None, None]
    return tile_images(scaled, columns=2, gap=1)


def level_title(level: Level, size: int) -> str:
    kind = {"down": "encoder", "mid": "bottleneck", "up": "decoder"}[level.name.partition(".")[0]]
    return f"<b>{kind} {size}×{size}</b><br>{level.width} channels" + (" · <b>cut</b>" if level.cut and
                                                                        level.name == "mid" else "")


def cell_box(fig: go.Figure, row: int, column: int) -> tuple[float, float, float, float]:
    """The paper coordinates (x0, x1, y0, y1) of a subplot cell (1-based row and column)."""
    axes = fig.get_subplot(row, column)
    return (*axes.xaxis.domain, *axes.yaxis.domain)


def skip_path(fig: go.Figure, start: tuple, end: tuple, low: bool, level: Level) -> None:
    """The skip from an encoder cell to the decoder cell at the same size: a line across (below the cells when
    the bottleneck sits between them), labelled with what it concatenates, dashed and red when cut."""
    (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = start, end
    middle = (ay0 + ay1) / 2
    if low:
        y = ay0 - 0.05
        path = f"M {(ax0 + ax1) / 2},{ay0} L {(ax0 + ax1) / 2},{y} L {(bx0 + bx1) / 2},{y} L {(bx0 + bx1) / 2},{by0}"
    else:
        y = middle
        path = f"M {ax1},{y} L {bx0},{y}"
    colour = NEGATIVE if level.cut else "#6b7280"
    fig.add_shape(type="path", path=path, xref="paper", yref="paper",
                  line=dict(color=colour, width=3, dash="dash" if level.cut else "solid"))
    label = ("✂ skips cut: zeros concatenated" if level.cut else
             "skips, concatenated: " + " ".join(f"+{c}" for c in level.skips) + " channels")
    fig.add_annotation(x=(ax1 + bx0) / 2, y=y, xref="paper", yref="paper", text=label, showarrow=False,
                       yanchor="bottom", font=dict(size=13, color=colour), bgcolor="rgba(255,255,255,0.85)")


def square_cells(fig: go.Figure) -> None:
    """Every subplot an image: no axes, row 0 on top, square pixels."""
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    for k in range(1, len(fig.data) + 1):                                                # one trace per cell
        suffix = "" if k == 1 else str(k)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"


def main_path(fig: go.Figure, boxes: list[tuple]) -> None:
    """The way through the U, cell to cell: right along a row, down into the next level (halved: "½") or up out
    of it (doubled: "×2"), each with an arrowhead."""
    for (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) in zip(boxes, boxes[1:]):
        a_mid, b_mid = (ay0 + ay1) / 2, (by0 + by1) / 2
        if abs(a_mid - b_mid) < 1e-6:                                                    # along a row
            path, end, tail, text = f"M {ax1},{a_mid} L {bx0},{b_mid}", (bx0, b_mid), (-18, 0), ""
        elif b_mid < a_mid:                                                              # down a level
            x = (ax0 + ax1) / 2
            path, end, tail, text = f"M {x},{ay0} L {x},{b_mid} L {bx0},{b_mid}", (bx0, b_mid), (-18, 0), "½"
        else:                                                                            # up a level
            x = (bx0 + bx1) / 2
            path, end, tail, text = f"M {ax1},{a_mid} L {x},{a_mid} L {x},{by0}", (x, by0), (0, 18), "×2"
        fig.add_shape(type="path", path=path, xref="paper", yref="paper", line=dict(color="#9ca3af", width=2))
        fig.add_annotation(x=end[0], y=end[1], xref="paper", yref="paper", ax=tail[0], ay=tail[1], text="",
                           showarrow=True, arrowhead=2, arrowsize=1.2, arrowcolor="#9ca3af")
        if text:
            fig.add_annotation(x=(ax0 + ax1) / 2 if text == "½" else (bx0 + bx1) / 2, y=(a_mid + b_mid) / 2,
                               xref="paper", yref="paper", text=text, showarrow=False, xanchor="left", xshift=4,
                               font=dict(size=14, color="#6b7280"))


def unet_levels(levels: Sequence[Level], x_t: np.ndarray, eps: np.ndarray, title: str) -> go.Figure:
    """The U: the input x_t, each level's strongest channels (2 x 2, blue > 0 > red, each map scaled to its own
    largest |value|) at its place, the predicted noise, and the skips across."""
    depth = sum(level.name.startswith("down") for level in levels)
    rows, columns = depth, 3 + 2 * depth
    taken = {place(level.name, depth): level for level in levels}
    taken[(0, 0)] = taken[(0, columns - 1)] = None                                       # x_t and eps_hat
    specs = [[{} if (r, c) in taken else None for c in range(columns)] for r in range(rows)]
    fig = make_subplots(rows=rows, cols=columns, specs=specs, horizontal_spacing=0.018, vertical_spacing=0.16)
    size = x_t.shape[-1]
    pictures = [(0, 0, x_t, GREY, IMAGE_RANGE, "<b>input xₜ</b>", "xₜ"),
                (0, columns - 1, eps, DIVERGING, NOISE_RANGE, "<b>output ε̂</b><br>(with the digit)", "ε̂")]
    for level in levels:
        r, c = place(level.name, depth)
        side = size // 2 ** r
        pictures.append((r, c, mosaic(level.maps), DIVERGING, (-1.0, 1.0), level_title(level, side),
                         "ch " + ", ".join(map(str, level.channels))))
    for r, c, image, colours, zrange, text, hover in pictures:
        fig.add_trace(go.Heatmap(z=image, colorscale=colours, zmin=zrange[0], zmax=zrange[1], showscale=False,
                                 hoverongaps=False, hovertemplate=f"{hover}: %{{z:.2f}}<extra></extra>"),
                      row=r + 1, col=c + 1)
        x0, x1, _, y1 = cell_box(fig, r + 1, c + 1)
        fig.add_annotation(x=(x0 + x1) / 2, y=y1 + 0.01, xref="paper", yref="paper", text=text, showarrow=False,
                           yanchor="bottom", font=dict(size=13))
    order = sorted(taken, key=lambda cell: cell[1])                                      # left to right
    main_path(fig, [cell_box(fig, r + 1, c + 1) for r, c in order])
    for level in levels:
        if level.name.startswith("up"):
            i = int(level.name.partition(".")[2])
            start = cell_box(fig, *[v + 1 for v in place(f"down.{depth - 1 - i}", depth)])
            end = cell_box(fig, *[v + 1 for v in place(level.name, depth)])
            skip_path(fig, start, end, low=i == 0, level=level)
    square_cells(fig)
    fig = styled(fig, title, height=170 * rows + 200)
    fig.update_layout(margin=dict(l=10, r=10, t=110, b=60), plot_bgcolor="rgba(0,0,0,0)")
    return fig


def image_table(rows: Sequence[Sequence[np.ndarray]], column_titles: Sequence[str], row_titles: Sequence[str],
                title: str, zranges: Sequence[tuple[float, float]] | None = None, height: int | None = None,
                diverging: Sequence[bool] | None = None) -> go.Figure:
    """Images (H, W) in a table: a title over each column, one beside each row; column j in zranges[j] (default:
    the image range [-1, 1]), grey, or red-white-blue where diverging[j]."""
    n_rows, n_columns = len(rows), len(column_titles)
    zranges = zranges or [IMAGE_RANGE] * n_columns
    diverging = diverging or [False] * n_columns
    fig = make_subplots(rows=n_rows, cols=n_columns, column_titles=list(column_titles), row_titles=list(row_titles),
                        horizontal_spacing=0.03, vertical_spacing=0.08)
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            fig.add_trace(go.Heatmap(z=np.asarray(image, dtype=np.float64), zmin=zranges[c][0], zmax=zranges[c][1],
                                     colorscale=DIVERGING if diverging[c] else GREY, showscale=False,
                                     hovertemplate="row %{y}, column %{x}: %{z:.2f}<extra></extra>"),
                          row=r + 1, col=c + 1)
    square_cells(fig)
    fig = styled(fig, title, height=height or 230 * n_rows + 110)
    fig.update_annotations(font=dict(size=14))
    fig.update_layout(margin=dict(l=10, r=40, t=100, b=10))
    return fig


def loss_curve(timesteps: Sequence[int], losses: np.ndarray, t: int, loss_at_t: float, title: str) -> go.Figure:
    """The training loss (K timesteps, N noises): each noise's curve faint, their mean bold, the current example
    marked, and the loss of guessing no noise at all (eps_hat = 0 scores E[eps^2] = 1)."""
    losses = np.asarray(losses, dtype=np.float64)                                        # (K, N)
    fig = go.Figure()
    for n in range(losses.shape[1]):
        fig.add_trace(go.Scatter(x=list(timesteps), y=losses[:, n], mode="lines", showlegend=n == 0,
                                 name="one noise ε each", line=dict(width=1, color="#9ca3af"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=list(timesteps), y=losses.mean(axis=1), mode="lines+markers",
                             name=f"mean over the {losses.shape[1]} noises", line=dict(width=4, color=COLORS[0]),
                             marker=dict(size=8), hovertemplate="t = %{x}: loss %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[t], y=[loss_at_t], mode="markers", name=f"this example (t = {t})",
                             marker=dict(size=15, color=COLORS[1], line=dict(width=2, color="white")),
                             hovertemplate="t = %{x}: loss %{y:.4f}<extra></extra>"))
    fig.add_hline(y=1.0, line=dict(color="#6b7280", dash="dot"))
    fig.add_annotation(x=999, y=0.0, text="guessing ε̂ = 0 scores 1", showarrow=False, xanchor="right",
                       yanchor="top", font=dict(color="#6b7280"))                        # y: log10(1) on a log axis
    top = max(1.5, float(np.nanmax(losses)) * 1.5, loss_at_t * 1.5)
    bottom = max(min(float(np.nanmin(losses)), loss_at_t), 1e-6)
    fig.update_layout(xaxis=dict(title="timestep t", range=[-10, 1009]),
                      yaxis=dict(title="loss: mean (ε̂ − ε)² (log)", type="log",
                                 range=[np.log10(bottom) - 0.1, np.log10(top)], exponentformat="power"),
                      legend=dict(orientation="h", y=-0.25, x=0))
    fig = styled(fig, title, height=420)
    fig.update_layout(margin=dict(l=70, r=24, t=60, b=110))
    return fig
