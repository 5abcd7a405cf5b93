"""The series' classic network, small: 64 pixels -> 16 -> 16 -> 10 outputs.

    a^(l+1) = f(W^(l+1) a^(l) + b^(l+1))

Hidden layers use the chosen activation (sigmoid, as in the series, or ReLU); the output layer is always a sigmoid,
and the cost of one example is the knowledge map's L = sum_j (a_j - y_j)^2 with y the one-hot label. C averages L.
Everything here is a pure function of a params dict, so torch.func (vmap, functional_call) can use it.
"""
import torch

from core.checks import quote

LAYER_SIZES = (64, 16, 16, 10)     # 8x8 pixels in, two hidden layers of 16, ten digits out
HIDDEN_ACTIVATIONS = ("sigmoid", "relu")
N_PARAMETERS = sum(n_out * n_in + n_out for n_in, n_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))  # weights + biases


def hidden_activation(name: str):
    if name not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"Unknown activation {quote(name)}; the digit network comes as "
                         f"{' or '.join(HIDDEN_ACTIVATIONS)}.")
    return torch.sigmoid if name == "sigmoid" else torch.relu


def init_params(seed: int = 0) -> dict[str, torch.Tensor]:
    """Weights W{l} of shape (out, in), biases b{l} of shape (out,), scaled like nn.Linear's default."""
    generator = torch.Generator().manual_seed(seed)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]), start=1):
        bound = fan_in ** -0.5
        params[f"W{l}"] = (torch.rand(fan_out, fan_in, generator=generator) * 2 - 1) * bound   # (out, in)
        params[f"b{l}"] = (torch.rand(fan_out, generator=generator) * 2 - 1) * bound           # (out,)
    return params


def forward_with_z(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str):
    """Pre-activations z^(l) and activations a^(l) of every layer. x: (B, 64) or (64,).

    Returns (zs, activations) with activations[0] = x and zs[l - 1] = W^(l) a^(l-1) + b^(l).
    """
    f = hidden_activation(activation)
    activations, zs = [x], []
    n_layers = len(LAYER_SIZES) - 1
    for l in range(1, n_layers + 1):
        z = activations[-1] @ params[f"W{l}"].T + params[f"b{l}"]          # (B, out)
        zs.append(z)
        activations.append(torch.sigmoid(z) if l == n_layers else f(z))
    return zs, activations


def forward(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str) -> list[torch.Tensor]:
    """The activations of every layer, input first, output last."""
    return forward_with_z(params, x, activation)[1]


def one_hot(y: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.one_hot(y.long(), LAYER_SIZES[-1]).to(torch.float32)


def cost_terms(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(a_j - y_j)^2 for every output j, y the one-hot label: an example's L is their sum. output (B, 10) or (10,),
    y the labels (B,) or one label ()."""
    return (output - one_hot(y)) ** 2


def cost(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str) -> torch.Tensor:
    """C = mean over examples of L = sum_j (a_j - y_j)^2: the cost the digit network was trained to lower."""
    output = forward(params, x, activation)[-1]                              # (B, 10)
    return cost_terms(output, y).sum(dim=-1).mean()


def predict(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str) -> torch.Tensor:
    return forward(params, x, activation)[-1].argmax(dim=-1)


def accuracy(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str) -> float:
    """The share of examples whose largest output is their label. x: (B, 64), y: (B,); x is read in the precision of
    the params (a stepped copy is float64, the checkpoint float32)."""
    return float((predict(params, x.to(params["W1"].dtype), activation) == y).double().mean())
