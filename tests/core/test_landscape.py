"""Gradient descent on the toy surfaces, against closed forms, torch autograd and torch.optim.SGD (the real 3-vs-8
cost's descent is in test_sgd.py)."""
import math

import numpy as np
import pytest
import torch

from core.landscape import (DIVERGED, MAX_STEPS, SURFACES, cost_grid, descend, descend_surface, get_surface,
                            true_gradient)


def torch_sgd_path(cost_of, start, learning_rate, momentum, steps):
    """The reference: torch.optim.SGD on autograd gradients. cost_of(theta, step) -> scalar tensor."""
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=learning_rate, momentum=momentum)
    points = [theta.detach().clone()]
    for step in range(steps):
        optimizer.zero_grad()
        cost_of(theta, step).backward()
        optimizer.step()
        points.append(theta.detach().clone())
    return torch.stack(points)                                                   # (steps + 1, 2)


@pytest.mark.parametrize("eta", [0.05, 0.3, 0.7])
def test_descent_on_the_bowl_matches_the_closed_form(eta):
    # C = x^2 + y^2: theta <- theta - eta * 2 theta = (1 - 2 eta) theta, so theta_k = (1 - 2 eta)^k theta_0
    _, path = descend_surface("bowl", 1.6, -1.2, eta, 0.0, 25)
    expected = torch.tensor([[(1 - 2 * eta) ** k * 1.6, (1 - 2 * eta) ** k * -1.2] for k in range(26)],
                            dtype=torch.float64)
    torch.testing.assert_close(path.points, expected, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(path.costs, (expected ** 2).sum(dim=1), rtol=1e-12, atol=1e-15)


def test_the_narrow_valley_shrinks_each_axis_at_its_own_rate():
    _, path = descend_surface("valley", -4.5, 1.5, 0.45, 0.0, 30)
    k = torch.arange(31, dtype=torch.float64)
    torch.testing.assert_close(path.points[:, 0], -4.5 * (1 - 0.2 * 0.45) ** k, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(path.points[:, 1], 1.5 * (1 - 4 * 0.45) ** k, rtol=1e-12, atol=1e-15)
    assert (torch.sign(path.points[1:, 1]) != torch.sign(path.points[:-1, 1])).all()      # the zig-zag


@pytest.mark.parametrize("name", list(SURFACES))
def test_hand_written_gradients_equal_autograd(name):
    surface = get_surface(name)
    generator = torch.Generator().manual_seed(7)
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    x = (x0 + (x1 - x0) * torch.rand(50, generator=generator, dtype=torch.float64)).requires_grad_(True)
    y = (y0 + (y1 - y0) * torch.rand(50, generator=generator, dtype=torch.float64)).requires_grad_(True)
    surface.cost(x, y).sum().backward()
    gx, gy = surface.gradient(x.detach(), y.detach())
    torch.testing.assert_close(gx, x.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gy, y.grad, rtol=1e-12, atol=1e-12)
    # the float path (used by the descent loop) gives the same numbers as the tensor path
    x, y = x.detach(), y.detach()
    assert surface.cost(float(x[3]), float(y[3])) == pytest.approx(float(surface.cost(x[3], y[3])), rel=1e-14)


@pytest.mark.parametrize("name", list(SURFACES))
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_momentum_matches_torch_optim_sgd_step_for_step(name, momentum):
    surface = get_surface(name)
    eta = surface.learning_rate * 0.5
    _, path = descend_surface(name, *surface.start, eta, momentum, 40)
    assert not path.diverged
    expected = torch_sgd_path(lambda theta, step: surface.cost(theta[0], theta[1]), surface.start, eta, momentum, 40)
    torch.testing.assert_close(path.points, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, start, eta", [("valley", (-4.5, 1.5), 0.45), ("wells", (-3.5, 0.5), 0.3)])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_the_path_records_its_velocities_as_a_plain_loop_computes_them(name, start, eta, momentum):
    surface = get_surface(name)
    _, path = descend_surface(name, *start, eta, momentum, 40)
    theta, v = np.array(start), np.zeros(2)
    expected = [v]                                                                   # v_0 = 0
    for _ in range(40):
        v = momentum * v + np.array(surface.gradient(*theta))                        # v_{k+1} = mu v_k + grad C
        theta = theta - eta * v                                                      # theta_{k+1} = theta_k - eta v
        expected.append(v)
    assert path.velocities.shape == (41, 2)
    torch.testing.assert_close(path.velocities, torch.tensor(np.array(expected)), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(path.points[1:], path.points[:-1] - eta * path.velocities[1:], rtol=0, atol=0)
    assert (path.learning_rate, path.momentum) == (eta, momentum)


def test_too_large_a_learning_rate_is_reported_as_diverged_not_nan():
    _, path = descend_surface("bowl", 1.6, 1.2, 1.5, 0.0, 100)
    # theta_k = (-2)^k theta_0: the first k with 1.6 * 2^k >= 1e6
    expected = next(k for k in range(100) if 1.6 * 2 ** k >= DIVERGED)
    assert path.diverged and path.diverged_at == expected
    assert len(path.points) == len(path.velocities) == expected and len(path.gradients) == expected - 1
    assert torch.isfinite(path.points).all() and torch.isfinite(path.costs).all()
    _, rosenbrock = descend_surface("rosenbrock", -1.5, 2.5, 0.01, 0.0, 100)
    assert rosenbrock.diverged and torch.isfinite(rosenbrock.costs).all()


def test_a_start_on_the_ridge_of_the_saddle_stays_at_the_saddle_point():
    _, ridge = descend_surface("saddle", 1.8, 0.0, 0.1, 0.0, 200)
    _, nearby = descend_surface("saddle", 1.8, 0.02, 0.1, 0.0, 200)
    assert ridge.points[-1].abs().max() < 1e-6 and float(ridge.costs[-1]) == pytest.approx(0, abs=1e-9)
    assert float(nearby.points[-1, 1]) == pytest.approx(math.sqrt(2), rel=1e-6)     # slid off to a minimum
    assert float(nearby.costs[-1]) == pytest.approx(-1, abs=1e-9)


def test_where_you_start_decides_which_minimum_you_reach():
    wells = get_surface("wells")
    ends = []
    for start in [(-3.5, 0.5), (3.0, 3.0)]:
        _, path = descend_surface("wells", *start, 0.3, 0.0, 300)
        x, y = path.points[-1].tolist()
        assert math.hypot(*wells.gradient(x, y)) < 1e-6                              # a stationary point
        ends.append(float(path.costs[-1]))
    assert ends[0] > ends[1] + 0.5                                                    # a local, worse minimum


def test_cost_grid_rows_are_y_and_columns_are_x():
    xs, ys, costs = cost_grid(SURFACES["rosenbrock"].cost, (-2, 2), (-1, 3), points=9)
    assert costs.shape == (9, 9)
    assert float(costs[2, 7]) == pytest.approx(float(SURFACES["rosenbrock"].cost(xs[7], ys[2])))


@pytest.mark.parametrize("args, message", [
    (("bowl", 1, 1, 0, 0, 10), "above 0"),
    (("bowl", 1, 1, -0.1, 0, 10), "above 0"),
    (("bowl", 1, 1, 11, 0, 10), "at most 10"),
    (("bowl", 1, 1, float("nan"), 0, 10), "finite"),
    (("bowl", 1, 1, 0.1, 1.0, 10), "momentum"),
    (("bowl", 1, 1, 0.1, 0, 0), "steps must be between 1"),
    (("bowl", 1, 1, 0.1, 0, MAX_STEPS + 1), f"steps must be between 1 and {MAX_STEPS}"),
    (("bowl", 2.5, 1, 0.1, 0, 10), "start x must be between -2 and 2"),
    (("valley", 0, -3, 0.1, 0, 10), "start y must be between -2.5 and 2.5"),
    (("himalaya", 0, 0, 0.1, 0, 10), "Unknown surface"),
])
def test_bad_inputs_say_what_is_allowed(args, message):
    with pytest.raises(ValueError, match=message):
        descend_surface(*args)


def test_the_descent_loop_takes_any_gradient_source():
    path = descend(lambda x, y: x * x + y * y, true_gradient(SURFACES["bowl"]), (1.0, 1.0), 0.25, 0.0, 3)
    assert path.points[-1].tolist() == [0.125, 0.125]
