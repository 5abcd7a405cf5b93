"""Figures of cost landscapes: a 3-D surface and a contour map with descent paths, the gradient arrow and its
negative, and the cost against the examples processed (data in, figures out)."""
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from components.style import COLORS, copy_figure, styled

ARROW_FRACTION = 0.16     # the gradient arrows are drawn this long (of the shorter axis), whatever |grad C| is
UPHILL, DOWNHILL = COLORS[1], COLORS[2]


def hover(names) -> str:
    return f"{names[0]} %{{x:.2f}}, {names[1]} %{{y:.2f}}: %{{z:.3g}}<extra></extra>"


@dataclass(frozen=True)
class PathTrace:
    name: str                  # legend entry, e.g. "gradient descent" or "mini-batch SGD (B = 16)"
    points: np.ndarray         # (k, 2) the parameters at each step
    heights: np.ndarray        # (k,) what the map shows at those points (the cost, or its log view)
    colour: str


def light(heights) -> np.ndarray:
    """A grid as float32: plotly sends arrays as raw bytes, so a redraw's 81 x 81 grid is half the size (35 kB, not 70)
    and seven significant digits are more than a figure shows."""
    return np.asarray(heights, dtype=np.float32)


def surface_3d(xs, ys, heights, title: str, names: tuple[str, str, str], paths: list[PathTrace] = (),
               marker: tuple[float, float, float] | None = None, height: int = 520) -> go.Figure:
    """heights: (len(ys), len(xs)). names: the x, y and height axes' titles. marker: one (x, y, height) point."""
    return with_paths_3d(surface_base(xs, ys, heights, title, names, height), heights, paths, marker)


def surface_base(xs, ys, heights, title: str, names: tuple[str, str, str], height: int = 520) -> go.Figure:
    """The styled surface alone. Styling costs most of a figure's time: a panel that redraws paths on the same
    surface builds this once and copies it (copy_figure), then adds the paths with with_paths_3d. The level lines
    are drawn on the surface, not projected onto the floor as well: the projection cost 0.4 s of each 0.65 s draw in
    Chromium without a GPU (the contour map beside it is that projection)."""
    fig = go.Figure(go.Surface(x=xs, y=ys, z=light(heights), colorscale="Viridis", opacity=0.9, showscale=False,
                               contours=dict(z=dict(show=True, usecolormap=True)),
                               hovertemplate=hover(names)))

    def axis(name):                                     # five ticks an axis: more crowd each other in 3-D
        return dict(title=dict(text=name, font=dict(size=15)), tickfont=dict(size=12), nticks=5)
    fig.update_layout(scene=dict(xaxis=axis(names[0]), yaxis=axis(names[1]), zaxis=axis(names[2]),
                                 camera=dict(eye=dict(x=1.8, y=-1.8, z=1.4))),
                      legend=dict(orientation="h", y=-0.02))
    fig = styled(fig, title, height=height)
    fig.update_layout(margin=dict(l=0, r=0, t=56, b=0))
    return fig


def steps_inside(points: np.ndarray, xs, ys) -> int:
    """How many of a path's first points lie inside the plotted square (finite, within xs and ys): a path that
    diverges is drawn up to where it left, and that step is named, instead of the axes following it out."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    inside = (np.isfinite(points).all(axis=1) & (points[:, 0] >= xs.min()) & (points[:, 0] <= xs.max())
              & (points[:, 1] >= ys.min()) & (points[:, 1] <= ys.max()))
    return len(points) if inside.all() else int(np.argmin(inside))


def left_at(path: PathTrace, k: int) -> str:
    return f"{path.name}: left the plotted range at step {k}"


def with_paths_3d(base: go.Figure, heights, paths: list[PathTrace] = (),
                  marker: tuple[float, float, float] | None = None) -> go.Figure:
    """A copy of a surface figure with descent paths (and the current point) added; base is left unchanged. The
    axes keep the surface's range; a path that leaves it is drawn up to its last point inside, marked there."""
    fig = copy_figure(base)
    xs, ys = np.asarray(base.data[0].x, dtype=np.float64), np.asarray(base.data[0].y, dtype=np.float64)
    low, high = float(np.nanmin(heights)), float(np.nanmax(heights))
    lift = 0.01 * (high - low)                                            # a path drawn just above the surface
    for path in paths:
        k = steps_inside(path.points, xs, ys)
        fig.add_trace(go.Scatter3d(x=path.points[:k, 0], y=path.points[:k, 1], z=path.heights[:k] + lift,
                                   mode="lines+markers", name=path.name, line=dict(color=path.colour, width=6),
                                   marker=dict(size=3, color=path.colour)))
        if 0 < k < len(path.points):
            fig.add_trace(go.Scatter3d(x=path.points[k - 1:k, 0], y=path.points[k - 1:k, 1],
                                       z=path.heights[k - 1:k] + lift, mode="markers+text", text=[f"left at step {k}"],
                                       name=left_at(path, k), marker=dict(size=8, color=path.colour, symbol="x"),
                                       textfont=dict(size=14)))
    if marker is not None and steps_inside(np.array([marker[:2]]), xs, ys):
        fig.add_trace(go.Scatter3d(x=[marker[0]], y=[marker[1]], z=[marker[2] + lift], mode="markers",
                                   name="current point", marker=dict(size=7, color="white",
                                                                       line=dict(color="black", width=2))))
    fig.update_layout(scene=dict(xaxis_range=[xs.min(), xs.max()], yaxis_range=[ys.min(), ys.max()],
                                 zaxis_range=[low, high + 3 * lift]))
    return fig


def contour_map(xs, ys, heights, title: str, names: tuple[str, str, str], paths: list[PathTrace] = (),
                marker: tuple[float, float] | None = None, gradient: tuple[float, float] | None = None,
                equal_aspect: bool = True, height: int = 520) -> go.Figure:
    """Contours of heights (len(ys), len(xs)) with paths; at marker, the arrows of grad C (uphill) and -grad C."""
    return with_paths_2d(contour_base(xs, ys, heights, title, names, equal_aspect, height), xs, ys, paths, marker,
                         gradient)


def contour_base(xs, ys, heights, title: str, names: tuple[str, str, str], equal_aspect: bool = True,
                 height: int = 520) -> go.Figure:
    """The styled contour map alone (build once, then with_paths_2d: see surface_base)."""
    fig = go.Figure(go.Contour(x=xs, y=ys, z=light(heights), colorscale="Viridis", ncontours=24,
                               colorbar=dict(title=dict(text=names[2], side="right")), line=dict(width=0.5),
                               hovertemplate=hover(names)))
    x_range, y_range = [float(xs[0]), float(xs[-1])], [float(ys[0]), float(ys[-1])]
    fig.update_xaxes(title=names[0], range=x_range, constrain="domain")
    fig.update_yaxes(title=names[1], range=y_range, constrain="domain",
                     **(dict(scaleanchor="x", scaleratio=1) if equal_aspect else {}))
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0))
    return styled(fig, title, height=height)


def with_paths_2d(base: go.Figure, xs, ys, paths: list[PathTrace] = (), marker: tuple[float, float] | None = None,
                  gradient: tuple[float, float] | None = None, title: str | None = None) -> go.Figure:
    """A copy of a contour map with descent paths, the current point and the gradient arrows added (and a new
    title if given); base is left unchanged."""
    fig = copy_figure(base)
    if title is not None:
        fig.layout.title.text = title
    for i, path in enumerate(paths):                                     # the first path widest: later ones on top
        fig.add_trace(go.Scatter(x=path.points[:, 0], y=path.points[:, 1], mode="lines+markers", name=path.name,
                                 line=dict(color=path.colour, width=6 if i == 0 and len(paths) > 1 else 3),
                                 marker=dict(size=5, color=path.colour)))
        fig.add_trace(go.Scatter(x=path.points[:1, 0], y=path.points[:1, 1], mode="markers", showlegend=False,
                                 marker=dict(size=13, symbol="circle-open", color=path.colour, line=dict(width=3)),
                                 hovertemplate="start<extra></extra>"))
        k = steps_inside(path.points, xs, ys)
        if 0 < k < len(path.points):                                     # the axes keep their range: say where
            fig.add_trace(go.Scatter(x=path.points[k - 1:k, 0], y=path.points[k - 1:k, 1], mode="markers+text",
                                     text=[f"left at step {k}"], name=left_at(path, k),
                                     textposition="top left" if path.points[k - 1, 0] > np.mean(xs) else "top right",
                                     marker=dict(size=14, symbol="x", color=path.colour), textfont=dict(size=15)))
    if marker is not None:
        fig.add_trace(go.Scatter(x=[marker[0]], y=[marker[1]], mode="markers", name="current point",
                                 marker=dict(size=13, color="white", line=dict(color="black", width=2))))
        if gradient is not None:
            add_gradient_arrows(fig, marker, gradient, xs, ys)
    return fig


def add_gradient_arrows(fig: go.Figure, point, gradient, xs, ys) -> None:
    """grad C (steepest ascent, red) and -grad C (the descent direction, green) at point, at a fixed length."""
    g = np.asarray(gradient, dtype=np.float64)
    norm = float(np.hypot(*g))
    if not np.isfinite(norm) or norm == 0:
        return
    length = ARROW_FRACTION * min(float(xs[-1] - xs[0]), float(ys[-1] - ys[0]))
    for sign, colour, text in ((1, UPHILL, "∇C (uphill)"), (-1, DOWNHILL, "−∇C")):
        tip = (point[0] + sign * length * g[0] / norm, point[1] + sign * length * g[1] / norm)
        fig.add_annotation(x=tip[0], y=tip[1], ax=point[0], ay=point[1], xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=1.3, arrowwidth=3.5, arrowcolor=colour, text="")
        dx, dy = sign * g[0], sign * g[1]                              # the label sits beyond the tip
        anchor = (dict(xanchor="center", yanchor="bottom" if dy > 0 else "top") if abs(dy) > abs(dx) else
                  dict(xanchor="left" if dx > 0 else "right", yanchor="middle"))
        fig.add_annotation(x=tip[0], y=tip[1], text=f"<b>{text}</b>", showarrow=False, font=dict(color=colour, size=16),
                           bgcolor="rgba(255,255,255,0.8)", **anchor)


def cost_vs_examples(series: list[tuple[str, np.ndarray, np.ndarray, str]], n_examples: int) -> go.Figure:
    """series: (name, examples processed (k,), true cost C (k,), colour). Log x: one full step is N examples."""
    fig = go.Figure()
    for name, examples, costs, colour in series:
        fig.add_trace(go.Scatter(x=np.maximum(examples, 1), y=costs, mode="lines+markers", name=name,
                                 line=dict(color=colour, width=3), marker=dict(size=5),
                                 hovertemplate="%{x:,} examples: C = %{y:.4f}<extra></extra>"))
    fig.add_vline(x=np.log10(n_examples), line=dict(color="#9ca3af", dash="dot"),      # log axes place shapes in log10
                  annotation_text=f"one full pass (N = {n_examples})", annotation_position="top right")
    fig.update_xaxes(title="examples processed (log scale; the start is drawn at 1)", type="log")
    fig.update_yaxes(title="true cost C (all N examples)")
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0))
    return styled(fig, "Cost against work done", height=430)
