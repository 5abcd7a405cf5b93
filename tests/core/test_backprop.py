"""Every number of the backprop panel equals what torch autograd computes."""
import pytest
import torch

from core.backprop import (averaged_step, backprop, batch_backprop, chain_rule, desired_nudges, gradient_step,
                           weight_gradients)
from core.mlp import cost, forward, init_params
from models.digit_network import load_digit_network


def autograd_gradients(params, x, label, activation):
    leaves = {name: value.double().clone().requires_grad_(True) for name, value in params.items()}
    loss = cost(leaves, x.double()[None], torch.tensor([label]), activation)   # mean over one example = L
    loss.backward()
    return {name: leaf.grad for name, leaf in leaves.items()}, loss.item(), leaves


@pytest.fixture(params=["sigmoid", "relu"])
def case(request, digits):
    network = load_digit_network(request.param)
    return network.params, torch.tensor(digits.x_test[7]), int(digits.y_test[7]), request.param


def test_every_gradient_equals_autograd(case):
    params, x, label, activation = case
    result = backprop(params, x, label, activation)
    expected, loss, _ = autograd_gradients(params, x, label, activation)
    assert result.cost == pytest.approx(loss, rel=1e-12)
    for name, gradient in expected.items():
        torch.testing.assert_close(result.grads[name], gradient, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("layer, j, k", [(3, 4, 11), (3, 0, 0), (2, 5, 9), (1, 3, 27), (1, 15, 63)])
def test_the_three_factors_multiply_to_the_autograd_gradient(case, layer, j, k):
    params, x, label, activation = case
    result = backprop(params, x, label, activation)
    factors = chain_rule(result, params, layer, j, k)
    expected, _, leaves = autograd_gradients(params, x, label, activation)
    assert factors.how_wrong * factors.how_responsive * factors.how_active == pytest.approx(
        expected[f"W{layer}"][j, k].item(), rel=1e-9, abs=1e-15)
    # each factor on its own, against autograd of the pieces
    zs_leaves = {n: v.double() for n, v in params.items()}
    activations = forward({**zs_leaves}, x.double(), activation)
    assert factors.how_active == pytest.approx(activations[layer - 1][k].item(), rel=1e-12)
    a = [t.detach().clone().requires_grad_(True) for t in activations]
    target = torch.nn.functional.one_hot(torch.tensor(label), 10).double()
    if layer == 3:
        ((a[3] - target) ** 2).sum().backward()
        assert factors.how_wrong == pytest.approx(a[3].grad[j].item(), rel=1e-12)
    if factors.paths is not None:
        assert sum(row[4] for row in factors.paths) == pytest.approx(factors.how_wrong, rel=1e-9, abs=1e-15)


def test_desired_nudges_add_up_to_the_hidden_layers_wishes(case):
    params, x, label, activation = case
    result = backprop(params, x, label, activation)
    wanted, per_output = desired_nudges(result, params)
    torch.testing.assert_close(wanted, -result.blame[2])
    torch.testing.assert_close(per_output.sum(dim=0), -result.blame[1])
    assert wanted[label] > 0                            # the right answer always wants to go up


def test_one_small_step_downhill_lowers_the_cost(case):
    params, x, label, activation = case
    result = backprop(params, x, label, activation)
    stepped = gradient_step(params, result.grads, learning_rate=0.5)
    after = backprop(stepped, x, label, activation).cost
    assert after < result.cost
    assert params["W1"].dtype == torch.float32          # the shared network is untouched


def test_chain_rule_refuses_neurons_that_do_not_exist(case):
    params, x, label, activation = case
    result = backprop(params, x, label, activation)
    with pytest.raises(ValueError, match="layer must be 1, 2 or 3"):
        chain_rule(result, params, 4, 0, 0)
    with pytest.raises(ValueError, match="neurons 0..9"):
        chain_rule(result, params, 3, 10, 0)
    with pytest.raises(ValueError, match="neurons 0..63"):
        chain_rule(result, params, 1, 0, 64)


def test_random_network_gradients_match_autograd_too():
    params = init_params(seed=3)
    x = torch.rand(64, generator=torch.Generator().manual_seed(1))
    result = backprop(params, x, 3, "relu")
    expected, _, _ = autograd_gradients(params, x, 3, "relu")
    for name in expected:
        torch.testing.assert_close(result.grads[name], expected[name], rtol=1e-10, atol=1e-14)


@pytest.fixture(params=["sigmoid", "relu"])
def batch(request, digits):
    """The trained network and 8 training examples (#940 …, the one it gets most wrong first)."""
    network = load_digit_network(request.param)
    return (network.params, torch.tensor(digits.x_train[940:948]), torch.tensor(digits.y_train[940:948]),
            request.param)


@pytest.mark.parametrize("layer, j, k", [(3, 9, 11), (2, 5, 9), (1, 6, 11)])
def test_each_examples_gradient_in_a_batch_is_autograd_on_that_example(batch, layer, j, k):
    params, xs, labels, activation = batch
    per_example = weight_gradients(batch_backprop(params, xs, labels, activation), layer, j, k)
    looped = [autograd_gradients(params, x, int(label), activation)[0][f"W{layer}"][j, k].item()
              for x, label in zip(xs, labels)]                                         # autograd, one example at a time
    assert per_example.shape == (8,)
    torch.testing.assert_close(per_example, torch.tensor(looped, dtype=torch.float64), rtol=1e-10, atol=1e-15)


def test_the_batch_gradient_is_autograd_of_the_mean_cost(batch):
    params, xs, labels, activation = batch
    result = batch_backprop(params, xs, labels, activation)
    leaves = {name: value.double().clone().requires_grad_(True) for name, value in params.items()}
    mean_cost = cost(leaves, xs.double(), labels, activation)                          # C = (1/n) sum_m L_m
    mean_cost.backward()
    assert result.cost == pytest.approx(mean_cost.item(), rel=1e-12)
    for name, leaf in leaves.items():
        torch.testing.assert_close(result.grads[name], leaf.grad, rtol=1e-10, atol=1e-15)
    torch.testing.assert_close(weight_gradients(result, 3, 9, 11).mean(), leaves["W3"].grad[9, 11])   # the mean


def test_the_averaged_step_is_a_manual_torch_update(batch):
    params, xs, labels, activation = batch
    step = averaged_step(params, xs, labels, activation, learning_rate=0.7)
    leaves = {name: value.double().clone().requires_grad_(True) for name, value in params.items()}
    cost(leaves, xs.double(), labels, activation).backward()
    with torch.no_grad():
        updated = {name: leaf - 0.7 * leaf.grad for name, leaf in leaves.items()}      # w <- w - eta dC/dw, all of them
        after = cost(updated, xs.double(), labels, activation).item()
    for name, value in updated.items():
        torch.testing.assert_close(step.params[name], value, rtol=1e-12, atol=1e-15)
    assert step.cost_after == pytest.approx(after, rel=1e-12)
    assert step.cost_after < step.gradient.cost                                        # downhill on this batch
    assert params["W1"].dtype == torch.float32                                         # the shared network untouched


def test_a_batch_of_one_is_that_examples_gradient(batch):
    params, xs, labels, activation = batch
    one = batch_backprop(params, xs[:1], labels[:1], activation)
    alone = backprop(params, xs[0], int(labels[0]), activation)
    for name in alone.grads:
        torch.testing.assert_close(one.grads[name], alone.grads[name], rtol=0, atol=0)
    assert one.cost == alone.cost


def test_a_batch_needs_examples_and_one_label_each(batch):
    params, xs, labels, activation = batch
    with pytest.raises(ValueError, match="at least one example"):
        batch_backprop(params, xs[:0], labels[:0], activation)
    with pytest.raises(ValueError, match="one label per example"):
        batch_backprop(params, xs, labels[:3], activation)
