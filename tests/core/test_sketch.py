"""The sketchpad's downsampling maps a drawn digit the way the data set's preprocessing would."""
import numpy as np
import pytest
import torch

from core.mlp import predict
from core.sketch import MAX_SIDE, drawing_to_digit
from models.digit_network import load_digit_network


def as_drawing(digit: np.ndarray, mode: str, scale: int = 8) -> np.ndarray:
    """Rebuild a 32x32 bitmap from a real 8x8 digit (each 4x4 block gets its count of 'on' pixels), then draw it
    at `scale` pixels per bitmap pixel, in the given mode."""
    counts = np.rint(digit.reshape(8, 8) * 16).astype(int)
    bitmap = np.zeros((32, 32), dtype=bool)
    order = np.array([0, 15, 3, 12, 5, 10, 6, 9, 1, 14, 2, 13, 4, 11, 7, 8])  # opposite corners first
    for r in range(8):
        for c in range(8):
            block = np.zeros(16, dtype=bool)
            block[order[:counts[r, c]]] = True
            bitmap[4 * r:4 * r + 4, 4 * c:4 * c + 4] = block.reshape(4, 4)
    big = np.kron(bitmap, np.ones((scale, scale), dtype=bool))
    big = np.pad(big, 40)                                               # a margin around the digit
    if mode == "dark-on-light":
        return np.where(big, 0, 255).astype(np.uint8)[..., None].repeat(3, axis=2)
    if mode == "light-on-dark":
        return np.where(big, 255, 0).astype(np.uint8)
    rgba = np.zeros(big.shape + (4,), dtype=np.uint8)                   # strokes on a transparent canvas
    rgba[big] = (0, 0, 0, 255)
    return rgba


@pytest.mark.parametrize("mode", ["dark-on-light", "light-on-dark", "transparent"])
def test_a_drawn_real_digit_comes_back_close_and_is_read_the_same(mode, digits):
    network = load_digit_network("sigmoid")
    originals = digits.x_test[:100]
    recovered = np.stack([drawing_to_digit(as_drawing(d, mode)) for d in originals])
    agree = predict(network.params, torch.tensor(recovered), "sigmoid") == predict(
        network.params, torch.tensor(originals), "sigmoid")
    # Disagreements are mostly one-pixel shifts: the data set's digits are not all centred, a drawing is.
    assert agree.float().mean().item() >= 0.85
    assert np.abs(recovered - originals).mean() < 0.06
    assert recovered.shape == (100, 64) and recovered.min() >= 0 and recovered.max() <= 1


def test_the_digit_fills_the_bitmap_whatever_size_it_was_drawn(digits):
    small = drawing_to_digit(as_drawing(digits.x_test[3], "dark-on-light", scale=3))
    large = drawing_to_digit(as_drawing(digits.x_test[3], "dark-on-light", scale=12))
    assert np.abs(small - large).mean() < 0.08


@pytest.mark.parametrize("image, message", [
    (np.full((200, 200, 3), 255, np.uint8), "blank"),
    (np.zeros((200, 200, 4), np.uint8), "blank"),
    (np.zeros((0, 0)), "must be an image"),
    (np.zeros((10, 10, 2)), "must be an image"),
    (np.zeros(10), "must be an image"),
    (np.zeros((MAX_SIDE + 1, 2)), "too large"),
])
def test_blank_or_odd_drawings_get_a_clear_message(image, message):
    with pytest.raises(ValueError, match=message):
        drawing_to_digit(image)
