"""The playground's pictures, from data: the output over the plane with the points, the network with every neuron
as a tile of its value over the plane and every weight as a line, the cost curves, and the network as a PNG."""
import base64
import io
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from components.style import DIVERGING, NEGATIVE, POSITIVE, styled

CLASS_COLOURS = ("#ea580c", "#2563eb", "#16a34a")     # class 0 orange, 1 blue, 2 green (Playground's two first)
TILE, GAP = 25, 9                 # a tile's cells (the tile grid) and the cells between two tiles; TILE + GAP even
MAX_CURVE_POINTS = 400            # a longer cost curve is thinned for the page (its last point always kept)
WIDTH_BINS = (0.25, 0.75, 1.5)    # |w| edges of the line widths (one plotly trace per sign and width)
LINE_WIDTHS = (0.6, 1.2, 2.2, 3.5)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def class_scale(n_classes: int) -> list:
    """A colour scale over z in [0, n_classes]: z = k + c is class k with confidence c (white at c = 0)."""
    scale = []
    for k in range(n_classes):
        scale += [[k / n_classes, "#ffffff"], [(k + 1) / n_classes - 1e-9, CLASS_COLOURS[k]]]
    scale[-1][0] = 1.0
    return scale


def class_confidence(output: np.ndarray) -> np.ndarray:
    """(…, K) outputs -> (…) z = k + c: the answer k (largest a_j) and its lead c = a_k − max_{j≠k} a_j in [0, 1)."""
    order = np.sort(output, axis=-1)
    lead = np.clip(order[..., -1] - order[..., -2], 0, 0.999)
    return output.argmax(axis=-1) + lead


def boundary(axis: np.ndarray, output: np.ndarray, train: tuple, test: tuple, title: str) -> go.Figure:
    """axis (R,); output (R, R, K) over the plane, row i at y = axis[i]; train/test = (points (n, 2), labels (n,))."""
    n_classes = output.shape[-1]
    values = ", ".join(f"a{j + 1} = %{{customdata[{j}]:.2f}}" for j in range(n_classes))
    fig = go.Figure(go.Heatmap(
        x=axis, y=axis, z=class_confidence(output), customdata=np.round(output, 3), zmin=0, zmax=n_classes,
        colorscale=class_scale(n_classes), showscale=False, opacity=0.75, name="answer (class + how sure)",
        hovertemplate=f"(%{{x:.1f}}, %{{y:.1f}}): {values}<extra></extra>"))
    for (points, labels), name, symbol in ((train, "training", "circle"), (test, "test", "circle-open")):
        for k in range(n_classes):
            mine = points[labels == k]
            fig.add_trace(go.Scatter(
                x=mine[:, 0], y=mine[:, 1], mode="markers", name=f"{name}, class {k}", legendgroup=name,
                marker=dict(color=CLASS_COLOURS[k], size=7, symbol=symbol,
                            line=dict(color="white" if name == "training" else CLASS_COLOURS[k], width=1.5)),
                hovertemplate=f"{name} point, class {k}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    extent = float(axis[-1])
    fig.update_xaxes(range=[-extent, extent], title="x", constrain="domain")
    fig.update_yaxes(range=[-extent, extent], title="y", scaleanchor="x", constrain="domain")
    fig.update_layout(legend=dict(orientation="h", y=-0.18, font=dict(size=12)))
    return styled(fig, title, height=460)


def cost_curves(train_cost: Sequence[float], test_cost: Sequence[float], title: str) -> go.Figure:
    """C on the training and the test points against the epoch (thinned to MAX_CURVE_POINTS)."""
    epochs = np.arange(len(train_cost))
    keep = np.unique(np.r_[np.linspace(0, len(epochs) - 1, MAX_CURVE_POINTS).astype(int), len(epochs) - 1])
    fig = go.Figure()
    for costs, name, colour in ((train_cost, "training cost", "#1f2937"), (test_cost, "test cost", NEGATIVE)):
        fig.add_trace(go.Scatter(x=epochs[keep], y=np.asarray(costs, dtype=np.float64)[keep], name=name,
                                 mode="lines", line=dict(color=colour, width=3),
                                 hovertemplate="epoch %{x}: C = %{y:.4f}<extra>" + name + "</extra>"))
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="C", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))
    return styled(fig, title, height=300)


@dataclass(frozen=True)
class Layout:
    """Where each neuron's tile sits, in cells of the composite picture: columns are layers, input first."""
    sizes: tuple[int, ...]
    rows: int                              # the picture's height in cells
    columns: int                           # its width in cells

    @staticmethod
    def of(sizes: Sequence[int]) -> "Layout":
        pitch = TILE + GAP
        return Layout(tuple(sizes), max(sizes) * pitch - GAP, len(sizes) * (TILE + 4 * GAP) - 4 * GAP)

    def corner(self, layer: int, neuron: int) -> tuple[int, int]:
        """The (row, column) of the tile's first cell; a column with fewer neurons is centred."""
        pitch = TILE + GAP
        offset = (max(self.sizes) - self.sizes[layer]) * pitch // 2
        return offset + neuron * pitch, layer * (TILE + 4 * GAP)


def scaled_tile(values: np.ndarray) -> np.ndarray:
    """A neuron's values over the plane scaled by their own largest |value| into [-1, 1] (an all-zero tile stays 0)."""
    peak = float(np.abs(values).max()) if values.size else 0.0
    return values / peak if peak > 0 else values


def composite(tiles: Sequence[np.ndarray], layout: Layout) -> np.ndarray:
    """tiles[l]: (TILE, TILE, neurons) of layer l, row 0 at the bottom of the plane -> (rows, columns) with NaN gaps,
    row 0 at the top (the picture's order: y flipped)."""
    picture = np.full((layout.rows, layout.columns), np.nan)
    for layer, values in enumerate(tiles):
        for neuron in range(values.shape[-1]):
            row, column = layout.corner(layer, neuron)
            picture[row:row + TILE, column:column + TILE] = scaled_tile(values[::-1, :, neuron])
    return picture


def weight_lines(layout: Layout, weights: Sequence[np.ndarray]):
    """Yield (x0, y0, x1, y1, w, layer, source, target) for every weight, in cell coordinates (y down)."""
    for layer, matrix in enumerate(weights):                       # matrix W^(layer+1): (out, in)
        for target in range(matrix.shape[0]):
            for source in range(matrix.shape[1]):
                r0, c0 = layout.corner(layer, source)
                r1, c1 = layout.corner(layer + 1, target)
                yield (c0 + TILE, r0 + TILE / 2, c1, r1 + TILE / 2, float(matrix[target, source]), layer, source,
                       target)


def line_width(w: float) -> float:
    return LINE_WIDTHS[int(np.searchsorted(WIDTH_BINS, abs(w)))]


def neuron_name(layer: int, neuron: int, names: Sequence[str], n_layers: int) -> str:
    if layer == 0:
        return names[neuron]
    return f"output {neuron + 1}" if layer == n_layers else f"layer {layer} neuron {neuron + 1}"


def tiles_png(tiles: Sequence[np.ndarray], layout: Layout, scale: int = 2) -> bytes:
    """Every tile in its place, as one PNG (RGBA: transparent between tiles), each cell scale x scale pixels."""
    picture = composite(tiles, layout)                                        # (rows, columns), NaN between tiles
    alpha = np.where(np.isfinite(picture), 255, 0).astype(np.uint8)[..., None]
    rgba = np.concatenate([diverging_rgb(picture), alpha], axis=-1).repeat(scale, axis=0).repeat(scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def network(tiles: Sequence[np.ndarray], weights: Sequence[np.ndarray], feature_names: Sequence[str],
            title: str) -> go.Figure:
    """Every neuron as a tile of its value over the plane (blue > 0, red < 0, each tile scaled to its own largest
    |value|), every weight as a line (colour = sign, width = size; hover the dot at its middle to read it).
    The tiles are one picture (a PNG of a few kB, where a heatmap of every cell would send a megabyte a redraw)."""
    layout = Layout.of([t.shape[-1] for t in tiles])
    fig = go.Figure()
    fig.add_layout_image(source="data:image/png;base64," + base64.b64encode(tiles_png(tiles, layout)).decode(),
                         xref="x", yref="y", x=-0.5, y=-0.5, sizex=layout.columns, sizey=layout.rows,
                         xanchor="left", yanchor="top", sizing="stretch", layer="above")
    lines, middles = {}, ([], [], [])
    n_layers = len(tiles) - 1
    for x0, y0, x1, y1, w, layer, source, target in weight_lines(layout, weights):
        xs, ys = lines.setdefault((w >= 0, line_width(w)), ([], []))
        xs += [x0 - 0.5, x1 - 0.5, None]
        ys += [y0 - 0.5, y1 - 0.5, None]
        middles[0].append((x0 + x1) / 2 - 0.5), middles[1].append((y0 + y1) / 2 - 0.5)
        middles[2].append(f"w = {w:.3f}<br>{neuron_name(layer, source, feature_names, n_layers)} → "
                          f"{neuron_name(layer + 1, target, feature_names, n_layers)}")
    for (positive, width), (xs, ys) in sorted(lines.items()):
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line=dict(color=POSITIVE if positive else NEGATIVE, width=width), opacity=0.5))
    fig.add_trace(go.Scatter(x=middles[0], y=middles[1], text=middles[2], mode="markers", showlegend=False,
                             marker=dict(size=9, color="rgba(0,0,0,0)"), hovertemplate="%{text}<extra></extra>"))
    for layer, label in enumerate(column_labels(len(tiles))):
        column = layout.corner(layer, 0)[1] + TILE / 2
        fig.add_annotation(x=column, y=-4, text=label, showarrow=False, font=dict(size=14), yanchor="bottom")
    for neuron, name in enumerate(feature_names):
        row = layout.corner(0, neuron)[0]
        fig.add_annotation(x=-1.5, y=row + TILE / 2, text=name, showarrow=False, xanchor="right", font=dict(size=14))
    fig.update_xaxes(visible=False, range=[-24, layout.columns + 2])
    fig.update_yaxes(visible=False, scaleanchor="x", range=[layout.rows + 2, -10])
    fig.update_layout(meta=dict(summary=network_summary(layout.sizes, weights)))
    fig.update_layout(plot_bgcolor="white", margin=dict(l=8, r=8, t=48, b=8))
    return styled(fig, title, height=max(340, 60 + int(layout.rows * 2.4)))


def network_summary(sizes: Sequence[int], weights: Sequence[np.ndarray]) -> str:
    """The network in words, for a screen reader: its layers and the range of its weights."""
    values = np.concatenate([np.ravel(w) for w in weights]) if weights else np.zeros(0)
    layers = ", ".join(f"{label} ({size})" for label, size in zip(column_labels(len(sizes)), sizes))
    shown = f"; {values.size} weights from {values.min():.3g} to {values.max():.3g}" if values.size else ""
    return f"Neurons per layer: {layers}{shown}."


def network_png(tiles: Sequence[np.ndarray], weights: Sequence[np.ndarray], feature_names: Sequence[str],
                scale: int = 4) -> bytes:
    """The same picture as network(), drawn with Pillow: a PNG to download (tiles, lines, names of the columns)."""
    from PIL import ImageFont

    layout = Layout.of([t.shape[-1] for t in tiles])
    left, top, font = 90, 40, ImageFont.load_default(size=22)
    image = Image.new("RGB", (layout.columns * scale + left + 10, layout.rows * scale + top + 10), "white")
    lines = Image.new("RGBA", image.size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(lines)
    for x0, y0, x1, y1, w, *_ in weight_lines(layout, weights):
        colour = tuple(int(c) for c in _rgb(POSITIVE if w >= 0 else NEGATIVE)) + (150,)
        draw.line([(left + x0 * scale, top + y0 * scale), (left + x1 * scale, top + y1 * scale)], fill=colour,
                  width=round(2 * line_width(w)))
    image.paste(lines, (0, 0), lines)
    picture = composite(tiles, layout)                                        # (rows, columns), NaN between tiles
    tile_image = Image.fromarray(diverging_rgb(picture)).resize((layout.columns * scale, layout.rows * scale),
                                                                Image.NEAREST)
    mask = Image.fromarray((np.isfinite(picture) * 255).astype(np.uint8)).resize(tile_image.size, Image.NEAREST)
    image.paste(tile_image, (left, top), mask)
    text = ImageDraw.Draw(image)
    for neuron, name in enumerate(feature_names):
        row = layout.corner(0, neuron)[0]
        text.text((left - 8, top + (row + TILE / 2) * scale), name, fill="#1f2937", font=font, anchor="rm")
    for layer, label in enumerate(column_labels(len(tiles))):
        column = layout.corner(layer, 0)[1]
        text.text((left + (column + TILE / 2) * scale, 4), label, fill="#1f2937", font=font, anchor="mt")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def column_labels(n_columns: int) -> list[str]:
    return ["inputs", *[f"layer {l}" for l in range(1, n_columns - 1)], "output"]


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """[-1, 1] -> uint8 RGB along DIVERGING (red, near-white, blue); NaN -> white."""
    stops = np.array([_rgb(colour) for _, colour in DIVERGING])               # (3, 3)
    v = np.nan_to_num(np.clip((np.asarray(values, dtype=np.float64) + 1) / 2, 0, 1), nan=0.5)
    channels = [np.interp(v, [0, 0.5, 1], stops[:, k]) for k in range(3)]
    rgb = np.stack(channels, axis=-1)
    rgb[~np.isfinite(values)] = 255
    return rgb.astype(np.uint8)


CANVAS = 360                      # the side of the click-to-add-points picture, in pixels


def canvas_to_plane(px: float, py: float, extent: float) -> tuple[float, float]:
    """A click at pixel (px, py) of the canvas (y down) -> the point (x, y) of the plane [-extent, extent]²."""
    return px / (CANVAS - 1) * 2 * extent - extent, extent - py / (CANVAS - 1) * 2 * extent


def points_canvas(points: Sequence[Sequence[float]], extent: float) -> np.ndarray:
    """The plane as a picture to click on: a grid every unit, the axes, and the learner's points [x, y, label]."""
    image = Image.new("RGB", (CANVAS, CANVAS), "white")
    draw = ImageDraw.Draw(image)

    def pixel(x: float, y: float) -> tuple[float, float]:
        return (x + extent) / (2 * extent) * (CANVAS - 1), (extent - y) / (2 * extent) * (CANVAS - 1)

    for k in range(-int(extent), int(extent) + 1):
        colour = "#94a3b8" if k == 0 else "#e2e8f0"
        draw.line([pixel(k, -extent), pixel(k, extent)], fill=colour, width=1)
        draw.line([pixel(-extent, k), pixel(extent, k)], fill=colour, width=1)
    for x, y, label in points:
        cx, cy = pixel(x, y)
        draw.ellipse((cx - 5, cy - 5, cx + 5, cy + 5), fill=CLASS_COLOURS[int(label)], outline="white", width=1)
    return np.asarray(image)
