"""The real cost with two parameters (3s against 8s by their left-side ink): the data, the batch gradient against
torch autograd, mini-batch SGD step for step against torch.optim.SGD on the same batches, and the cost surface
against the cost at each grid point."""
import numpy as np
import pytest
import torch

from core.sgd import (B_RANGE, DIGITS, W_RANGE, batch_gradient, cost_surface, data_cost, descend_data,
                      examples_to_reach, left_ink_data, minibatches, sgd_gradient)
from tests.core.test_landscape import torch_sgd_path


@pytest.fixture(scope="module")
def data(digits):
    return left_ink_data(digits.x_train, digits.y_train)


def test_the_two_class_data_are_the_training_3s_and_8s(data, digits):
    assert len(data.x) == int(np.isin(digits.y_train, DIGITS).sum())
    assert float(data.x.mean()) == pytest.approx(0, abs=1e-12) and float(data.x.std(unbiased=False)) == pytest.approx(1)
    assert set(data.y.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("w, b", [(-2.0, 2.0), (3.1, 0.2), (0.0, -4.0)])
def test_batch_gradient_equals_autograd(data, w, b):
    chosen = torch.arange(5, 40)
    theta = torch.tensor([w, b], dtype=torch.float64, requires_grad=True)
    batch = type(data)(data.x[chosen], data.y[chosen], 0.0, 1.0)
    data_cost(theta[0], theta[1], batch).backward()
    assert batch_gradient(w, b, data.x[chosen], data.y[chosen]) == pytest.approx(theta.grad.tolist(), rel=1e-12)


def test_sgd_with_the_whole_set_as_its_batch_is_full_gradient_descent(data):
    path, examples = descend_data(data, (-2.0, 2.0), 3.0, 0.5, 30, len(data.x))
    expected = torch_sgd_path(lambda theta, step: data_cost(theta[0], theta[1], data), (-2.0, 2.0), 3.0, 0.5, 30)
    torch.testing.assert_close(path.points, expected, rtol=1e-12, atol=1e-13)
    assert examples.tolist() == [k * len(data.x) for k in range(31)]


def test_mini_batch_steps_follow_torch_sgd_on_the_same_batches(data):
    batches = minibatches(len(data.x), 16, 25, seed=3)
    path, examples = descend_data(data, (-2.0, 2.0), 3.0, 0.9, 25, 16, seed=3)

    def batch_cost(theta, step):
        chosen = batches[step]
        return data_cost(theta[0], theta[1], type(data)(data.x[chosen], data.y[chosen], 0.0, 1.0))

    expected = torch_sgd_path(batch_cost, (-2.0, 2.0), 3.0, 0.9, 25)
    torch.testing.assert_close(path.points, expected, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(path.costs, data_cost(expected[:, 0], expected[:, 1], data), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(path.points[1:], path.points[:-1] - 3.0 * path.velocities[1:], rtol=0, atol=0)
    assert examples.tolist() == [0, *torch.tensor([len(b) for b in batches]).cumsum(0).tolist()]   # one 12 at 268


def test_each_epoch_uses_every_example_once():
    batches = minibatches(50, 16, 8, seed=0)                        # 16 + 16 + 16 + 2 per epoch
    assert [len(b) for b in batches] == [16, 16, 16, 2, 16, 16, 16, 2]
    assert sorted(torch.cat(batches[:4]).tolist()) == list(range(50))
    assert torch.cat(batches[:4]).tolist() != torch.cat(batches[4:]).tolist()   # reshuffled


def test_sgd_reaches_a_low_cost_with_far_fewer_examples(data):
    full, full_examples = descend_data(data, (-2.0, 2.0), 3.0, 0.0, 40, len(data.x))
    mini, mini_examples = descend_data(data, (-2.0, 2.0), 3.0, 0.0, 40, 16)
    target = 0.1
    first = [int(e[np.nonzero(p.costs.numpy() <= target)[0][0]]) for p, e in ((full, full_examples),
                                                                             (mini, mini_examples))]
    assert first[1] * 5 < first[0]


def test_sgd_gradient_and_batch_size_checks(data):
    with pytest.raises(ValueError, match=f"batch size must be between 1 and {len(data.x)}"):
        descend_data(data, (0, 0), 1.0, 0.0, 5, 0)
    gradient_at, sizes = sgd_gradient(data, 100, 4)
    assert sizes == [100, 100, len(data.x) - 200, 100]
    assert len(gradient_at(0.0, 0.0, 3)) == 2


def test_the_feature_is_the_mean_ink_of_the_left_side_standardized():
    images = np.zeros((3, 64))
    images[0].reshape(8, 8)[2:6, 1:3] = 1.0                                  # a 3-or-8 with the whole left side inked
    images[1].reshape(8, 8)[2:4, 1:3] = 1.0                                  # half of it
    images[2].reshape(8, 8)[:, 5:] = 1.0                                     # ink on the right only
    data = left_ink_data(np.concatenate([images, images[:1]]), np.array([8, 3, 8, 5]))   # the 5 is dropped
    ink = np.array([1.0, 0.5, 0.0])
    assert (data.ink_mean, data.ink_std) == pytest.approx((ink.mean(), ink.std()))
    np.testing.assert_allclose(data.x.numpy(), (ink - ink.mean()) / ink.std(), rtol=1e-12)
    assert data.y.tolist() == [1.0, 0.0, 1.0]


def test_the_cost_surface_is_the_cost_at_each_grid_point(data):
    ws, bs, costs = cost_surface(data, w_points=7, b_points=5)
    assert costs.shape == (5, 7)                                             # rows are b, columns are w
    assert (ws[0], ws[-1], bs[0], bs[-1]) == (*W_RANGE, *B_RANGE)
    for row, b in enumerate(bs.tolist()):
        for column, w in enumerate(ws.tolist()):
            by_hand = ((torch.sigmoid(w * data.x + b) - data.y) ** 2).mean()
            assert float(costs[row, column]) == pytest.approx(float(by_hand), rel=1e-12)


def test_examples_to_reach_is_the_first_step_at_or_below_the_target():
    costs = torch.tensor([0.5, 0.3, 0.2, 0.25, 0.1])
    examples = torch.tensor([0, 16, 32, 48, 64])
    assert examples_to_reach(costs, examples, 0.2) == (32, 2)
    assert examples_to_reach(costs, examples, 0.5) == (0, 0)
    assert examples_to_reach(costs, examples, 0.05) is None
