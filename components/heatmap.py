"""The one heatmap builder that serves every heatmap in the app (weights, gradients, attention, logit lens, the
neuron's input plane...)."""
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from components.style import DIVERGING, SEQUENTIAL, styled


def heatmap(values, x_labels: Sequence | None = None, y_labels: Sequence | None = None, *, title: str | None = None,
            x_title: str | None = None, y_title: str | None = None, diverging: bool = False,
            zmin: float | None = None, zmax: float | None = None, colorbar_title: str | None = None,
            text_format: str | None = None, hover: str = "%{y} · %{x}: %{z:.3f}", height: int = 420,
            square: bool = False, reverse_y: bool = True, colorscale: str | None = None,
            categorical: bool = True) -> go.Figure:
    """values: (rows, cols) array; NaN cells are drawn empty (use NaN for masked cells, never 0).

    diverging=True centres the colour scale on 0 (red < 0 < blue) with a symmetric range.
    text_format (e.g. '.2f') writes each value in its cell, for small matrices.
    colorscale overrides the scale (e.g. 'gray' for pictures: ink reads as ink, not as a data value).
    categorical=False keeps numeric labels as a numeric axis (a function sampled on a grid).
    """
    z = np.asarray(values, dtype=np.float64)                    # (rows, cols)
    if z.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {z.shape}")
    if diverging and zmin is None and zmax is None:
        finite = z[np.isfinite(z)]
        bound = float(np.abs(finite).max()) if finite.size else 1.0
        zmin, zmax = -(bound or 1.0), (bound or 1.0)
    x = list(x_labels) if x_labels is not None else list(range(z.shape[1]))
    y = list(y_labels) if y_labels is not None else list(range(z.shape[0]))
    trace = go.Heatmap(z=z, x=x, y=y, zmin=zmin, zmax=zmax, colorscale=colorscale or (DIVERGING if diverging else SEQUENTIAL),
                       colorbar=dict(title=colorbar_title) if colorbar_title else None, hovertemplate=hover + "<extra></extra>",
                       hoverongaps=False)
    if text_format:
        trace.update(texttemplate="%{z:" + text_format + "}", textfont=dict(size=13))
    fig = go.Figure(trace)
    fig.update_xaxes(title=x_title, type="category" if categorical and x_labels is not None else None)
    fig.update_yaxes(title=y_title, type="category" if categorical and y_labels is not None else None,
                     autorange="reversed" if reverse_y else True)
    if square:
        fig.update_yaxes(scaleanchor="x")
    return styled(fig, title, height=height)
