"""Exports that plotly's own PNG button does not cover: animated GIFs (the descent path, the denoising steps,
the noising sweep), written server-side with Pillow so they work offline and without a browser."""
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from plotly.colors import hex_to_rgb, sequential

MAX_FRAMES = 200       # a GIF longer than this is refused: it would be slow to write and heavy to download
MIN_SIDE = 256         # tiny images (8x8 digits) are scaled up with nearest-neighbour so pixels stay crisp


def _viridis_table() -> np.ndarray:
    stops = np.array([hex_to_rgb(c) for c in sequential.Viridis], dtype=np.float64)    # (S, 3)
    positions = np.linspace(0, 1, len(stops))
    grid = np.linspace(0, 1, 256)
    return np.stack([np.interp(grid, positions, stops[:, k]) for k in range(3)], axis=1).astype(np.uint8)


VIRIDIS = _viridis_table()   # (256, 3)


def to_rgb(image: np.ndarray, low: float | None = None, high: float | None = None, colour: bool = False) -> np.ndarray:
    """A 2-D array (any range) or an RGB array -> uint8 RGB; 2-D arrays are grey, or viridis with colour=True."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim == 3:
        return np.clip(array if array.max() > 1.0 else array * 255, 0, 255).astype(np.uint8)
    low = np.nanmin(array) if low is None else low
    high = np.nanmax(array) if high is None else high
    scaled = np.nan_to_num((array - low) / max(high - low, 1e-12), nan=0.0).clip(0, 1)
    if colour:
        return VIRIDIS[(scaled * 255).astype(np.uint8)]
    grey = (scaled * 255).astype(np.uint8)
    return np.stack([grey] * 3, axis=-1)


def write_gif(frames: list[np.ndarray], duration_ms: int = 120, name: str = "animation") -> str:
    """RGB uint8 frames (H, W, 3) -> the path of a looping GIF in a fresh temporary folder."""
    if not frames:
        raise ValueError("There is nothing to animate yet.")
    if len(frames) > MAX_FRAMES:
        raise ValueError(f"An animation has at most {MAX_FRAMES} frames, got {len(frames)}.")
    images = []
    for frame in frames:
        image = Image.fromarray(np.asarray(frame, dtype=np.uint8))
        if min(image.size) < MIN_SIDE:
            factor = -(-MIN_SIDE // min(image.size))
            image = image.resize((image.width * factor, image.height * factor), Image.NEAREST)
        images.append(image.convert("P", palette=Image.ADAPTIVE))
    path = Path(tempfile.mkdtemp(prefix="dle-")) / f"{name}.gif"
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0, optimize=False)
    return str(path)


def path_frames(cost_grid: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float],
                path: np.ndarray, size: int = 400) -> list[np.ndarray]:
    """Frames of a descent path drawn step by step over a cost map.

    cost_grid: (rows = y, cols = x) values on an even grid over x_range x y_range (row 0 at y_range[0]);
    path: (steps, 2) points (x, y). Frame k shows the first k + 1 points.
    """
    colours = to_rgb(np.log1p(cost_grid - np.nanmin(cost_grid)), colour=True)[::-1]      # row 0 at the top
    base = Image.fromarray(colours).resize((size, size), Image.BILINEAR)
    (x0, x1), (y0, y1) = x_range, y_range

    def pixel(point):
        return ((point[0] - x0) / (x1 - x0) * (size - 1), (y1 - point[1]) / (y1 - y0) * (size - 1))

    points = [pixel(p) for p in np.asarray(path, dtype=np.float64) if np.all(np.isfinite(p))]
    frames = []
    for k in range(1, len(points) + 1):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        if k > 1:
            draw.line(points[:k], fill=(255, 255, 255), width=3)
        x, y = points[k - 1]
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=(220, 38, 38), outline=(255, 255, 255), width=2)
        frames.append(np.asarray(image))
    return frames
