"""Every number of the backprop panel equals what torch autograd computes."""
import pytest
import torch

from core.backprop import backprop, chain_rule, desired_nudges, gradient_step
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
