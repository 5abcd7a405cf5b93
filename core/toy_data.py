"""Two-dimensional data sets a student recognises: the whole "data distribution" of a diffusion model fits on one
plot, so its learned noise prediction can be drawn as arrows at every point of the plane.

Every set is centred and scaled by fixed constants so that its points lie roughly in [-2, 2] with an overall
standard deviation near 1 (the scale the noise eps ~ N(0, I) has); points are (n, 2) float32, labels (n,) int64.
"""
import math

import numpy as np
import torch

DATASETS: dict[str, tuple[str, ...]] = {      # name -> class names (empty: an unlabelled set)
    "spiral": (),
    "moons": ("upper moon", "lower moon"),
    "clusters": ("cluster A", "cluster B", "cluster C"),
    "digit 3": (),
}
PLOT_RANGE = (-3.0, 3.0)                      # the square the panel draws, in both x and y
SPIRAL_START, SPIRAL_END = 0.5 * math.pi, 3.5 * math.pi   # the spiral r ~ theta winds 1.5 times, from r = 2 / 7
SPIRAL_RADIUS = 2.0                           # to r = 2 at its outer end
SPIRAL_CENTRE = (-0.37, -0.08)                # the mean of its points (measured on 2 million): moved to the origin
MOONS_CENTRE, MOONS_SCALE = (0.5, 0.25), 0.72  # scikit-learn's make_moons, centred and scaled to std 1
CLUSTER_CENTRES = ((-1.3, -0.6), (1.3, -0.5), (0.0, 1.1))   # cluster A, B, C (their mean is the origin)
CLUSTER_STDS = (0.15, 0.3, 0.4)               # three sizes: small, medium, large
DIGIT_HALF_WIDTH = 2.0                        # the digit's image square is drawn as [-2, 2] x [-2, 2]
INK_POWER = 4                                 # a pixel is picked with probability ~ ink^4: the mean 3 is blurred
NOISE = 0.05                                  # Gaussian jitter of the curves (spiral, moons), after scaling


def _spiral(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Archimedes' spiral r ~ theta, with points spread evenly along its length (arc length grows as theta^2)."""
    u = torch.rand(n, generator=generator)                                           # (n,)
    theta = (SPIRAL_START ** 2 + u * (SPIRAL_END ** 2 - SPIRAL_START ** 2)).sqrt()   # (n,)
    r = theta / SPIRAL_END * SPIRAL_RADIUS                                           # (n,)
    points = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)        # (n, 2)
    points = points - torch.tensor(SPIRAL_CENTRE) + NOISE * torch.randn(n, 2, generator=generator)
    return points, torch.zeros(n, dtype=torch.int64)


def _moons(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's make_moons by hand: the upper half circle, and the lower one shifted right and down."""
    labels = torch.randint(0, 2, (n,), generator=generator)                          # (n,) 0 upper, 1 lower
    theta = math.pi * torch.rand(n, generator=generator)                             # (n,)
    upper = torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)                 # (n, 2)
    lower = torch.stack([1 - torch.cos(theta), 0.5 - torch.sin(theta)], dim=1)       # (n, 2)
    points = torch.where(labels[:, None] == 0, upper, lower)
    points = (points - torch.tensor(MOONS_CENTRE)) / MOONS_SCALE
    return points + NOISE * torch.randn(n, 2, generator=generator), labels


def _clusters(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Three round Gaussian blobs of different sizes, equally likely."""
    labels = torch.randint(0, len(CLUSTER_CENTRES), (n,), generator=generator)       # (n,)
    centres, stds = torch.tensor(CLUSTER_CENTRES)[labels], torch.tensor(CLUSTER_STDS)[labels]   # (n, 2), (n,)
    return centres + stds[:, None] * torch.randn(n, 2, generator=generator), labels


def _ink(image) -> torch.Tensor:
    ink = torch.tensor(np.asarray(image, dtype=np.float32))                          # (H, W)
    if ink.dim() != 2 or ink.numel() == 0 or not bool(ink.isfinite().all()) or ink.min() < 0 or ink.max() <= 0:
        raise ValueError("points_from_image needs a grey image (H, W) with values in [0, 1] and some ink (> 0).")
    return ink


def _on_plane(row: torch.Tensor, column: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """Pixel coordinates (row down, column right; fractions inside a pixel) -> points (n, 2), y up, the image's
    centre at the origin, its longer side spanning [-1, 1]."""
    return torch.stack([column - W / 2, H / 2 - row], dim=1) / (max(H, W) / 2)


def points_from_image(image, n: int, generator: torch.Generator) -> torch.Tensor:
    """Points (n, 2) in the square [-1, 1]^2 that draw a grey image (H, W) in [0, 1] (1 = ink): a pixel is picked
    with probability proportional to ink^INK_POWER (the power sharpens blurred strokes), and the point lands
    uniformly inside it. Row 0 is the top of the picture, so y grows upward as on a plot."""
    ink = _ink(image)
    H, W = ink.shape
    cell = torch.multinomial((ink ** INK_POWER).flatten(), n, replacement=True, generator=generator)   # (n,)
    jitter = torch.rand(n, 2, generator=generator)                                   # (n, 2) where in the pixel
    return _on_plane(cell // W + jitter[:, 1], cell % W + jitter[:, 0], H, W)        # (n, 2)


def _ink_centre(image) -> torch.Tensor:
    """The mean of points_from_image's points, exactly: pixel centres weighted by ink^INK_POWER. (2,)"""
    weight = _ink(image) ** INK_POWER                                                # (H, W)
    H, W = weight.shape
    rows, columns = torch.meshgrid(torch.arange(H) + 0.5, torch.arange(W) + 0.5, indexing="ij")   # (H, W) each
    centres = _on_plane(rows.flatten(), columns.flatten(), H, W)                     # (H*W, 2)
    return (weight.flatten()[:, None] * centres).sum(0) / weight.sum()


def _digit(n: int, generator: torch.Generator, image) -> tuple[torch.Tensor, torch.Tensor]:
    if image is None:
        raise ValueError('"digit 3" is drawn from an image: pass image=models.toy_diffusion.digit_image().')
    points = points_from_image(image, n, generator) - _ink_centre(image)             # (n, 2) centred
    return DIGIT_HALF_WIDTH * points, torch.zeros(n, dtype=torch.int64)


def toy_data(name: str, n: int, seed: int, image=None) -> tuple[torch.Tensor, torch.Tensor]:
    """n points (n, 2) float32 of the data set `name` and their class labels (n,) int64 (0 for an unlabelled set),
    the same for the same seed. image: the grey picture (H, W) that "digit 3" is drawn from (other sets ignore it)."""
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {str(name)[:30]!r}; choose one of {', '.join(DATASETS)}.")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n is the number of points, a whole number of at least 1 (got {n!r}).")
    generator = torch.Generator().manual_seed(seed)
    if name == "digit 3":
        points, labels = _digit(n, generator, image)
    else:
        points, labels = {"spiral": _spiral, "moons": _moons, "clusters": _clusters}[name](n, generator)
    return points.float(), labels
