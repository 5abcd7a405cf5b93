"""The series' own fact neuron, built by hand (knowledge map: MLP Block (Fact Storage): "IF context = 'Michael
Jordan' THEN add 'basketball'"), and why a small space holds many more nearly perpendicular directions than it has
dimensions (superposition).

A stream of DIMENSIONS = 8 numbers holds five named directions e_n, orthonormal (e_n · e_k = 1 if n = k, else 0), so
the amount of a name in the stream is its dot product with it. One MLP neuron:

    x   = Σ_n s_n e_n                               the stream: s_Michael of Michael, s_Jordan of Jordan, ...
    z   = w_up · x + b,   w_up = e_Michael + e_Jordan,   b = −1      its key (a row of W_up) and its bias
    a   = ReLU(z) = max(0, z)
    out = a · w_down,     w_down = e_basketball                       its value (a column of W_down)
    read = out · e_basketball = a

Because the directions are orthonormal, w_up · x = s_Michael + s_Jordan, so z = s_Michael + s_Jordan − 1: with each
name present (1) or absent (0) only both together give z > 0. The neuron is an AND gate, and the MLP adds
'basketball' to the stream only for Michael AND Jordan.
"""
import math
from dataclasses import dataclass

import torch

from core.checks import in_range, whole

NAMES = ("Michael", "Jordan", "Phelps", "basketball", "swimming")   # the named directions, in this order
DIMENSIONS = 8            # the toy stream's size: 5 named directions and 3 unnamed ones (the series' GPT-3: 12,288)
BIAS = -1.0               # the neuron's bias: it takes both names (1 + 1 − 1 > 0) to fire
AMOUNT_RANGE = (-1.0, 1.0)    # how much of a name the sliders may put in the stream
BIAS_RANGE = (-2.0, 0.5)       # above 0 the neuron fires with no name at all
SEED = 0                  # the random directions of the superposition measurement


@dataclass(frozen=True)
class FactMLP:
    directions: torch.Tensor    # (names, d) the named directions e_n as orthonormal rows
    w_up: torch.Tensor          # (d,) the neuron's key, a row of W_up: e_Michael + e_Jordan
    bias: float                 # b
    w_down: torch.Tensor        # (d,) the neuron's value, a column of W_down: e_basketball


@dataclass(frozen=True)
class Firing:
    x: torch.Tensor             # (d,) the stream going in
    z: float                    # w_up · x + b
    a: float                    # ReLU(z)
    out: torch.Tensor           # (d,) what the MLP adds to the stream: a · w_down
    read: float                 # out · e_basketball
    on_names: torch.Tensor      # (names,) x · e_n: the stream on each named direction
    written: torch.Tensor       # (names,) out · e_n: what the neuron writes on each named direction


def direction(mlp: FactMLP, name: str) -> torch.Tensor:
    return mlp.directions[NAMES.index(name)]


def named_directions() -> torch.Tensor:
    """The five named directions, orthonormal and exact in floating point: rows of the 4 × 4 Hadamard matrix / 2,
    twice on the diagonal (entries ±1/2 and 0). No name sits on a coordinate axis: meaning lives in directions, not
    in single coordinates. (names, d)"""
    h = torch.tensor([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], dtype=torch.float64) / 2
    return torch.block_diag(h, h)[[0, 1, 2, 4, 5]]           # (5, 8): Michael, Jordan, Phelps | basketball, swimming


def fact_mlp(bias: float = BIAS) -> FactMLP:
    """The series' neuron: key 'Michael + Jordan', bias b, value 'basketball'."""
    bias = in_range("bias b", bias, *BIAS_RANGE)
    directions = named_directions()
    e = dict(zip(NAMES, directions))
    return FactMLP(directions, w_up=e["Michael"] + e["Jordan"], bias=bias, w_down=e["basketball"])


def stream(mlp: FactMLP, amounts: dict[str, float]) -> torch.Tensor:
    """x = Σ_n s_n e_n for the amounts given by name (a name left out is 0). (d,)"""
    x = torch.zeros(mlp.directions.shape[1], dtype=torch.float64)
    for name, amount in amounts.items():
        if name not in NAMES:
            raise ValueError(f"{name!r} is not a named direction; the names are {', '.join(NAMES)}.")
        x = x + in_range(f"the amount of {name}", amount, *AMOUNT_RANGE) * direction(mlp, name)
    return x


def fire(mlp: FactMLP, x: torch.Tensor) -> Firing:
    """The neuron on stream x (d,): up-project, ReLU, down-project, and read 'basketball' off what it writes."""
    z = float(mlp.w_up @ x) + mlp.bias                   # the key's match, plus the bias (−1: the threshold)
    a = max(0.0, z)                                      # ReLU: off unless the pattern matches
    out = a * mlp.w_down                                 # (d,) the value, scaled by how hard it fired
    return Firing(x, z, a, out, read=float(out @ direction(mlp, "basketball")), on_names=mlp.directions @ x,
                  written=mlp.directions @ out)


def truth_table(mlp: FactMLP) -> list[tuple[int, int, float]]:
    """(Michael, Jordan, read) at the four corners, each name absent (0) or present (1)."""
    return [(m, j, fire(mlp, stream(mlp, {"Michael": m, "Jordan": j})).read) for m in (0, 1) for j in (0, 1)]


def read_map(mlp: FactMLP, amounts: torch.Tensor) -> torch.Tensor:
    """read over a grid of (Michael, Jordan) amounts (G,), Phelps 0: row i is Jordan = amounts[i]. (G, G)"""
    e_m, e_j = direction(mlp, "Michael"), direction(mlp, "Jordan")
    x = amounts[None, :, None] * e_m + amounts[:, None, None] * e_j          # (G, G, d): [jordan, michael]
    a = torch.relu(x @ mlp.w_up + mlp.bias)                                  # (G, G)
    return a[..., None] * mlp.w_down @ direction(mlp, "basketball")          # (G, G)


# Superposition: many nearly perpendicular directions in a small space.
MAX_DIRECTIONS = 2000
DIMENSION_RANGE = (2, 400)
CONFIDENCE = 0.99          # the bound on the largest overlap holds with at least this probability


@dataclass(frozen=True)
class Overlap:
    n: int                      # directions
    d: int                      # dimensions
    mean_abs_cos: float         # mean |cos| over the n(n − 1)/2 pairs
    max_abs_cos: float          # the largest |cos| of any pair
    expected_mean: float        # E|cos| of two random unit directions in d dimensions
    max_bound: float            # with probability ≥ CONFIDENCE no pair's |cos| exceeds it (union bound)
    angle_edges: torch.Tensor   # (bins + 1,) degrees
    angle_counts: torch.Tensor  # (bins,) pairs per bin


def random_directions(n: int, d: int, seed: int = SEED) -> torch.Tensor:
    """n random unit directions in d dimensions (normalised Gaussians: uniform on the sphere). (n, d)"""
    generator = torch.Generator().manual_seed(seed)
    v = torch.randn(n, d, generator=generator, dtype=torch.float64)          # (n, d)
    return v / v.norm(dim=1, keepdim=True)


def expected_mean_abs_cos(d: int) -> float:
    """E|u · v| for independent random unit vectors in d dimensions: Γ(d/2) / (√π Γ((d + 1)/2)) ≈ √(2 / (π d))."""
    return math.exp(math.lgamma(d / 2) - math.lgamma((d + 1) / 2)) / math.sqrt(math.pi)


def max_cos_bound(n: int, d: int, confidence: float = CONFIDENCE) -> float:
    """The Johnson–Lindenstrauss argument: one pair has P(|cos| ≥ ε) ≤ 2 e^{−dε²/2}; over all P = n(n − 1)/2 pairs
    (the union bound) P(max |cos| ≥ ε) ≤ 2P e^{−dε²/2} = 1 − confidence when ε = √(2 ln(2P / (1 − confidence)) / d)."""
    pairs = n * (n - 1) / 2
    return math.sqrt(2 * math.log(2 * pairs / (1 - confidence)) / d)


def directions_that_fit(d: int, epsilon: float, confidence: float = 0.5) -> float:
    """How many random directions keep every pair's |cos| ≤ ε with probability ≥ confidence, by the same bound:
    n² e^{−dε²/2} ≤ 1 − confidence gives n = √(1 − confidence) · e^{dε²/4}, exponential in d."""
    return math.sqrt(1 - confidence) * math.exp(d * epsilon ** 2 / 4)


def angle_density(degrees: torch.Tensor, d: int) -> torch.Tensor:
    """The density (per degree) of the angle θ between two random unit directions in d dimensions:
    Γ(d/2) / (√π Γ((d − 1)/2)) · sin^{d−2} θ, crowding round 90° as d grows."""
    constant = math.exp(math.lgamma(d / 2) - math.lgamma((d - 1) / 2)) / math.sqrt(math.pi)
    return constant * torch.sin(torch.deg2rad(degrees)) ** (d - 2) * math.pi / 180


def measure_overlap(n, d, bins: int = 180, seed: int = SEED) -> Overlap:
    """Every pair's |cos| among n random unit directions in d dimensions, against the expectations."""
    n = whole("directions", n, 2, MAX_DIRECTIONS)
    d = whole("dimensions", d, *DIMENSION_RANGE)
    v = random_directions(n, d, seed)                                        # (n, d)
    i, j = torch.triu_indices(n, n, offset=1)
    cos = (v @ v.T)[i, j]                                                    # (n(n − 1)/2,) each pair once
    angles = torch.rad2deg(torch.arccos(cos.clamp(-1, 1)))
    edges = torch.linspace(0, 180, bins + 1, dtype=torch.float64)
    return Overlap(n, d, float(cos.abs().mean()), float(cos.abs().max()), expected_mean_abs_cos(d),
                   max_cos_bound(n, d), edges, torch.histc(angles, bins=bins, min=0, max=180))

