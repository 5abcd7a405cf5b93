"""A real cost with exactly two parameters, on real digits, so that its surface can be drawn exactly
(knowledge map: Cost Function, SGD — Mini-batch).

The model tells an 8 from a 3 by one number per image, x = how much ink the left side has (an 8 closes its left
loops, a 3 is open there), standardized over the examples:

    a = sigmoid(w x + b)           L = (a - y)^2 with y = 1 for an 8, 0 for a 3       C(w, b) = mean of L over all N

Full-batch gradient descent follows grad C; mini-batch SGD follows the gradient of the mean over B examples, a
noisy estimate that costs B/N of a full step.
"""
from dataclasses import dataclass

import numpy as np
import torch

from core.checks import whole
from core.landscape import descend

DIGITS = (3, 8)                          # y = 0 for a 3, y = 1 for an 8
ROWS, COLUMNS = slice(2, 6), slice(1, 3)  # the left side of the 8x8 image: rows 2..5, columns 1..2
W_RANGE, B_RANGE = (-4.0, 8.0), (-5.0, 5.0)
START = (-2.0, 2.0)                      # the wrong sign of w: it calls 3s 8s; descent has to turn it round
LEARNING_RATE, STEPS, BATCH_SIZE = 3.0, 40, 4   # a batch of 4: the noise is plain to see


@dataclass(frozen=True)
class TwoClassData:
    x: torch.Tensor          # (N,) the standardized left-side ink of each image, float64
    y: torch.Tensor          # (N,) 1.0 for an 8, 0.0 for a 3
    ink_mean: float          # the raw feature's mean and spread (to explain x in the UI)
    ink_std: float


def left_ink_data(images: np.ndarray, labels: np.ndarray) -> TwoClassData:
    """images (M, 64) in [0, 1], labels (M,): keep the 3s and 8s, one standardized number per image."""
    keep = np.isin(labels, DIGITS)
    ink = images[keep].reshape(-1, 8, 8)[:, ROWS, COLUMNS].mean(axis=(1, 2)).astype(np.float64)   # (N,)
    mean, std = float(ink.mean()), float(ink.std())
    x = torch.tensor((ink - mean) / std)                                                           # (N,)
    y = torch.tensor((labels[keep] == DIGITS[1]).astype(np.float64))                               # (N,)
    return TwoClassData(x, y, mean, std)


def data_cost(w, b, data: TwoClassData):
    """C(w, b) = mean over the N examples of (sigmoid(w x + b) - y)^2. w, b: floats or tensors of any shape S."""
    w, b = torch.as_tensor(w, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    a = torch.sigmoid(w[..., None] * data.x + b[..., None])                    # (*S, N)
    return ((a - data.y) ** 2).mean(dim=-1)                                   # (*S,)


def batch_gradient(w: float, b: float, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """The gradient of the mean of L over the examples given, by the chain rule:
    dL/dz = 2 (a - y) a (1 - a), and dz/dw = x, dz/db = 1."""
    a = torch.sigmoid(w * x + b)                                               # (B,)
    dz = 2 * (a - y) * a * (1 - a)                                             # (B,) dL/dz
    return float((dz * x).mean()), float(dz.mean())


def minibatches(n: int, batch_size: int, steps: int, seed: int) -> list[torch.Tensor]:
    """The examples of each step: every epoch a fresh shuffle, cut into batches of batch_size (the last batch of an
    epoch may be smaller), like a DataLoader with shuffle=True."""
    generator = torch.Generator().manual_seed(seed)
    batches = []
    while len(batches) < steps:
        order = torch.randperm(n, generator=generator)                        # (n,)
        batches.extend(order[i:i + batch_size] for i in range(0, n, batch_size))
    return batches[:steps]


def sgd_gradient(data: TwoClassData, batch_size: int, steps: int, seed: int = 0):
    """gradient_at for core.landscape.descend: step k follows the gradient of batch k. Also returns how many
    examples each step processed."""
    batches = minibatches(len(data.x), batch_size, steps, seed)

    def gradient_at(w: float, b: float, step: int) -> tuple[float, float]:
        chosen = batches[step]
        return batch_gradient(w, b, data.x[chosen], data.y[chosen])

    return gradient_at, [len(batch) for batch in batches]


def check_batch_size(batch_size, n: int) -> int:
    return whole("batch size", batch_size, 1, n)


def descend_data(data: TwoClassData, start, learning_rate: float, momentum: float, steps: int, batch_size: int,
                 seed: int = 0):
    """The path of (w, b) under mini-batch SGD (batch_size = N is full-batch gradient descent), and the examples
    processed after each step (0 at the start)."""
    batch_size = check_batch_size(batch_size, len(data.x))
    gradient_at, sizes = sgd_gradient(data, batch_size, steps, seed)
    path = descend(lambda w, b: data_cost(w, b, data), gradient_at, start, learning_rate, momentum, steps)
    examples = torch.tensor([0, *sizes]).cumsum(0)[:len(path.points)]            # (k + 1,)
    return path, examples


def examples_to_reach(costs: torch.Tensor, examples: torch.Tensor, target: float) -> tuple[int, int] | None:
    """(examples processed, steps) when the true cost first got to target or below; None if it never did."""
    below = torch.nonzero(costs <= target)
    return (int(examples[below[0, 0]]), int(below[0, 0])) if len(below) else None


def cost_surface(data: TwoClassData, w_points: int = 73, b_points: int = 61):
    """C over the plotted (w, b) region: ws (w_points,), bs (b_points,), C (b_points = rows, w_points = cols)."""
    ws = torch.linspace(*W_RANGE, w_points, dtype=torch.float64)
    bs = torch.linspace(*B_RANGE, b_points, dtype=torch.float64)
    grid_b, grid_w = torch.meshgrid(bs, ws, indexing="ij")                               # (b_points, w_points)
    return ws, bs, data_cost(grid_w, grid_b, data)
