"""The pictures the Generation panels noise: ten of scikit-learn's digits and scikit-image's bundled photos (no
download), and a learner's own upload, all as grey images in the model's range [-1, 1]."""
from functools import lru_cache

import numpy as np
import torch

from core.checks import quote
from core.diffusion import image_for_noising
from models.digits import digit_images

DIGITS = [f"digit {d}" for d in range(10)]
PHOTOS = ["camera", "astronaut", "coffee", "moon", "chelsea", "coins", "rocket"]   # scikit-image's bundled photos
UPLOAD = "your upload"
NOT_AN_IMAGE = "That file is not an image Gradio can read; upload a PNG or JPEG."
KEPT_MODES = ("L", "RGB", "RGBA", "I;16")      # modes read as they are; any other (palette, CMYK, ...) becomes RGBA


@lru_cache(maxsize=len(DIGITS) + len(PHOTOS))
def bundled_image(name: str) -> tuple[np.ndarray, str]:
    """A bundled picture as grey (h, w) in [0, 1] (read-only, shared), and what was converted."""
    if name in DIGITS:
        images, labels = digit_images()                                                 # (N, 1, 16, 16)
        first = int((labels == DIGITS.index(name)).nonzero()[0])
        grey, note = ((images[first, 0] + 1) / 2).numpy(), "scikit-learn's 8×8 digit, upsampled to 16×16"
    else:
        import skimage.data

        grey, note = image_for_noising(getattr(skimage.data, name)())
        note = f"scikit-image's '{name}': {note}"
    grey.setflags(write=False)
    return grey, note


def read_image_file(path) -> np.ndarray:
    """An uploaded file as an array (H, W) or (H, W, 3|4), upright as its EXIF says; a ValueError in words if it
    is not an image (a text file renamed .png, a truncated download, a missing file)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            return np.asarray(image if image.mode in KEPT_MODES else image.convert("RGBA"))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):   # UnidentifiedImageError is an OSError
        raise ValueError(NOT_AN_IMAGE) from None


def clean_image(choice: str, uploaded) -> tuple[torch.Tensor, str]:
    """The chosen picture in the model's range [-1, 1] as (1, 1, h, w), and its note. `uploaded` is the learner's
    converted upload (grey, note), used when choice is UPLOAD."""
    if choice == UPLOAD:
        if uploaded is None:
            raise ValueError("Upload an image first (or pick a digit or a photo).")
        grey, note = uploaded
    elif choice in DIGITS or choice in PHOTOS:
        grey, note = bundled_image(choice)
    else:
        raise ValueError(f"Unknown image {quote(choice, 32)}; choose digit 0 … digit 9 or one of {', '.join(PHOTOS)}.")
    return torch.tensor(np.asarray(grey) * 2 - 1, dtype=torch.float32)[None, None], note


def colour_image(choice: str, uploaded) -> tuple[np.ndarray, str]:
    """The chosen picture as (H, W, 3) in [0, 1]: scikit-image's photos in colour where they have it, the digits
    and uploads as the grey the Noising panel keeps of them."""
    if choice in PHOTOS:
        import skimage.data

        photo = np.asarray(getattr(skimage.data, choice)(), dtype=np.float64) / 255.0
        if photo.ndim == 3:
            return photo[..., :3], f"scikit-image's '{choice}' in colour"
        return np.repeat(photo[..., None], 3, axis=2), f"scikit-image's '{choice}' (grey)"
    x0, note = clean_image(choice, uploaded)                                             # (1, 1, h, w) in [-1, 1]
    grey = ((x0[0, 0].numpy() + 1) / 2).astype(np.float64)
    return np.repeat(grey[..., None], 3, axis=2), note or "grey"


MAX_CLIP_SIDE = 256          # /clip_similarity takes images up to this side (they are resized to the model's 64)


def colour_array(image, name: str = "the image", max_side: int = 4096) -> tuple[np.ndarray, str]:
    """Any picture a learner or a client hands over -> (H, W, 3) float32 in [0, 1] and a note on what was done:
    grey is repeated into three channels, an alpha channel is laid over black, 0..255 integers are divided by 255.
    A ValueError in words for anything else (wrong shape, NaN, a 1x1 image, values outside 0..1)."""
    array = np.asarray(image)
    if array.dtype == object or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ValueError(f"{name} must be an H x W x 3 array of colours (got shape {array.shape}).")
    if min(array.shape[:2]) < 8 or max(array.shape[:2]) > max_side:
        raise ValueError(f"{name} is {array.shape[1]} x {array.shape[0]} pixels; use between 8 and {max_side} "
                         "pixels a side.")
    note = []
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / (65535.0 if array.max() > 255 else 255.0)
    array = array.astype(np.float32)
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        raise ValueError(f"{name} must hold colours between 0 and 1 (or 0..255 integers), with no NaN.")
    if array.ndim == 2 or array.shape[2] == 1:
        array, note = np.repeat(array.reshape(*array.shape[:2], 1), 3, axis=2), ["grey, repeated into RGB"]
    elif array.shape[2] == 4:
        array, note = array[..., :3] * array[..., 3:], ["its transparency laid over black"]
    return array, "; ".join(note)
