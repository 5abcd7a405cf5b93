"""Training the digit network by SGD against torch's own: one step equals torch.optim.SGD on an nn.Sequential with the
same weights and the series' cost, a run equals torch's loop over the same batches, a seed gives the same run twice."""
import pytest
import torch

from core.mlp import LAYER_SIZES, accuracy, cost, init_params
from core.mlp_training import (MAX_BATCH, MAX_EPOCHS, Split, check_rates, epoch_order, measure, sgd_step,
                               start_training, steps_per_epoch, train)
from tests.core.test_mlp import sequential


@pytest.fixture(scope="module")
def small(digits) -> Split:
    """100 training digits and 60 held-out ones: an epoch is a few steps."""
    return Split(torch.tensor(digits.x_train[:100]), torch.tensor(digits.y_train[:100]),
                 torch.tensor(digits.x_test[:60]), torch.tensor(digits.y_test[:60]))


def series_cost(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """C = (1/B) Σ_i Σ_j (a_j − y_j)², written with torch.nn.functional."""
    target = torch.nn.functional.one_hot(y, LAYER_SIZES[-1]).float()
    return torch.nn.functional.mse_loss(output, target, reduction="sum") / len(y)


def torch_sgd(model: torch.nn.Sequential, x, y, learning_rate: float) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    optimizer.zero_grad()
    loss = series_cost(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def as_params(model: torch.nn.Sequential) -> dict[str, torch.Tensor]:
    linears = model[0::2]
    return {name: tensor.detach() for l, linear in enumerate(linears, start=1)
            for name, tensor in ((f"W{l}", linear.weight), (f"b{l}", linear.bias))}


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_one_step_equals_torch_optim_sgd(activation, small):
    params = init_params(seed=5)
    x, y = small.x_train[:16], small.y_train[:16]
    model = sequential(params, activation)
    stepped, grads, batch_cost = sgd_step(params, x, y, activation, 3.0)
    torch_cost = torch_sgd(model, x, y, 3.0)
    assert batch_cost == pytest.approx(torch_cost, rel=1e-6)
    for name, value in as_params(model).items():
        torch.testing.assert_close(stepped[name], value)
        torch.testing.assert_close(grads[name], (params[name] - value) / 3.0, rtol=1e-4, atol=1e-6)
    assert not torch.equal(stepped["W1"], params["W1"]) and stepped["W1"].dtype == torch.float32
    torch.testing.assert_close(params["W1"], init_params(seed=5)["W1"])                   # the params given: unchanged


def test_a_run_equals_torch_sgd_over_the_same_batches_across_an_epoch_boundary(small):
    batch_size, steps = 32, 6                      # 100 digits: batches of 32, 32, 32, 4, then a new epoch
    training = train(start_training(small, "sigmoid", 7), small, 2.0, batch_size, steps)
    model = sequential(init_params(7), "sigmoid")
    for epoch in range(2):
        order = epoch_order(7, epoch, 100)
        for start in range(0, 100, batch_size)[:steps - 4 * epoch]:
            batch = order[start:start + batch_size]
            torch_sgd(model, small.x_train[batch], small.y_train[batch], 2.0)
    for name, value in as_params(model).items():
        torch.testing.assert_close(training.params[name], value)
    assert (training.step, training.epoch, training.position) == (6, 1, 64)
    assert training.last.batch_size == 32 and training.last.learning_rate == 2.0


def test_costs_and_accuracies_are_measured_at_every_epoch_end(small):
    training = start_training(small, "relu", 1)
    assert training.train_cost == (pytest.approx(cost(init_params(1), small.x_train, small.y_train, "relu").item()),)
    for _ in range(2):
        training = train(training, small, 0.5, 25, steps_per_epoch(100, 25))
    assert training.epoch == 2 and len(training.train_cost) == len(training.test_accuracy) == 3
    assert training.train_cost[-1] == pytest.approx(cost(training.params, small.x_train, small.y_train, "relu").item())
    assert training.test_accuracy[-1] == accuracy(training.params, small.x_test, small.y_test, "relu")
    assert measure(training.params, small, "relu") == (pytest.approx(training.train_cost[-1]),
                                                       training.test_accuracy[-1])


def test_a_seed_gives_the_same_run_twice_and_another_seed_another(small):
    runs = [train(start_training(small, "sigmoid", seed), small, 3.0, 10, 25) for seed in (4, 4, 5)]
    assert runs[0].train_cost == runs[1].train_cost and runs[0].test_accuracy == runs[1].test_accuracy
    for name in runs[0].params:
        assert torch.equal(runs[0].params[name], runs[1].params[name])
    assert runs[0].train_cost != runs[2].train_cost
    assert torch.equal(epoch_order(4, 3, 100), epoch_order(4, 3, 100))
    assert not torch.equal(epoch_order(4, 3, 100), epoch_order(4, 4, 100))
    assert sorted(epoch_order(4, 3, 100).tolist()) == list(range(100))


def test_training_in_pieces_equals_training_at_once(small):
    """What Play does (slices of steps) is what one long call does."""
    start = start_training(small, "sigmoid", 2)
    pieces = start
    for steps in (1, 5, 3, 7):
        pieces = train(pieces, small, 3.0, 16, steps)
    once = train(start, small, 3.0, 16, 16)
    assert pieces.step == once.step == 16 and pieces.train_cost == once.train_cost
    for name in once.params:
        torch.testing.assert_close(pieces.params[name], once.params[name], rtol=0, atol=0)
    assert start.step == 0 and start.last is None                                      # a Training is a value


def test_the_epoch_cap_stops_at_the_end_of_an_epoch(small):
    training = train(start_training(small, "sigmoid", 0), small, 1.0, 30, 100, max_epochs=2)
    assert (training.epoch, training.position, training.step) == (2, 0, 2 * steps_per_epoch(100, 30))
    assert train(training, small, 1.0, 30, 5, max_epochs=2) == training                # at the cap: no step


@pytest.mark.parametrize("args, message", [
    ((float("nan"), 16, 10), "learning rate η must be a finite number"),
    ((21, 16, 10), "between 0 and 20"), ((1e308, 16, 10), "between 0 and 20"), ((-1, 16, 10), "between 0 and 20"),
    ((1, 0, 10), f"batch size must be between 1 and {MAX_BATCH}"), ((1, 10**9, 10), "batch size"),
    ((1, 2.5, 10), "whole number"), ((1, 16, MAX_EPOCHS + 1), f"epochs must be between 1 and {MAX_EPOCHS}"),
    ((1, 16, float("inf")), "epochs must be a finite number"),
])
def test_bad_rates_are_refused_in_words(args, message):
    with pytest.raises(ValueError, match=message):
        check_rates(*args)


def test_bad_seeds_steps_and_activations_are_refused(small):
    with pytest.raises(ValueError, match="seed must be between 0"):
        start_training(small, "sigmoid", -1)
    with pytest.raises(ValueError, match="sigmoid or relu"):
        start_training(small, "tanh", 0)
    with pytest.raises(ValueError, match="steps must be between"):
        train(start_training(small, "sigmoid", 0), small, 1.0, 16, -3)


def test_the_weights_of_a_pixel_no_digit_inks_never_move(digits):
    """dC/dW1[j, k] carries pixel k's ink: the 4 pixels blank in every training digit keep their random weights."""
    split = Split(*(torch.tensor(a) for a in (digits.x_train, digits.y_train, digits.x_test[:10], digits.y_test[:10])))
    blank = (split.x_train.max(dim=0).values == 0).nonzero().flatten()
    assert blank.tolist() == [0, 24, 32, 39]
    training = train(start_training(split, "sigmoid", 0), split, 3.0, 16, 30)
    torch.testing.assert_close(training.params["W1"][:, blank], init_params(0)["W1"][:, blank], rtol=0, atol=0)
    assert not torch.equal(training.params["W1"][:, 20], init_params(0)["W1"][:, 20])
