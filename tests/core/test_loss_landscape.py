"""The real network's loss landscape: filter-normalized directions and the batched grid, against a plain
one-point-at-a-time loop and against torch's own layers."""
import pytest
import torch
from torch import nn

from core.loss_landscape import (MAX_GRID, axis, check_grid, filter_normalized_direction, landscape_grid,
                                 landscape_loop, moved, random_directions)
from core.mlp import cost
from models.digit_network import load_digit_network


@pytest.fixture(scope="module")
def training(digits):
    return torch.tensor(digits.x_train), torch.tensor(digits.y_train)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_directions_have_the_per_filter_norms_of_the_weights(activation):
    params = load_digit_network(activation).params
    d1, d2 = random_directions(params, seed=5)
    for direction in (d1, d2):
        assert direction.keys() == params.keys()
        for name, weight in params.items():
            assert direction[name].shape == weight.shape
            if weight.dim() == 2:                                       # one filter = one neuron's row
                torch.testing.assert_close(direction[name].norm(dim=1), weight.norm(dim=1), rtol=1e-5, atol=1e-7)
            else:
                assert (direction[name] == 0).all()                     # biases are not moved (ignore='biasbn')
    assert not torch.allclose(d1["W1"], d2["W1"])                       # two different directions
    again, _ = random_directions(params, seed=5)
    torch.testing.assert_close(again["W2"], d1["W2"], rtol=0, atol=0)   # the seed fixes them


def test_direction_rows_point_randomly_not_along_the_weights():
    params = load_digit_network("sigmoid").params
    d = filter_normalized_direction(params, torch.Generator().manual_seed(0))
    cosine = torch.nn.functional.cosine_similarity(d["W1"], params["W1"], dim=1)     # (16,)
    assert cosine.abs().max() < 0.6


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_batched_grid_equals_the_plain_loop(activation, training):
    x, y = training
    params = load_digit_network(activation).params
    d1, d2 = random_directions(params, seed=1)
    alphas, betas = axis(5, 1.0), torch.tensor([-0.7, 0.0, 0.3, 1.2])
    batched = landscape_grid(params, d1, d2, x, y, activation, alphas, betas, chunk=3)   # chunks that do not divide
    looped = landscape_loop(params, d1, d2, x, y, activation, alphas, betas)
    assert batched.shape == (4, 5)
    torch.testing.assert_close(batched, looped, rtol=1e-5, atol=1e-6)
    assert float(batched[1, 2]) == pytest.approx(float(cost(params, x, y, activation)), rel=1e-5)   # the centre


def test_grid_point_equals_torch_layers_with_the_moved_weights(training):
    """An independent reference: nn.Linear + nn.Sigmoid with the moved weights loaded, squared error summed."""
    x, y = training
    params = load_digit_network("sigmoid").params
    d1, d2 = random_directions(params, seed=2)
    alpha, beta = 0.4, -0.25
    grid = landscape_grid(params, d1, d2, x, y, "sigmoid", torch.tensor([alpha]), torch.tensor([beta]))
    weights = moved(params, d1, d2, alpha, beta)
    net = nn.Sequential(nn.Linear(64, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 10),
                        nn.Sigmoid())
    state = {f"{2 * (l - 1)}.{kind}": weights[f"{'W' if kind == 'weight' else 'b'}{l}"]
             for l in (1, 2, 3) for kind in ("weight", "bias")}
    with torch.no_grad():
        outputs = torch.func.functional_call(net, state, (x,))
        expected = nn.functional.mse_loss(outputs, nn.functional.one_hot(y, 10).float(), reduction="sum") / len(x)
    assert float(grid[0, 0]) == pytest.approx(float(expected), rel=1e-5)


def test_grid_handles_directions_that_move_the_biases_too(training):
    x, y = training
    params = load_digit_network("relu").params
    generator = torch.Generator().manual_seed(4)
    d1 = {n: 0.1 * torch.randn(p.shape, generator=generator) for n, p in params.items()}
    d2 = {n: 0.1 * torch.randn(p.shape, generator=generator) for n, p in params.items()}
    alphas = torch.tensor([-1.0, 0.5])
    torch.testing.assert_close(landscape_grid(params, d1, d2, x, y, "relu", alphas, alphas),
                               landscape_loop(params, d1, d2, x, y, "relu", alphas, alphas), rtol=1e-5, atol=1e-6)


def test_the_landscape_rises_away_from_the_trained_weights(training):
    x, y = training
    params = load_digit_network("sigmoid").params
    d1, d2 = random_directions(params, seed=0)
    grid = landscape_grid(params, d1, d2, x, y, "sigmoid", axis(9, 1.0), axis(9, 1.0))
    assert float(grid[4, 4]) < float(grid[0, 0]) and float(grid[4, 4]) < float(grid[8, 8])
    assert float(grid[4, 4]) == pytest.approx(float(grid.min()), abs=0.02)


@pytest.mark.parametrize("points, extent, message", [
    (MAX_GRID + 1, 1.0, f"grid size must be between 3 and {MAX_GRID}"),
    (2, 1.0, "grid size must be between 3"),
    (41.5, 1.0, "whole number"),
    (41, 0, "range must be between 0.01 and 3"),
    (41, 50, "range must be between 0.01 and 3"),
    (41, float("nan"), "finite"),
])
def test_grid_checks(points, extent, message):
    with pytest.raises(ValueError, match=message):
        check_grid(points, extent)


def test_unknown_activation_is_refused(training):
    params = load_digit_network("sigmoid").params
    with pytest.raises(ValueError, match="sigmoid or relu"):
        landscape_grid(params, params, params, *training, "tanh", axis(3, 1.0), axis(3, 1.0))
