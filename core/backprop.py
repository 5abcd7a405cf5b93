"""Backpropagation for one example, written out with the chain rule (no autograd), so every factor can be shown.

For the cost of one example, L = sum_j (a_j - y_j)^2, and a weight w = W^(l)_jk from neuron k of layer l-1 to
neuron j of layer l:

    dL/dw = dL/da_j  *  da_j/dz_j  *  dz_j/dw
            how wrong   how responsive   how active
            (blame)     f'(z_j)          a^(l-1)_k

At the output, how wrong = 2 (a_j - y_j). In an earlier layer, the blame of a_j is the sum over all paths from it
to the next layer: dL/da_j^(l) = sum_i W^(l+1)_ij * f'(z_i^(l+1)) * dL/da_i^(l+1).

The cost C averages L over the examples of a batch, so its gradient averages theirs:

    dC/dw = (1/n) sum_m dL_m/dw

and one gradient-descent step moves every weight and bias at once: theta <- theta - eta * dC/dtheta.
"""
from dataclasses import dataclass

import torch

from core.mlp import LAYER_SIZES, cost, forward_with_z, hidden_activation, one_hot

N_LAYERS = len(LAYER_SIZES) - 1   # weight layers 1..3


def activation_slope(z: torch.Tensor, activation: str, output_layer: bool) -> torch.Tensor:
    """f'(z): sigmoid' = s(1 - s); ReLU' = 1 where z > 0, else 0. The output layer is always a sigmoid."""
    hidden_activation(activation)
    if output_layer or activation == "sigmoid":
        s = torch.sigmoid(z)
        return s * (1 - s)
    return (z > 0).to(z.dtype)


@dataclass(frozen=True)
class Backprop:
    activations: list[torch.Tensor]   # a^(0) (64,) ... a^(3) (10,)
    zs: list[torch.Tensor]            # z^(1) (16,), z^(2) (16,), z^(3) (10,); zs[l - 1] is layer l
    slopes: list[torch.Tensor]        # f'(z^(l)), same shapes as zs
    blame: list[torch.Tensor]         # dL/da^(l) for l = 1..3 (blame[l - 1])
    grads: dict[str, torch.Tensor]    # dL/dW{l} (out, in) and dL/db{l} (out,)
    cost: float                       # L for this example


def backprop(params: dict[str, torch.Tensor], x: torch.Tensor, label: int, activation: str) -> Backprop:
    """One forward pass, then the blame passed backward layer by layer. x: (64,), label in 0..9."""
    params = {name: value.double() for name, value in params.items()}
    zs, activations = forward_with_z(params, x.double(), activation)
    target = one_hot(torch.tensor(label)).double()                                        # (10,)
    slopes = [activation_slope(z, activation, output_layer=(l == N_LAYERS)) for l, z in enumerate(zs, 1)]
    blame = [None] * N_LAYERS
    blame[N_LAYERS - 1] = 2 * (activations[-1] - target)                                 # dL/da^(3)
    for l in range(N_LAYERS - 1, 0, -1):                                                  # layers 2, 1
        delta_next = slopes[l] * blame[l]                                                 # dL/dz^(l+1)
        blame[l - 1] = params[f"W{l + 1}"].T @ delta_next                                 # sum over paths
    grads = {}
    for l in range(1, N_LAYERS + 1):
        delta = slopes[l - 1] * blame[l - 1]                                              # dL/dz^(l)
        grads[f"W{l}"] = torch.outer(delta, activations[l - 1])                           # (out, in)
        grads[f"b{l}"] = delta                                                            # dz/db = 1
    cost_of_example = float(((activations[-1] - target) ** 2).sum())                     # L = sum_j (a_j - y_j)^2
    return Backprop(activations, zs, slopes, blame, grads, cost_of_example)


@dataclass(frozen=True)
class ChainRule:
    layer: int
    to_neuron: int                    # j, in layer `layer`
    from_neuron: int                  # k, in layer `layer - 1`
    how_wrong: float                  # dL/da_j
    how_responsive: float             # da_j/dz_j = f'(z_j)
    how_active: float                 # dz_j/dw = a_k^(l-1)
    gradient: float                   # the product of the three
    paths: list[tuple[int, float, float, float, float]] | None
    # for an earlier layer: (i, W^(l+1)_ij, f'(z_i^(l+1)), dL/da_i^(l+1), their product), one row per path


def chain_rule(result: Backprop, params: dict[str, torch.Tensor], layer: int, to_neuron: int,
               from_neuron: int) -> ChainRule:
    """The three factors of dL/dW^(layer)[to_neuron, from_neuron], and the paths that make up its blame."""
    if not 1 <= layer <= N_LAYERS:
        raise ValueError(f"layer must be 1, 2 or 3 (the weight layers), got {layer}.")
    if not 0 <= to_neuron < LAYER_SIZES[layer]:
        raise ValueError(f"Layer {layer} has neurons 0..{LAYER_SIZES[layer] - 1}; got {to_neuron}.")
    if not 0 <= from_neuron < LAYER_SIZES[layer - 1]:
        raise ValueError(f"Layer {layer - 1} has neurons 0..{LAYER_SIZES[layer - 1] - 1}; got {from_neuron}.")
    how_wrong = float(result.blame[layer - 1][to_neuron])
    how_responsive = float(result.slopes[layer - 1][to_neuron])
    how_active = float(result.activations[layer - 1][from_neuron])
    paths = None
    if layer < N_LAYERS:
        weights = params[f"W{layer + 1}"][:, to_neuron].double()                  # (next,) W^(l+1)_ij over i
        slopes, downstream = result.slopes[layer], result.blame[layer]
        paths = [(i, float(weights[i]), float(slopes[i]), float(downstream[i]),
                  float(weights[i] * slopes[i] * downstream[i])) for i in range(len(weights))]
    return ChainRule(layer, to_neuron, from_neuron, how_wrong, how_responsive, how_active,
                     how_wrong * how_responsive * how_active, paths)


def steepest_weight(result: Backprop, layer: int) -> tuple[int, int]:
    """(j, k) of the weight of this layer whose gradient is largest in size: where all three factors are visible."""
    gradients = result.grads[f"W{layer}"].abs()                                         # (out, in)
    j, k = divmod(int(gradients.argmax()), gradients.shape[1])
    return j, k


def desired_nudges(result: Backprop, params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """What the example wants: -dL/da of the outputs (10,), and how each output's wish spreads to the last hidden
    layer (10, 16): row j is output j's nudge on every hidden neuron; the column sums are the hidden layer's wishes."""
    wanted_outputs = -result.blame[N_LAYERS - 1]                                          # (10,)
    per_output = (result.slopes[N_LAYERS - 1] * wanted_outputs)[:, None] * params[f"W{N_LAYERS}"].double()
    return wanted_outputs, per_output                                                     # (10,), (10, 16)


def gradient_step(params: dict[str, torch.Tensor], grads: dict[str, torch.Tensor], learning_rate: float):
    """theta <- theta - eta * grad L (a new dict; the shared network is never changed)."""
    return {name: value.double() - learning_rate * grads[name] for name, value in params.items()}


@dataclass(frozen=True)
class BatchGradient:
    examples: list[Backprop]          # one backprop per example m of the batch, in order
    grads: dict[str, torch.Tensor]    # dC/dtheta = (1/n) sum_m dL_m/dtheta, every weight (out, in) and bias (out,)
    cost: float                       # C = (1/n) sum_m L_m


def batch_backprop(params: dict[str, torch.Tensor], xs: torch.Tensor, labels: torch.Tensor,
                   activation: str) -> BatchGradient:
    """Backprop on each example of a batch, then the average of their gradients. xs: (n, 64), labels: (n,)."""
    if len(xs) == 0 or len(xs) != len(labels):
        raise ValueError(f"A batch needs one label per example and at least one example; got {len(xs)} examples "
                         f"and {len(labels)} labels.")
    examples = [backprop(params, x, int(label), activation) for x, label in zip(xs, labels)]
    n = len(examples)
    grads = {name: sum(example.grads[name] for example in examples) / n for name in examples[0].grads}
    return BatchGradient(examples, grads, sum(example.cost for example in examples) / n)


def weight_gradients(batch: BatchGradient, layer: int, to_neuron: int, from_neuron: int) -> torch.Tensor:
    """dL_m/dW^(layer)[to_neuron, from_neuron] for each example m: (n,). Their mean is dC/dw."""
    return torch.stack([example.grads[f"W{layer}"][to_neuron, from_neuron] for example in batch.examples])


@dataclass(frozen=True)
class BatchStep:
    gradient: BatchGradient           # at theta: each example's gradient and their average
    params: dict[str, torch.Tensor]   # theta - eta * dC/dtheta (float64, a new dict)
    cost_after: float                 # the batch's C at the new theta


def averaged_step(params: dict[str, torch.Tensor], xs: torch.Tensor, labels: torch.Tensor, activation: str,
                  learning_rate: float) -> BatchStep:
    """One gradient-descent step on a batch: every weight and bias moves by -eta times the average gradient."""
    gradient = batch_backprop(params, xs, labels, activation)
    stepped = gradient_step(params, gradient.grads, learning_rate)
    return BatchStep(gradient, stepped, float(cost(stepped, xs.double(), labels, activation)))
