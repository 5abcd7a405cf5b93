"""Exports that plotly's own PNG button does not cover: animated GIFs (the descent path, the denoising steps,
the noising sweep), written server-side with Pillow so they work offline and without a browser."""
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from plotly.colors import hex_to_rgb, sequential

from components.landscape_figures import steps_inside

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


MARGIN = (64, 44, 18, 46)          # left, top, right, bottom: room for the title, the step counter and the axes


def path_frames(cost_grid: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float],
                path: np.ndarray, size: int = 400, title: str = "", steps: np.ndarray | None = None,
                names: tuple[str, str] = ("x", "y")) -> list[np.ndarray]:
    """Frames of a descent path drawn step by step over a cost map, with a title, a step counter and the axes'
    ends labelled. cost_grid: (rows = y, cols = x) values on an even grid over x_range x y_range (row 0 at
    y_range[0]); path: (k, 2) points (x, y); steps: the step number of each point (default 0, 1, ...). Frame k
    shows the first k + 1 points; a path that leaves the map ends with the frame of its last point inside,
    saying at which step it left."""
    from PIL import ImageFont

    path = np.asarray(path, dtype=np.float64)
    steps = np.arange(len(path)) if steps is None else np.asarray(steps)
    (x0, x1), (y0, y1) = x_range, y_range
    kept = steps_inside(path, x_range, y_range)                      # a path that leaves the map stops there
    left, top, right, bottom = MARGIN
    colours = to_rgb(np.log1p(cost_grid - np.nanmin(cost_grid)), colour=True)[::-1]      # row 0 at the top
    base = Image.new("RGB", (left + size + right, top + size + bottom), "white")
    base.paste(Image.fromarray(colours).resize((size, size), Image.BILINEAR), (left, top))
    font, draw = ImageFont.load_default(size=15), ImageDraw.Draw(base)
    draw.text((left, 6), title, fill=(31, 41, 55), font=font)
    for value, anchor, at in ((x0, "lt", (left, top + size + 4)), (x1, "rt", (left + size, top + size + 4)),
                              (y0, "rb", (left - 6, top + size)), (y1, "rt", (left - 6, top))):
        draw.text(at, f"{value:g}", fill=(31, 41, 55), font=font, anchor=anchor)
    draw.text((left + size / 2, top + size + 24), names[0], fill=(31, 41, 55), font=font, anchor="mt")
    draw.text((left - 6, top + size / 2), names[1], fill=(31, 41, 55), font=font, anchor="rm")

    def pixel(point):
        return (left + (point[0] - x0) / (x1 - x0) * (size - 1), top + (y1 - point[1]) / (y1 - y0) * (size - 1))

    points = [pixel(p) for p in path[:kept]]
    frames = []
    for k in range(1, len(points) + 1):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        if k > 1:
            draw.line(points[:k], fill=(255, 255, 255), width=3)
        x, y = points[k - 1]
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=(220, 38, 38), outline=(255, 255, 255), width=2)
        counter = f"step {int(steps[k - 1])}"
        if k == len(points) and kept < len(path):
            counter += f": the next step (step {int(steps[kept])}) leaves the map"
        draw.text((left + size, 24), counter, fill=(31, 41, 55), font=font, anchor="rt")
        frames.append(np.asarray(image))
    return frames
