"""A small network learning 2-D data, as in TensorFlow Playground, written with the series' formulas.

    features   a^(0) = the switched-on ones of x, y, x², y², xy, sin x, sin y   (each scaled to within ±3: FEATURES)
    layers     a^(l+1) = f(W^(l+1) a^(l) + b^(l+1))    f = ReLU, tanh, sigmoid or linear in the hidden layers
    output     a_j = σ(z_j), one neuron per class      (the series' output layer: the largest a_j is the answer)
    cost       L = Σ_j (a_j − y_j)²,  C = (1/n) Σ L     (y one-hot; training adds λ/2 Σ w² with L2 regularisation)
    step       θ ← θ − η ∇C(θ) on a mini-batch          (plain SGD; ∇C is torch autograd's)

Everything is a pure function of a params dict {W1, b1, W2, ...} (W^(l) of shape (out, in)), so a learner's run is
plain data (a Run) that can live in one browser session's state and never touches anyone else's.
"""
import math
from dataclasses import dataclass, field, replace

import torch

from core.checks import MAX_SEED, in_range, quote, whole
from core.playground_data import EXTENT, Split

# name -> the input it feeds the network, from the plane's x, y in [-6, 6]. x and y enter halved (within ±3: the
# first layer's tanh is not flat there, and on the spiral 2 layers of 8 reach 90 % for 5 of 5 seeds, against 3 of 5
# with x/6); the squares and the product are scaled to [0, 1] and [-1, 1].
FEATURES = {
    "x": lambda x, y: x / 2,
    "y": lambda x, y: y / 2,
    "x²": lambda x, y: (x / EXTENT) ** 2,
    "y²": lambda x, y: (y / EXTENT) ** 2,
    "xy": lambda x, y: x * y / EXTENT ** 2,
    "sin x": lambda x, y: torch.sin(x),
    "sin y": lambda x, y: torch.sin(y),
}
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda z: z}
MAX_LAYERS, MAX_WIDTH = 4, 8          # hidden layers, neurons per hidden layer
MAX_LEARNING_RATE, MAX_L2 = 10.0, 1.0
MAX_BATCH = 500


@dataclass(frozen=True)
class Network:
    features: tuple[str, ...]         # the inputs switched on, in FEATURES' order
    hidden: tuple[int, ...]           # neurons per hidden layer; () = no hidden layer
    activation: str                   # of the hidden layers
    n_classes: int                    # output neurons

    @property
    def sizes(self) -> tuple[int, ...]:
        return (len(self.features), *self.hidden, self.n_classes)


def network(features, hidden, activation: str, n_classes: int) -> Network:
    """A checked Network: known features (at least one), at most 4 hidden layers of 1 to 8 neurons, a known f."""
    features = [str(f) for f in (features or [])]
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"Unknown feature {quote(unknown[0])}; the features are {', '.join(FEATURES)}.")
    if not features:
        raise ValueError("Switch on at least one input feature (x and y are the usual ones).")
    hidden = [whole("neurons in a hidden layer", width, 1, MAX_WIDTH) for width in (hidden or [])]
    if len(hidden) > MAX_LAYERS:
        raise ValueError(f"At most {MAX_LAYERS} hidden layers, got {len(hidden)}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {quote(activation)}; choose one of {', '.join(ACTIVATIONS)}.")
    return Network(tuple(f for f in FEATURES if f in features), tuple(hidden), activation,
                   whole("classes", n_classes, 2, 3))


def feature_matrix(points: torch.Tensor, features: tuple[str, ...]) -> torch.Tensor:
    """a^(0) for every point: (n, 2) plane points -> (n, len(features))."""
    x, y = points[:, 0], points[:, 1]
    return torch.stack([FEATURES[name](x, y) for name in features], dim=1)


def init_params(net: Network, seed: int) -> dict[str, torch.Tensor]:
    """Glorot-uniform weights W^(l) (out, in), zero biases b^(l) (out,): seeded, so a seed gives the same run."""
    generator = torch.Generator().manual_seed(whole("seed", seed, 0, MAX_SEED))
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:]), start=1):
        bound = math.sqrt(6 / (fan_in + fan_out))
        params[f"W{l}"] = (torch.rand(fan_out, fan_in, generator=generator) * 2 - 1) * bound     # (out, in)
        params[f"b{l}"] = torch.zeros(fan_out)                                                     # (out,)
    return params


def forward(params: dict[str, torch.Tensor], net: Network, inputs: torch.Tensor) -> list[torch.Tensor]:
    """Every layer's activations for a batch of feature rows (n, F): [a^(0), a^(1), ..., output (n, classes)]."""
    f, n_layers = ACTIVATIONS[net.activation], len(net.sizes) - 1
    activations = [inputs]
    for l in range(1, n_layers + 1):
        z = activations[-1] @ params[f"W{l}"].T + params[f"b{l}"]                  # (n, out)
        activations.append(torch.sigmoid(z) if l == n_layers else f(z))
    return activations


def cost(output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """C = (1/n) Σ L with L = Σ_j (a_j − y_j)² and y the one-hot label."""
    target = torch.nn.functional.one_hot(labels, output.shape[1]).to(output.dtype)  # (n, classes)
    return ((output - target) ** 2).sum(dim=1).mean()


def l2_penalty(params: dict[str, torch.Tensor], l2: float) -> torch.Tensor:
    """λ/2 Σ w² over the weights (not the biases), as Playground's L2 regularisation."""
    return l2 / 2 * sum((w ** 2).sum() for name, w in params.items() if name.startswith("W"))


def gradient(params, net: Network, inputs, labels, l2: float = 0.0) -> tuple[dict[str, torch.Tensor], float]:
    """∇(C + λ/2 Σ w²) on one batch, by torch autograd, and the batch's C."""
    leaves = {name: p.detach().requires_grad_(True) for name, p in params.items()}
    batch_cost = cost(forward(leaves, net, inputs)[-1], labels)
    grads = torch.autograd.grad(batch_cost + l2_penalty(leaves, l2), list(leaves.values()))
    return dict(zip(leaves, grads)), float(batch_cost.detach())


def accuracy(params, net: Network, inputs, labels) -> float:
    with torch.no_grad():
        return share_right(forward(params, net, inputs)[-1], labels)


def share_right(outputs: torch.Tensor, labels) -> float:
    """The share of points whose largest output (n, K) is their class."""
    return float((outputs.argmax(dim=1) == labels).float().mean())


@dataclass(frozen=True)
class Run:
    """One learner's training so far: plain data, so it lives in that browser session's state."""
    net: Network
    params: dict                           # name -> tensor
    seed: int
    step: int = 0                          # mini-batch steps taken
    epoch: int = 0                         # full passes over the training points
    position: int = 0                      # where in the current epoch's shuffled order the next batch starts
    train_cost: list = field(default_factory=list)   # C on all training points, at epoch 0, 1, 2, ...
    test_cost: list = field(default_factory=list)    # C on the test points, at the same epochs
    diverged: bool = False                 # a weight became inf or NaN: training stops


def start(net: Network, data: Split, seed: int) -> Run:
    params = init_params(net, seed)
    train_c, test_c = costs(params, net, data)
    return Run(net, params, seed, train_cost=[train_c], test_cost=[test_c])


def costs(params, net: Network, data: Split) -> tuple[float, float]:
    """C on the training points and on the test points (without the L2 term)."""
    with torch.no_grad():
        return tuple(float(cost(forward(params, net, feature_matrix(points, net.features))[-1], labels))
                     for points, labels in ((data.train_points, data.train_labels),
                                            (data.test_points, data.test_labels)))


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The shuffled order of the training points in one epoch (seeded by the run's seed and the epoch)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed((seed * 100_003 + epoch) % (MAX_SEED + 1)))


def train(run: Run, data: Split, learning_rate: float, batch_size: int, l2: float, steps: int) -> Run:
    """`steps` more SGD steps θ ← θ − η ∇(C + λ/2 Σ w²); the costs are recorded at the end of every epoch."""
    learning_rate = in_range("learning rate", learning_rate, 0, MAX_LEARNING_RATE)
    l2 = in_range("L2 regularisation", l2, 0, MAX_L2)
    batch_size = whole("batch size", batch_size, 1, MAX_BATCH)
    steps = whole("steps", steps, 0, 1_000_000)
    inputs, labels, n = feature_matrix(data.train_points, run.net.features), data.train_labels, len(data.train_labels)
    params, epoch, position = dict(run.params), run.epoch, run.position
    train_cost, test_cost, diverged, order, taken = list(run.train_cost), list(run.test_cost), run.diverged, None, 0
    for _ in range(0 if diverged else steps):
        order = epoch_order(run.seed, epoch, n) if order is None or position == 0 else order
        batch = order[position:position + batch_size]                                         # (B,)
        grads, _ = gradient(params, run.net, inputs[batch], labels[batch], l2)
        params = {name: p - learning_rate * grads[name] for name, p in params.items()}      # θ ← θ − η ∇C
        position, taken = position + len(batch), taken + 1
        if position >= n:                                                                      # an epoch ends
            epoch, position = epoch + 1, 0
            train_c, test_c = costs(params, run.net, data)
            train_cost.append(train_c), test_cost.append(test_c)
        if not all(bool(p.isfinite().all()) for p in params.values()):
            diverged = True
            break
    return replace(run, params=params, step=run.step + taken, epoch=epoch, position=position, train_cost=train_cost,
                   test_cost=test_cost, diverged=diverged)


def plane_grid(resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The axis (resolution,) and the grid points (resolution², 2) over the plane, row-major with y outer."""
    axis = torch.linspace(-EXTENT, EXTENT, whole("grid resolution", resolution, 2, 400))
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return axis, torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


def activations_on_plane(params, net: Network, resolution: int) -> list[torch.Tensor]:
    """Every neuron's value over the plane: per layer (resolution, resolution, neurons), features first, output
    last; row i is y = axis[i]. These are the tiles of the network picture."""
    axis, grid = plane_grid(resolution)
    with torch.no_grad():
        layers = forward(params, net, feature_matrix(grid, net.features))
    return [layer.reshape(resolution, resolution, -1) for layer in layers]


def weights_as_lists(params: dict[str, torch.Tensor]) -> list[dict]:
    """The weights and biases layer by layer, as JSON-ready lists: [{"W": [[...]], "b": [...]}, ...]."""
    n_layers = len(params) // 2
    return [{"W": params[f"W{l}"].tolist(), "b": params[f"b{l}"].tolist()} for l in range(1, n_layers + 1)]
