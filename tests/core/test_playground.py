"""The playground's network against trusted references: the network and its cost against torch.nn layers and a
loop, one training step against torch autograd on an independent nn.Sequential (its data sets and CSVs are in
test_playground_data.py)."""
import math

import numpy as np
import pytest
import torch

from core.playground import (ACTIVATIONS, FEATURES, Run, activations_on_plane, cost, epoch_order, feature_matrix,
                             forward, gradient, init_params, network, plane_grid, start, train, weights_as_lists)
from core.playground_data import make_dataset, split

TORCH_ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid,
                     "linear": torch.nn.Identity}


def sequential(params, net) -> torch.nn.Sequential:
    """The same network built from torch.nn layers, the weights copied in."""
    layers = []
    n_layers = len(net.sizes) - 1
    for l, (fan_in, fan_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:]), start=1):
        linear = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(params[f"W{l}"]), linear.bias.copy_(params[f"b{l}"])
        layers += [linear, torch.nn.Sigmoid() if l == n_layers else TORCH_ACTIVATIONS[net.activation]()]
    return torch.nn.Sequential(*layers)


def some_data(name="circle", noise=0.1, seed=0):
    points, labels = make_dataset(name, noise, seed)
    return split(points, labels, 0.5, seed)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_forward_equals_torch_nn_layers(activation):
    net = network(["x", "y", "sin x"], [5, 3], activation, 3)
    params = init_params(net, 4)
    params = {k: v + 0.1 * torch.randn(v.shape, generator=torch.Generator().manual_seed(1)) for k, v in params.items()}
    inputs = feature_matrix(torch.rand(64, 2) * 12 - 6, net.features)
    torch.testing.assert_close(forward(params, net, inputs)[-1], sequential(params, net)(inputs))


def test_features_are_the_named_functions_of_x_and_y():
    points = torch.tensor([[3.0, -1.5], [-6.0, 6.0]])
    matrix = feature_matrix(points, tuple(FEATURES))
    for row, (x, y) in zip(matrix.tolist(), points.tolist()):
        expected = [x / 2, y / 2, (x / 6) ** 2, (y / 6) ** 2, x * y / 36, math.sin(x), math.sin(y)]
        np.testing.assert_allclose(row, expected, rtol=1e-6)


def test_cost_equals_a_loop_over_points_and_outputs():
    output = torch.rand(7, 3, generator=torch.Generator().manual_seed(2))
    labels = torch.tensor([0, 2, 1, 1, 0, 2, 2])
    by_hand = sum(sum((output[i, j].item() - (1.0 if labels[i] == j else 0.0)) ** 2 for j in range(3))
                  for i in range(7)) / 7
    assert cost(output, labels).item() == pytest.approx(by_hand, rel=1e-6)


@pytest.mark.parametrize("l2", [0.0, 0.03])
def test_gradient_equals_autograd_on_an_independent_network(l2):
    net = network(["x", "y", "xy"], [4, 4], "tanh", 2)
    data = some_data()
    params = init_params(net, 3)
    inputs, labels = feature_matrix(data.train_points[:10], net.features), data.train_labels[:10]
    grads, batch_cost = gradient(params, net, inputs, labels, l2)
    model = sequential(params, net)
    target = torch.nn.functional.one_hot(labels, 2).float()
    loss = ((model(inputs) - target) ** 2).sum(dim=1).mean()
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    (loss + l2 / 2 * sum((w ** 2).sum() for w in weights)).backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for l, linear in enumerate(linears, start=1):
        torch.testing.assert_close(grads[f"W{l}"], linear.weight.grad)
        torch.testing.assert_close(grads[f"b{l}"], linear.bias.grad)
    assert batch_cost == pytest.approx(loss.item(), rel=1e-6)


def test_one_training_step_is_sgd_on_the_first_shuffled_batch():
    net = network(["x", "y"], [3], "relu", 2)
    data = some_data("xor")
    run = start(net, data, 5)
    after = train(run, data, 0.3, 8, 0.01, 1)
    batch = epoch_order(5, 0, len(data.train_labels))[:8]
    model = sequential(run.params, net)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    inputs = feature_matrix(data.train_points[batch], net.features)
    target = torch.nn.functional.one_hot(data.train_labels[batch], 2).float()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    loss = ((model(inputs) - target) ** 2).sum(dim=1).mean() + 0.01 / 2 * sum((m.weight ** 2).sum() for m in linears)
    loss.backward()
    optimizer.step()
    for l, linear in enumerate(linears, start=1):
        torch.testing.assert_close(after.params[f"W{l}"], linear.weight.detach())
        torch.testing.assert_close(after.params[f"b{l}"], linear.bias.detach())
    assert (after.step, after.epoch, after.position) == (1, 0, 8)


def test_costs_are_recorded_once_per_epoch_and_the_run_is_reproducible():
    net = network(["x", "y"], [4], "tanh", 2)
    data = some_data()
    n = len(data.train_labels)                                  # 250: 25 steps of 10 make an epoch
    one = train(start(net, data, 1), data, 0.3, 10, 0.0, 100)
    assert (one.epoch, len(one.train_cost), len(one.test_cost)) == (100 * 10 // n, 1 + 100 * 10 // n, 1 + 4)
    in_slices = start(net, data, 1)
    for _ in range(10):
        in_slices = train(in_slices, data, 0.3, 10, 0.0, 10)
    assert in_slices.train_cost == one.train_cost              # training in chunks changes nothing
    assert train(start(net, data, 2), data, 0.3, 10, 0.0, 100).train_cost != one.train_cost
    model = sequential(one.params, net)
    outputs = model(feature_matrix(data.test_points, net.features))
    assert one.test_cost[-1] == pytest.approx(cost(outputs, data.test_labels).item(), rel=1e-6)


def test_a_run_whose_weights_blow_up_stops():
    net = network(["x", "y"], [2], "linear", 2)
    data = some_data()
    run = start(net, data, 0)
    broken = Run(net, {**run.params, "W1": torch.full((2, 2), 1e38)}, 0)
    after = train(broken, data, 10.0, 10, 0.0, 50)
    assert after.diverged and after.step < 50
    assert train(after, data, 0.3, 10, 0.0, 10).step == after.step          # no more steps once diverged


def test_the_plane_activations_are_the_hidden_layers_on_the_grid():
    net = network(["x", "y", "x²"], [5, 2], "sigmoid", 2)
    params = init_params(net, 9)
    axis, grid = plane_grid(7)
    layers = activations_on_plane(params, net, 7)
    model = sequential(params, net)
    values, inputs = [], feature_matrix(grid, net.features)
    for module in model:
        inputs = module(inputs)
        if not isinstance(module, torch.nn.Linear):
            values.append(inputs)
    for layer, reference in zip(layers[1:], values):
        torch.testing.assert_close(layer.reshape(-1, layer.shape[-1]), reference)
    i, j = 2, 5                                                 # row i is y = axis[i], column j is x = axis[j]
    point = torch.tensor([[axis[j], axis[i]]])
    torch.testing.assert_close(layers[1][i, j], model[:2](feature_matrix(point, net.features))[0])


def test_weights_as_lists_round_trip():
    net = network(["x"], [2], "tanh", 3)
    params = init_params(net, 0)
    layers = weights_as_lists(params)
    assert [np.shape(layer["W"]) for layer in layers] == [(2, 1), (3, 2)]
    torch.testing.assert_close(torch.tensor(layers[1]["W"]), params["W2"])


@pytest.mark.parametrize("features, hidden, activation, message", [
    (["z"], [], "tanh", "Unknown feature 'z'"),
    ([], [], "tanh", "at least one input feature"),
    (["x"], [2, 2, 2, 2, 2], "tanh", "At most 4 hidden layers"),
    (["x"], [9], "tanh", "between 1 and 8"),
    (["x"], [0], "tanh", "between 1 and 8"),
    (["x"], [float("nan")], "tanh", "finite"),
    (["x"], [], "swish", "Unknown activation 'swish'"),
])
def test_bad_networks_are_refused_in_words(features, hidden, activation, message):
    with pytest.raises(ValueError, match=message):
        network(features, hidden, activation, 2)


@pytest.mark.parametrize("learning_rate, batch_size, l2, message", [
    (float("nan"), 10, 0, "learning rate must be a finite"),
    (-1, 10, 0, "learning rate must be between 0 and 10"),
    (0.1, 0, 0, "batch size must be between 1 and 500"),
    (0.1, 10, 5, "L2 regularisation must be between 0 and 1"),
])
def test_bad_training_settings_are_refused_in_words(learning_rate, batch_size, l2, message):
    net = network(["x", "y"], [], "tanh", 2)
    data = some_data()
    with pytest.raises(ValueError, match=message):
        train(start(net, data, 0), data, learning_rate, batch_size, l2, 1)
