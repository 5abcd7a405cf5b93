"""Figures of the diffusion panels, built from data (arrays in, go.Figure out). Every image is a heatmap from the
one shared builder; images are in the model's range [-1, 1] unless said otherwise."""
from functools import lru_cache
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from components.export import to_rgb
from components.formulas import GUIDANCE_LABEL
from components.heatmap import heatmap
from components.network_figures import tile_images
from components.style import COLORS, copy_figure, styled

IMAGE_RANGE = (-1.0, 1.0)   # one fixed colour scale for every image (noisy ones clip), so t never rescales colours
NOISE_RANGE = (-2.5, 2.5)   # predicted noise is roughly N(0, 1)


@lru_cache(maxsize=32)
def _image_base(shape: tuple[int, int], zrange: tuple[float, float], height: int, value_name: str) -> go.Figure:
    fig = heatmap(np.zeros(shape), title=" ", zmin=zrange[0], zmax=zrange[1], square=True, height=height,
                  colorscale="gray", hover=f"row %{{y}}, column %{{x}}: {value_name} %{{z:.2f}}")
    fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False), margin=dict(l=10, r=10, t=56, b=10))
    return fig


def image_figure(image: np.ndarray, title: str, zrange: tuple[float, float] = IMAGE_RANGE, height: int = 330,
                 value_name: str = "value") -> go.Figure:
    """One (H, W) image as a square heatmap without axes. The styled frame is built once per shape and copied:
    a slider move then costs a copy, not a fresh styled figure."""
    image = np.asarray(image, dtype=np.float64)
    fig = copy_figure(_image_base(image.shape, tuple(zrange), height, value_name))
    fig.data[0].z = image
    fig.layout.title.text = title
    return fig


@lru_cache(maxsize=8)
def _curves_base(schedule: str, alphas_bytes: bytes) -> go.Figure:
    abar = np.frombuffer(alphas_bytes, dtype=np.float64)                                 # (T,)
    steps = np.arange(len(abar))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=np.sqrt(abar), name="√ᾱₜ (image kept)", line=dict(width=4, color=COLORS[0])))
    fig.add_trace(go.Scatter(x=steps, y=np.sqrt(1 - abar), name="√(1−ᾱₜ) (noise added)",
                             line=dict(width=4, color=COLORS[1])))
    fig.add_trace(go.Scatter(x=steps, y=abar / (1 - abar), name="SNR = ᾱ/(1−ᾱ) (right, log)", yaxis="y2",
                             line=dict(width=2, dash="dot", color=COLORS[3])))
    fig.add_trace(go.Scatter(x=[0, 0], y=[0, 1.05], mode="lines", showlegend=False, hoverinfo="skip",
                             line=dict(color="#6b7280", width=2, dash="dash")))
    fig.add_trace(go.Scatter(x=[0, 0], y=[1, 0], mode="markers", showlegend=False,
                             marker=dict(size=14, color=[COLORS[0], COLORS[1]], line=dict(width=2, color="white")),
                             hovertemplate="t = %{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(xaxis=dict(title="timestep t", range=[0, len(abar) - 1]),
                      yaxis=dict(title="coefficient", range=[0, 1.1]),
                      yaxis2=dict(title="SNR", type="log", overlaying="y", side="right", showgrid=False,
                                  exponentformat="power"),
                      legend=dict(orientation="h", y=-0.25, x=0),
                      annotations=[dict(x=0, y=1.1, yref="y", text="t = 0", showarrow=False, yanchor="bottom",
                                        font=dict(size=15))])
    fig = styled(fig, f"{schedule} schedule: how much image and how much noise at each t", height=430)
    fig.update_layout(margin=dict(l=60, r=70, t=70, b=110))
    return fig


def schedule_curves(alphas_cumprod: np.ndarray, t: int, schedule: str) -> go.Figure:
    """sqrt(abar_t) (how much image is left) and sqrt(1 - abar_t) (how much noise), with t marked, and the SNR."""
    abar = np.asarray(alphas_cumprod, dtype=np.float64)                                  # (T,)
    fig = copy_figure(_curves_base(schedule, abar.tobytes()))
    fig.data[3].x = [t, t]
    fig.data[4].update(x=[t, t], y=[np.sqrt(abar[t]), np.sqrt(1 - abar[t])])
    fig.layout.annotations[0].update(x=t, text=f"t = {t}")
    return fig


def chain_histogram(jump_noise: np.ndarray, chain_noise: np.ndarray, std: float, t: int) -> go.Figure:
    """The noise part x_t − √ᾱ_t·x_0 of the one-jump sample and of the step-by-step chain, against N(0, 1−ᾱ_t)."""
    bound = 4 * max(std, 1e-3)
    bins = dict(start=-bound, end=bound, size=bound / 25)
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=np.ravel(jump_noise), xbins=bins, histnorm="probability density", opacity=0.6,
                               name="one jump (shortcut formula)", marker_color=COLORS[0]))
    fig.add_trace(go.Histogram(x=np.ravel(chain_noise), xbins=bins, histnorm="probability density", opacity=0.6,
                               name=f"{t + 1} small steps (chain)", marker_color=COLORS[4]))
    grid = np.linspace(-bound, bound, 200)
    density = np.exp(-grid ** 2 / (2 * std ** 2)) / (std * np.sqrt(2 * np.pi)) if std > 0 else np.zeros_like(grid)
    fig.add_trace(go.Scatter(x=grid, y=density, name="N(0, 1−ᾱₜ)", line=dict(width=3, color="#111827")))
    fig.update_layout(barmode="overlay", xaxis_title="xₜ − √ᾱₜ·x₀ (the noise part), all pixels",
                      yaxis_title="density", legend=dict(orientation="h", y=-0.3, x=0))
    fig = styled(fig, "Same distribution: the shortcut vs the step-by-step chain", height=400)
    fig.update_layout(margin=dict(l=60, r=24, t=56, b=120))
    return fig


def guidance_grid(table: np.ndarray, weights: Sequence[float], digit: int) -> go.Figure:
    """(n, K, H, W) samples -> one tiled heatmap: a column per guidance weight w, a row per starting noise."""
    n, K, H, W = table.shape
    gap = 2
    tiled = tile_images(np.asarray(table).reshape(n * K, H, W), columns=K, gap=gap)     # row i, column k
    fig = heatmap(tiled, title=f"Asked for a {digit}: a column per w, a row per noise",
                  zmin=-1, zmax=1, square=True, height=max(300, 75 * n + 150), hover="pixel %{z:.2f}",
                  colorscale="gray")
    fig.update_traces(showscale=False)
    return labelled_tiles(fig, (H, W), gap, [f"w={w:g}" for w in weights], [f"noise {i + 1}" for i in range(n)])


def labelled_tiles(fig: go.Figure, tile: tuple[int, int], gap: int, column_titles: Sequence[str],
                   row_titles: Sequence[str]) -> go.Figure:
    """A title over each column and beside each row of a tile_images mosaic drawn in fig (pixel i centred at i)."""
    H, W = tile
    fig.update_xaxes(tickvals=[k * (W + gap) + (W - 1) / 2 for k in range(len(column_titles))],
                     ticktext=list(column_titles), side="top", showgrid=False, zeroline=False, tickfont=dict(size=15))
    fig.update_yaxes(tickvals=[i * (H + gap) + (H - 1) / 2 for i in range(len(row_titles))],
                     ticktext=list(row_titles), showgrid=False, zeroline=False)
    fig.update_layout(margin=dict(l=90, r=10, t=100, b=10))
    return fig


def tradeoff_curves(weights: Sequence[float], accuracy: Sequence[float], confidence: Sequence[float],
                    relative_diversity: Sequence[float], digit: int) -> go.Figure:
    """Prompt-faithfulness and diversity against w, as measured by the separate digit classifier."""
    fig = go.Figure()
    for values, name, colour in ((accuracy, f"accuracy (classified as {digit})", COLORS[0]),
                                 (confidence, f"mean confidence p({digit})", COLORS[2]),
                                 (relative_diversity, "diversity ÷ real 16×16 digits'", COLORS[1])):
        fig.add_trace(go.Scatter(x=list(weights), y=list(values), mode="lines+markers", name=name,
                                 line=dict(width=4, color=colour), marker=dict(size=10)))
    fig.add_hline(y=1.0, line=dict(color="#9ca3af", dash="dot"))
    top = max([1.1, *[v * 1.1 for v in relative_diversity]])
    fig.update_layout(xaxis_title=GUIDANCE_LABEL,
                      yaxis=dict(title="fraction / ratio", range=[0, top]), legend=dict(orientation="h", y=-0.3, x=0))
    fig = styled(fig, "The trade-off, measured", height=430)
    fig.update_layout(margin=dict(l=60, r=24, t=56, b=130))
    return fig


def denoising_frame(x_t: np.ndarray, x0_hat: np.ndarray) -> np.ndarray:
    """One GIF frame: x_t beside the predicted clean image, grey, with a 2-pixel gap: (H, 2W + 2, 3) uint8."""
    left = to_rgb(np.clip(x_t, *IMAGE_RANGE), *IMAGE_RANGE)
    right = to_rgb(np.clip(x0_hat, *IMAGE_RANGE), *IMAGE_RANGE)
    gap = np.full((left.shape[0], 2, 3), 128, dtype=np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def noising_frame(x_t: np.ndarray) -> np.ndarray:
    return to_rgb(np.clip(x_t, *IMAGE_RANGE), *IMAGE_RANGE)


def colour_grid(images: np.ndarray, column_titles: Sequence[str], row_titles: Sequence[str], title: str,
                height: int | None = None) -> go.Figure:
    """(rows, columns, H, W, 3) colour images in [0, 1] -> one tiled picture with a title over each column."""
    rows, columns, H, W, _ = images.shape
    gap = max(2, H // 32)
    tiled = tile_images(images.reshape(rows * columns, H, W, 3), columns=columns, gap=gap, fill=1.0)  # white gaps
    fig = styled(go.Figure(go.Image(z=(np.clip(tiled, 0, 1) * 255).astype(np.uint8), hoverinfo="skip")),
                 title=title, height=height or max(300, 180 * rows + 120))
    return labelled_tiles(fig, (H, W), gap, column_titles, row_titles)


VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]]) / 255.0


def heat_colours(values: np.ndarray) -> np.ndarray:
    """(..., ) in [0, 1] -> (..., 3) RGB along viridis (dark = little, yellow = most)."""
    x = np.clip(values, 0, 1) * (len(VIRIDIS) - 1)
    low = np.floor(x).astype(int).clip(0, len(VIRIDIS) - 2)
    frac = (x - low)[..., None]
    return VIRIDIS[low] * (1 - frac) + VIRIDIS[low + 1] * frac


def attention_overlays(image: np.ndarray, maps: np.ndarray, words: Sequence[str]) -> go.Figure:
    """The image (S, S, 3) in [0, 1] dimmed under each word's cross-attention map (n, h, w), upsampled to S x S
    (nearest: each latent cell stays a visible square). Each map is scaled to its own maximum, written in the title."""
    S = image.shape[0]
    repeat = S // maps.shape[-1]
    tiles = []
    for m in maps:
        big = np.kron(m / max(float(m.max()), 1e-12), np.ones((repeat, repeat)))       # (S, S) in [0, 1]
        tiles.append(0.3 * image + 0.7 * heat_colours(big))
    titles = [f"{word} ({float(m.max()):.2f})" for word, m in zip(words, maps)]
    columns = min(4, len(tiles))
    gap = max(2, S // 5)                          # room for the next row's titles above its tiles
    mosaic = tile_images(np.stack(tiles), columns=columns, gap=gap, fill=1.0)
    fig = styled(go.Figure(go.Image(z=(np.clip(mosaic, 0, 1) * 255).astype(np.uint8), hoverinfo="skip")),
                 title="Where each word was read (bright = more; its largest value in brackets)",
                 height=110 + 230 * (-(-len(tiles) // columns)))
    for k, title in enumerate(titles):
        r, c = divmod(k, columns)
        fig.add_annotation(x=c * (S + gap) + (S - 1) / 2, y=r * (S + gap) - 1, text=title, showarrow=False,
                           yanchor="bottom", font=dict(size=15))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(margin=dict(l=10, r=10, t=90, b=10))
    return fig
