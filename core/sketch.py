"""A drawing -> an 8x8 digit, the way scikit-learn's digits (UCI optdigits) were made: the digit is size-normalized
into a 32x32 bitmap, then the 'on' pixels are counted in each 4x4 block, giving 0..16 per pixel (here / 16)."""
import numpy as np
from PIL import Image

BITMAP = 32           # the normalized bitmap's side
BLOCK = 4             # counting blocks: 32 / 4 = 8 pixels a side
MAX_SIDE = 4096       # larger drawings are refused (a sketchpad gives a few hundred pixels)


def ink(image: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, 0..1, whatever the drawing's mode: RGBA strokes on a transparent canvas,
    dark on light, or light on dark (the background is taken from the border)."""
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0 or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ValueError("The drawing must be an image (height x width, grey, RGB or RGBA).")
    if max(array.shape[:2]) > MAX_SIDE:
        raise ValueError(f"The drawing is too large ({array.shape[1]}x{array.shape[0]}); at most {MAX_SIDE} pixels a side.")
    array = array.astype(np.float64)
    if array.max() > 1.0:
        array = array / 255.0
    alpha = array[..., 3] if array.ndim == 3 and array.shape[2] == 4 else None
    grey = array[..., :3].mean(axis=-1) if array.ndim == 3 else array
    if alpha is not None and alpha.min() < 0.5:           # strokes on a transparent canvas: ink is the alpha
        return alpha
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return np.abs(grey - np.median(border))


def drawing_to_digit(image: np.ndarray) -> np.ndarray:
    """(64,) values in [0, 1], row by row, like a row of load_digits().data / 16."""
    on = ink(image) > 0.5                                                        # (H, W) binary strokes
    if not on.any():
        raise ValueError("The drawing is blank: draw a digit with the pen first.")
    rows, cols = np.nonzero(on)
    cropped = on[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    height, width = cropped.shape
    scale = BITMAP / max(height, width)                                          # size-normalize, keep the shape
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    resized = Image.fromarray(cropped.astype(np.uint8) * 255).resize((new_w, new_h), Image.BOX)
    bitmap = np.zeros((BITMAP, BITMAP), dtype=bool)                              # (32, 32), centred
    top, left = (BITMAP - new_h) // 2, (BITMAP - new_w) // 2
    bitmap[top:top + new_h, left:left + new_w] = np.asarray(resized) >= 128
    counts = bitmap.reshape(8, BLOCK, 8, BLOCK).sum(axis=(1, 3))                 # (8, 8), 0..16
    return (counts / 16.0).astype(np.float32).reshape(64)
