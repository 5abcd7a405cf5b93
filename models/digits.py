"""scikit-learn's 1,797 handwritten 8x8 digits (bundled with the package, no download): the 8x8 train/test split of
the digit network, and the 16x16 images of the diffusion model and its judge."""
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

SPLIT_SEED = 0        # the held-out split is the same for every panel and every run
TEST_FRACTION = 0.25  # 450 held-out digits
N_DIGITS = 1797       # scikit-learn's digits (a test checks it against the data)
N_TEST = math.ceil(TEST_FRACTION * N_DIGITS)   # 450: train_test_split rounds the test share up
N_TRAIN = N_DIGITS - N_TEST                     # 1,347


@dataclass(frozen=True)
class DigitsSplit:
    x_train: np.ndarray  # (N_train, 64) float32 in [0, 1] (pixel values 0..16 divided by 16)
    y_train: np.ndarray  # (N_train,) int64 labels 0..9
    x_test: np.ndarray   # (N_test, 64)
    y_test: np.ndarray   # (N_test,)


@lru_cache(maxsize=1)
def load_digits_split() -> DigitsSplit:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y)
    for array in (x_train, x_test, y_train, y_test):
        array.setflags(write=False)  # shared by all users: nobody may change it
    return DigitsSplit(x_train, y_train, x_test, y_test)


def digit_images(size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits as (N, 1, size, size) floats in [-1, 1] (bilinear upsampling), and their labels (N,): what
    the diffusion model and its judge see."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images / 16.0, dtype=torch.float32)[:, None]                     # (N, 1, 8, 8)
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return (x.clamp(0, 1) * 2 - 1).contiguous(), torch.tensor(data.target, dtype=torch.int64)
