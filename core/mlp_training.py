"""The digit network (core/mlp.py) trained from random weights, one mini-batch at a time: plain SGD on the series' cost.

    start   θ = init_params(seed)                                   (random weights, scaled like nn.Linear's)
    step    θ ← θ − η ∇C(θ),  C = (1/B) Σ_{i in batch} Σ_j (a_j − y_j)²    (∇C by torch autograd)
    epoch   one pass over the training digits in a shuffled order, seeded by (seed, epoch): a seed gives the same run

A run is plain data (a Training), so that one learner's run lives in their browser session and touches nobody else's.
The committed checkpoints were trained with Adam (training/train_digit_network.py); this is the plain SGD the series
describes, so it needs a larger η and more epochs.
"""
from dataclasses import dataclass, replace

import torch

from core.checks import MAX_SEED, in_range, whole
from core.mlp import accuracy, cost, hidden_activation, init_params

MAX_LEARNING_RATE = 20.0     # η above ~10 already throws the sigmoid network onto its flat tails
MAX_BATCH = 128              # digits per step (an epoch is 1,347 training digits)
MAX_EPOCHS = 100             # passes over the training digits in one run


@dataclass(frozen=True)
class Split:
    """The digits a run learns from and is measured on."""
    x_train: torch.Tensor      # (N, 64) float32 pixels in [0, 1]
    y_train: torch.Tensor      # (N,) int64 labels
    x_test: torch.Tensor       # (M, 64) the held-out digits
    y_test: torch.Tensor       # (M,)


@dataclass(frozen=True)
class Step:
    """The last SGD step, as the formula writes it out."""
    learning_rate: float                   # η
    batch_size: int                        # B (the epoch's last batch may be smaller)
    batch_cost: float                      # C on the batch, before the step
    grads: dict[str, torch.Tensor]         # ∇C on the batch: the shapes of the params


@dataclass(frozen=True)
class Training:
    """One run so far."""
    activation: str                        # of the hidden layers: sigmoid or relu
    seed: int                              # the first weights and every epoch's order
    params: dict[str, torch.Tensor]        # W1 (16, 64), b1 (16,), W2 (16, 16), b2, W3 (10, 16), b3
    step: int = 0                          # mini-batch steps taken
    epoch: int = 0                         # full passes over the training digits
    position: int = 0                      # where in this epoch's order the next batch starts
    train_cost: tuple[float, ...] = ()     # C on all training digits at epoch 0, 1, 2, ...
    test_accuracy: tuple[float, ...] = ()  # held-out accuracy at the same epochs
    last: Step | None = None               # the latest step (None before the first)


def sgd_step(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str,
             learning_rate: float) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], float]:
    """One step θ ← θ − η ∇C on a batch x (B, 64), y (B,): the new params (a new dict), ∇C, and C before the
    step."""
    leaves = {name: value.detach().requires_grad_(True) for name, value in params.items()}
    batch_cost = cost(leaves, x, y, activation)
    grads = dict(zip(leaves, torch.autograd.grad(batch_cost, list(leaves.values()))))
    stepped = {name: value.detach() - learning_rate * grads[name] for name, value in leaves.items()}  # θ − η ∇C
    return stepped, grads, float(batch_cost.detach())


def measure(params: dict[str, torch.Tensor], split: Split, activation: str) -> tuple[float, float]:
    """C on all the training digits and the accuracy on the held-out ones."""
    with torch.no_grad():
        return (float(cost(params, split.x_train, split.y_train, activation)),
                accuracy(params, split.x_test, split.y_test, activation))


def start_training(split: Split, activation: str, seed) -> Training:
    """Random weights from `seed`, measured once (epoch 0)."""
    hidden_activation(activation)                                          # a clear error for an unknown one
    seed = whole("seed", seed, 0, MAX_SEED)
    params = init_params(seed)
    train_cost, test_accuracy = measure(params, split, activation)
    return Training(activation, seed, params, train_cost=(train_cost,), test_accuracy=(test_accuracy,))


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The shuffled order of the n training digits in one epoch: (n,)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed((seed * 100_003 + epoch) % (MAX_SEED + 1)))


def check_rates(learning_rate, batch_size, max_epochs) -> tuple[float, int, int]:
    """η in [0, MAX_LEARNING_RATE], B in 1..MAX_BATCH, an epoch cap in 1..MAX_EPOCHS, or a ValueError saying so."""
    return (in_range("learning rate η", learning_rate, 0, MAX_LEARNING_RATE),
            whole("batch size", batch_size, 1, MAX_BATCH), whole("epochs", max_epochs, 1, MAX_EPOCHS))


def train(training: Training, split: Split, learning_rate, batch_size, steps, max_epochs=MAX_EPOCHS) -> Training:
    """`steps` more SGD steps (fewer if the run reaches `max_epochs`); C and the held-out accuracy are measured at
    the end of every epoch. Returns a new Training; the one given is not changed."""
    learning_rate, batch_size, max_epochs = check_rates(learning_rate, batch_size, max_epochs)
    steps = whole("steps", steps, 0, 1_000_000)
    n = len(split.y_train)
    params, epoch, position, taken, last = training.params, training.epoch, training.position, 0, training.last
    train_cost, test_accuracy = list(training.train_cost), list(training.test_accuracy)
    order = epoch_order(training.seed, epoch, n)
    while taken < steps and epoch < max_epochs:
        batch = order[position:position + batch_size]                                       # (B,) digit indices
        params, grads, batch_cost = sgd_step(params, split.x_train[batch], split.y_train[batch],
                                             training.activation, learning_rate)
        last = Step(learning_rate, len(batch), batch_cost, grads)
        position, taken = position + len(batch), taken + 1
        if position >= n:                                                                    # an epoch ends
            epoch, position = epoch + 1, 0
            order = epoch_order(training.seed, epoch, n)
            now_cost, now_accuracy = measure(params, split, training.activation)
            train_cost.append(now_cost), test_accuracy.append(now_accuracy)
    return replace(training, params=params, step=training.step + taken, epoch=epoch, position=position,
                   train_cost=tuple(train_cost), test_accuracy=tuple(test_accuracy), last=last)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Mini-batches in one pass over n digits (the last one smaller when B does not divide n)."""
    return -(-n // batch_size)

