"""The loss landscape of a trained network, along two random filter-normalized directions
(Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the Loss Landscape of Neural Nets").

    C(alpha, beta) = C(theta* + alpha d1 + beta d2)

theta* are the trained weights. Each direction d is Gaussian noise rescaled filter by filter (a filter of a
fully connected layer is one neuron's row of incoming weights): d_row <- d_row * ||W_row|| / ||d_row||, so that a
step of alpha = 1 changes every neuron by as much as its own weights, whatever their scale. Biases are not moved
(the paper's `ignore='biasbn'`).

The whole grid is computed batched: the first layer's pre-activation is linear in (alpha, beta),
    x W1(alpha, beta)^T = x W1*^T + alpha x D1^T + beta x E1^T,
so three (N, 16) products serve every grid point; the later layers run as one batched matmul per chunk of points.
"""
import torch

from core.checks import in_range, whole
from core.mlp import LAYER_SIZES, cost, hidden_activation, one_hot

MAX_GRID = 61            # points per side: 61 x 61 = 3,721 networks over the whole training set, well under a second
MAX_RANGE = 3.0          # alpha, beta in [-range, range]; beyond ~2 every neuron is saturated and the map is flat
CHUNK = 16               # grid points per batched pass: keeps the (points, 16, N) activations near the cache
N_LAYERS = len(LAYER_SIZES) - 1
IN_PLACE = {"sigmoid": torch.Tensor.sigmoid_, "relu": torch.Tensor.relu_}


def filter_normalized_direction(params: dict[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
    """A random direction shaped like params: each weight row rescaled to the norm of that row of the weights;
    biases zero."""
    direction = {}
    for name, weight in params.items():
        if weight.dim() <= 1:
            direction[name] = torch.zeros_like(weight)                                  # (out,) biases stay put
            continue
        noise = torch.randn(weight.shape, generator=generator, dtype=weight.dtype)      # (out, in)
        scale = weight.norm(dim=1, keepdim=True) / (noise.norm(dim=1, keepdim=True) + 1e-10)
        direction[name] = noise * scale                                                  # row norms = weight's
    return direction


def random_directions(params: dict[str, torch.Tensor], seed: int):
    generator = torch.Generator().manual_seed(seed)
    return filter_normalized_direction(params, generator), filter_normalized_direction(params, generator)


def moved(params, d1, d2, alpha: float, beta: float) -> dict[str, torch.Tensor]:
    """theta* + alpha d1 + beta d2: one point of the landscape as a params dict (the plain, one-at-a-time way)."""
    return {name: params[name] + alpha * d1[name] + beta * d2[name] for name in params}


def landscape_loop(params, d1, d2, x, y, activation: str, alphas, betas) -> torch.Tensor:
    """The reference: one full forward pass per grid point. Returns C of shape (len(betas), len(alphas))."""
    with torch.inference_mode():
        return torch.tensor([[float(cost(moved(params, d1, d2, float(a), float(b)), x, y, activation))
                              for a in alphas] for b in betas])


def stacked(params, d1, d2, name: str) -> torch.Tensor:
    """theta*, d1 and d2 of one tensor, flattened and stacked: (3, numel)."""
    return torch.stack([t[name].reshape(-1) for t in (params, d1, d2)])                 # (3, numel)


def landscape_grid(params, d1, d2, x, y, activation: str, alphas, betas, chunk: int = CHUNK) -> torch.Tensor:
    """C(theta* + alpha d1 + beta d2) for every (beta, alpha) pair, batched. x: (N, 64), y: (N,) labels.
    Returns (len(betas), len(alphas)).

    Every point's weights are one small matmul: [1, alpha, beta] @ [theta*; d1; d2] (stacked weights). Activations
    are kept as (points, neurons, N): a batched W @ h then has the long N side last, which runs several times
    faster than h @ W^T with its 10- or 16-wide rows."""
    hidden_activation(activation)                                                     # checks the name
    f_ = IN_PLACE[activation]
    alphas, betas = torch.as_tensor(alphas, dtype=x.dtype), torch.as_tensor(betas, dtype=x.dtype)
    grid_beta, grid_alpha = torch.meshgrid(betas, alphas, indexing="ij")              # (Gb, Ga)
    coefficients = torch.stack([torch.ones(grid_alpha.numel(), dtype=x.dtype),
                                grid_alpha.reshape(-1), grid_beta.reshape(-1)], dim=1)  # (P, 3): [1, alpha, beta]
    n = x.shape[0]
    target = one_hot(y).to(x.dtype).T.expand(chunk, -1, -1).contiguous()              # (chunk, 10, N)
    # The activations of a chunk are written into buffers made once: fresh multi-MB tensors at every step cost
    # more in page faults than the arithmetic.
    buffers = [torch.empty(chunk, size, n, dtype=x.dtype) for size in LAYER_SIZES[1:]]   # (chunk, out, N) each
    with torch.inference_mode():
        # layer 1 is linear in (alpha, beta):
        # W1(alpha, beta) x^T + b1 = [1, alpha, beta] @ [W1* x^T + b1; D1 x^T; E1 x^T]
        first = torch.stack([t["W1"] @ x.T + t["b1"][:, None] for t in (params, d1, d2)])   # (3, 16, N)
        first = first.reshape(3, -1)                                                  # (3, 16 * N)
        later = {l: (stacked(params, d1, d2, f"W{l}"), stacked(params, d1, d2, f"b{l}"))
                 for l in range(2, N_LAYERS + 1)}
        costs = []
        for start in range(0, coefficients.shape[0], chunk):
            c = coefficients[start:start + chunk]                                      # (p, 3)
            p = c.shape[0]
            h = buffers[0][:p]                                                         # (p, 16, N)
            torch.mm(c, first, out=h.view(p, -1))
            f_(h)
            for l in range(2, N_LAYERS + 1):
                fan_in, fan_out = LAYER_SIZES[l - 1], LAYER_SIZES[l]
                W = (c @ later[l][0]).reshape(p, fan_out, fan_in)                      # (p, out, in) per point
                bias = (c @ later[l][1])[:, :, None]                                   # (p, out, 1)
                z = buffers[l - 1][:p]                                                 # (p, out, N)
                torch.baddbmm(bias, W, h, out=z)                                       # W h + b, for every point
                h = z.sigmoid_() if l == N_LAYERS else f_(z)
            costs.append(h.sub_(target[:p]).square_().sum(dim=1).mean(dim=-1))        # (p,) C = mean of L
        return torch.cat(costs).reshape(grid_alpha.shape)                              # (Gb, Ga)


def check_grid(points, extent) -> tuple[int, float]:
    """Grid size and range, or a ValueError naming the caps."""
    n = whole("grid size", points, 3, MAX_GRID)
    r = in_range("range", extent, 0.01, MAX_RANGE)
    return n, r


def axis(points: int, extent: float) -> torch.Tensor:
    return torch.linspace(-extent, extent, points)                                     # (points,) float32


def forward_flops(n_examples: int, n_points: int) -> float:
    """Multiply-adds x 2 of the plain forward pass of every grid point: the arithmetic floor's count."""
    per_example = sum(2 * fan_in * fan_out for fan_in, fan_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
    return float(per_example) * n_examples * n_points
