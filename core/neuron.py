"""One neuron: a weighted sum of its inputs plus a bias, squashed by an activation function.

    z = w1*a1 + w2*a2 + ... + b        a = f(z)
"""
import numpy as np

from core.checks import finite, finite_list, quote


def sigmoid(z):
    """Squash to (0, 1): a 'firing probability'. Written to stay finite for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))


def relu(z):
    """Keep the positive part, zero out the negative: max(0, z)."""
    return np.maximum(0.0, np.asarray(z, dtype=np.float64))


def tanh(z):
    """Squash to (-1, 1), centred on 0."""
    return np.tanh(np.asarray(z, dtype=np.float64))


def step(z):
    """The perceptron's all-or-nothing threshold: 1 if z > 0, else 0."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "step": step}


def activation_by_name(name: str):
    key = str(name).strip().lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {quote(name)}; choose one of {', '.join(ACTIVATIONS)}.")
    return ACTIVATIONS[key]


def weighted_sum(inputs, weights, bias) -> float:
    """z = sum_i w_i a_i + b."""
    inputs = finite_list("inputs", inputs)
    weights = finite_list("weights", weights)
    if not 1 <= len(inputs) <= 16:
        raise ValueError(f"A neuron here takes 1 to 16 inputs, got {len(inputs)}.")
    if len(inputs) != len(weights):
        raise ValueError(f"Each input needs one weight: got {len(inputs)} inputs and {len(weights)} weights.")
    return float(np.dot(weights, inputs) + finite("bias", bias))


def neuron(inputs, weights, bias, activation: str = "sigmoid") -> tuple[float, float]:
    """The neuron's pre-activation z and its activation a = f(z)."""
    f = activation_by_name(activation)
    z = weighted_sum(inputs, weights, bias)
    return z, float(f(z))


def output_plane(weights, bias, activation: str, extent: float = 3.0, n: int = 121):
    """The neuron's output over the plane of its first two inputs (other inputs held at 0).

    Returns (axis, grid) with grid[i, j] = f(w1 * axis[j] + w2 * axis[i] + b): rows are a2, columns a1.
    """
    f = activation_by_name(activation)
    w = finite_list("weights", weights)
    b = finite("bias", bias)
    axis = np.linspace(-extent, extent, n)                  # (n,)
    a1, a2 = np.meshgrid(axis, axis)                        # (n, n) each
    return axis, f(w[0] * a1 + w[1] * a2 + b)               # (n, n)


def boundary_line(weights, bias, extent: float = 3.0):
    """Points of the line w1*a1 + w2*a2 + b = 0 inside the square [-extent, extent]^2, or None if w = 0.

    On this line z = 0: sigmoid gives 0.5, ReLU starts to pass signal, step flips. The bias shifts it along
    the normal (w1, w2) by -b/|w|; turning the weights turns it.
    """
    w1, w2 = (finite("w1", weights[0]), finite("w2", weights[1]))
    b = finite("bias", bias)
    if abs(w1) < 1e-12 and abs(w2) < 1e-12:
        return None
    if abs(w2) >= abs(w1):
        a1 = np.linspace(-extent, extent, 2)
        a2 = -(w1 * a1 + b) / w2
    else:
        a2 = np.linspace(-extent, extent, 2)
        a1 = -(w2 * a2 + b) / w1
    return a1, a2
