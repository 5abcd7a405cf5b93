"""The playground's 2-D data: TensorFlow Playground's four sets, the learner's own points, and a small CSV.

Points live on the plane [-6, 6]², labels are classes 0, 1 (and 2 for the learner's own points or a CSV). The four
sets follow Playground's generators (its dataset.ts): `noise` in [0, 0.5] blurs the classes the same way there
(for the circle and XOR it moves the point used for the label, so labels near the border flip; for the Gaussians it
widens them; for the spiral it jitters the points).
"""
import csv
import io
import math
from dataclasses import dataclass

import torch

from core.checks import MAX_SEED, in_range, quote, whole

EXTENT = 6.0                       # the plane is [-EXTENT, EXTENT]² (Playground's)
DATASETS = ("circle", "xor", "gaussians", "spiral")
N_POINTS = 500                     # points in a generated set (Playground's default)
MAX_NOISE = 0.5
MAX_CLASSES = 3
MAX_POINTS = 2_000                 # the most points a CSV or the learner's clicks may hold
MAX_CSV_BYTES = 200_000            # a larger upload is refused before it is read
MIN_TEST = 1                       # a split leaves at least one point on each side


@dataclass(frozen=True)
class Split:
    train_points: torch.Tensor     # (n_train, 2)
    train_labels: torch.Tensor     # (n_train,) int64
    test_points: torch.Tensor      # (n_test, 2)
    test_labels: torch.Tensor      # (n_test,)
    n_classes: int


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def _circle(n: int, noise: float, g: torch.Generator):
    radius = 5.0
    inner = torch.arange(n) < n // 2                                          # half inside, half on the ring
    r = torch.where(inner, _uniform(n, 0, 0.5 * radius, g), _uniform(n, 0.7 * radius, radius, g))     # (n,)
    angle = _uniform(n, 0, 2 * math.pi, g)
    points = torch.stack([r * torch.sin(angle), r * torch.cos(angle)], dim=1)                       # (n, 2)
    moved = points + _uniform(2 * n, -radius, radius, g).view(n, 2) * noise
    return points, (moved.norm(dim=1) < 0.5 * radius).long()                  # 1 inside (the label of the moved point)


def _xor(n: int, noise: float, g: torch.Generator):
    points = _uniform(2 * n, -5, 5, g).view(n, 2)
    points = points + 0.3 * torch.where(points > 0, 1.0, -1.0)               # a gap of 0.6 along both axes
    moved = points + _uniform(2 * n, -5, 5, g).view(n, 2) * noise
    return points, (moved[:, 0] * moved[:, 1] >= 0).long()                  # 1 where x and y have the same sign


def _gaussians(n: int, noise: float, g: torch.Generator):
    labels = (torch.arange(n) >= n // 2).long()
    std = math.sqrt(0.5 + (4 - 0.5) * noise / MAX_NOISE)                      # variance 0.5 .. 4, as in Playground
    centres = torch.where(labels[:, None] == 1, 2.0, -2.0)                   # (n, 2): (2, 2) and (-2, -2)
    return centres + std * torch.randn(n, 2, generator=g), labels


def _spiral(n: int, noise: float, g: torch.Generator):
    half = n // 2
    i = torch.arange(n) % half
    labels = (torch.arange(n) >= half).long()
    r = i / half * 5                                                          # (n,) out to radius 5
    t = 1.75 * i / half * 2 * math.pi + math.pi * labels                     # 1.75 turns; arm 1 is arm 0 turned by π
    points = torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1)
    return points + _uniform(2 * n, -1, 1, g).view(n, 2) * noise, labels


GENERATORS = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral}


def make_dataset(name: str, noise: float, seed: int, n: int = N_POINTS) -> tuple[torch.Tensor, torch.Tensor]:
    """One of Playground's sets: points (n, 2) float32 on the plane, labels (n,) int64 in {0, 1}."""
    if name not in GENERATORS:
        raise ValueError(f"Unknown data set {quote(name)}; choose one of {', '.join(DATASETS)}.")
    noise = in_range("noise", noise, 0, MAX_NOISE)
    generator = torch.Generator().manual_seed(whole("seed", seed, 0, MAX_SEED))
    points, labels = GENERATORS[name](n, noise, generator)
    return points.float().clamp(-EXTENT, EXTENT), labels


def split(points: torch.Tensor, labels: torch.Tensor, train_share: float, seed: int) -> Split:
    """A seeded shuffle, then the first train_share of the points train and the rest test."""
    n = len(points)
    if n < 2:
        raise ValueError(f"At least 2 points are needed (one to train on, one to test), got {n}.")
    train_share = in_range("training share", train_share, 0.1, 0.9)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(whole("seed", seed, 0, MAX_SEED) + 1))
    n_train = min(max(round(train_share * n), 1), n - MIN_TEST)
    train, test = order[:n_train], order[n_train:]
    return Split(points[train], labels[train], points[test], labels[test], n_classes=max(2, int(labels.max()) + 1))


def checked_points(points, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """The learner's own points (from clicks or a CSV): on the plane, finite, 2 or 3 classes, each class present."""
    points = torch.as_tensor(points, dtype=torch.float32).reshape(-1, 2)
    labels = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
    if len(points) != len(labels):
        raise ValueError(f"{len(points)} points but {len(labels)} labels.")
    if len(points) > MAX_POINTS:
        raise ValueError(f"At most {MAX_POINTS:,} points, got {len(points):,}.")
    if not bool(points.isfinite().all()) or bool((points.abs() > EXTENT).any()):
        raise ValueError(f"Every x and y must be a number between {-EXTENT:g} and {EXTENT:g}.")
    if bool(((labels < 0) | (labels >= MAX_CLASSES)).any()):
        raise ValueError(f"Labels must be 0, 1 or 2 (at most {MAX_CLASSES} classes).")
    present = sorted(set(labels.tolist()))
    if len(present) < 2 or present != list(range(len(present))):
        named = ", ".join(map(str, present)) or "none"
        raise ValueError(f"The points need at least two classes, numbered from 0 (0 and 1, or 0, 1 and 2); "
                         f"found {named}.")
    if len(points) < 4:
        raise ValueError(f"Add at least 4 points (some of each class), got {len(points)}.")
    return points, labels


def read_csv(data: bytes) -> tuple[torch.Tensor, torch.Tensor]:
    """A CSV of rows x, y, label (a header row is allowed): points and labels, or a ValueError naming the line."""
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"The CSV is {len(data):,} bytes; at most {MAX_CSV_BYTES:,} ({MAX_POINTS:,} rows of x, y, "
                         "label) are read.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not a text CSV (x, y, label per row).") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and not _numbers(rows[0][:2]):
        rows = rows[1:]                                                       # a header row
    if not rows:
        raise ValueError("The CSV has no rows; each row is x, y, label, e.g. 1.5,-2,0.")
    if len(rows) > MAX_POINTS:
        raise ValueError(f"The CSV has {len(rows):,} rows; at most {MAX_POINTS:,} are allowed.")
    points, labels = [], []
    for line, row in enumerate(rows, start=1):
        values = _numbers(row)
        if values is None or len(values) != 3 or not float(values[2]).is_integer():
            raise ValueError(f"Row {line} ({quote(','.join(row), 30)}) must be three finite numbers x, y, label, "
                             "the label a whole number (0, 1 or 2).")
        points.append(values[:2]), labels.append(int(values[2]))
    return checked_points(points, labels)


def _numbers(cells: list[str]) -> list[float] | None:
    try:
        values = [float(cell) for cell in cells]
    except ValueError:
        return None
    return values if all(math.isfinite(v) for v in values) else None
