"""One learner's digit network learning from random weights: their run (a Learner in that browser's state), how it
is started, stepped, played and paused within its caps, and what the part shows of it. Nothing here is shared
between users but the digits."""
import threading
import time
from functools import lru_cache

import numpy as np
import torch

from components.digit_learning_figures import followed_outputs, learning_curves, weight_tiles
from components.errors import keeps_view
from components.formatting import number, significant
from core.mlp import forward
from core.mlp_training import MAX_EPOCHS, Split, Training, check_rates, measure, start_training, train
from models.digits import load_digits_split

CHUNK_SECONDS = 0.5                   # a redraw every half second while playing
DIGITS_PER_REDRAW = 674               # ... after at most half an epoch of digits, so that the change can be watched
MAX_PLAY_SECONDS = 60.0               # one press of Play trains at most this long, then pauses (as the playground)
SESSION_SECONDS = 600.0               # one page's training time in all, over every press and reset
FOLLOWED_DIGITS = (0, 3, 4, 7, 8)     # the first held-out digit of each of these is followed as it learns


@lru_cache(maxsize=1)
def digits_split() -> Split:
    data = load_digits_split()
    return Split(*(torch.from_numpy(np.array(a)) for a in (data.x_train, data.y_train, data.x_test, data.y_test)))


def followed_indices() -> list[int]:
    """The held-out #s of the followed digits: the first held-out image of each digit in FOLLOWED_DIGITS."""
    labels = digits_split().y_test
    return [int((labels == digit).nonzero()[0]) for digit in FOLLOWED_DIGITS]


class Learner:
    """One page's run and its rates, shared by that page's events: gr.State deep-copies its first value once per
    browser session and then hands every event of the session the same object, so Pause, a new η or a reset reach
    a Play loop that runs. `version` counts resets: a loop's chunk trained on an older run is dropped."""

    def __init__(self, rates: tuple[float, int, int]):
        self._lock = threading.Lock()
        self.training: Training | None = None          # None until the part is first drawn
        self.rates, self.version, self.seconds = rates, 0, 0.0
        self.play_id = 0                               # the Play loop that may run: an older one stops at its frame

    def __deepcopy__(self, memo) -> "Learner":          # a new learner: a run of their own, their own time
        return Learner(self.rates)

    def reset(self, training: Training) -> None:
        with self._lock:
            self.training, self.version = training, self.version + 1

    def set_rates(self, rates: tuple[float, int, int]) -> None:
        with self._lock:
            self.rates = rates

    def start_play(self) -> int:
        """A new loop's ticket: from now on only this loop may play."""
        return self.stop_play()

    def stop_play(self) -> int:
        """Pause, One step, a cap: no loop started before may play on (each ends after its frame, cleanly)."""
        with self._lock:
            self.play_id += 1
            return self.play_id

    def may_play(self, play_id: int) -> bool:
        with self._lock:
            return play_id == self.play_id

    def take(self) -> tuple[Training | None, int, tuple[float, int, int]]:
        with self._lock:
            return self.training, self.version, self.rates

    def put(self, training: Training, version: int, seconds: float) -> Training:
        """Keep `training` unless a reset came in since take(); count the time it took either way."""
        with self._lock:
            self.seconds += seconds
            if version == self.version:
                self.training = training
            return self.training


def cap_note(training: Training, max_epochs: int, session_seconds: float) -> str:
    """Why the run may not go on, in words ('' while it may)."""
    if session_seconds >= SESSION_SECONDS:
        return (f"This page has trained for {SESSION_SECONDS / 60:.0f} minutes in all, the most one visit may (the "
                "machine is shared); open the page again to start over.")
    if training.epoch >= max_epochs:
        return (f"Reached the cap of {max_epochs} epochs: raise *epochs* (up to {MAX_EPOCHS}) to go on, or press "
                "Reset for a new run.")
    return ""


def trained_for(training: Training, rates: tuple[float, int, int], seconds: float) -> Training:
    """Train in slices of steps (5, 10, 20, ... 80) until `seconds` have passed (at least one slice), DIGITS_PER_REDRAW
    digits were seen, or the epoch cap."""
    started, slice_steps, steps = time.monotonic(), 5, -(-DIGITS_PER_REDRAW // rates[1])
    while training.epoch < rates[2] and steps > 0:
        stepped = train(training, digits_split(), *rates[:2], min(slice_steps, steps), rates[2])
        training, steps, slice_steps = stepped, steps - (stepped.step - training.step), min(2 * slice_steps, 80)
        if time.monotonic() - started >= seconds:
            break
    return training


def started(learner: Learner, activation, seed) -> tuple[Training, int]:
    """The learner's run and its version; a new one from the controls if the part was never drawn."""
    training, version, _ = learner.take()
    if training is None:
        learner.reset(start_training(digits_split(), activation, seed))
        training, version, _ = learner.take()
    return training, version


@keeps_view
def reset(learner: Learner, activation, seed):
    """A new run from random weights (seed, activation): what Reset, a new seed and a new activation do."""
    training = start_training(digits_split(), activation, seed)
    learner.reset(training)
    return view(training, learner.rates[2])


@keeps_view
def set_rates(learner: Learner, learning_rate, batch_size, max_epochs) -> None:
    """η, the batch size and the epoch cap apply from the next step on, also while Play runs."""
    learner.set_rates(check_rates(learning_rate, batch_size, max_epochs))


@keeps_view
def step_once(learner: Learner, activation, seed, learning_rate, batch_size, max_epochs):
    """One press of One step: Play pauses, then one mini-batch, θ ← θ − η ∇C."""
    rates = check_rates(learning_rate, batch_size, max_epochs)
    learner.stop_play()
    learner.set_rates(rates)
    training, version = started(learner, activation, seed)
    note = cap_note(training, rates[2], learner.seconds)
    if note:
        raise ValueError(note)
    begun = time.monotonic()
    stepped = train(training, digits_split(), *rates[:2], 1, rates[2])
    return view(learner.put(stepped, version, time.monotonic() - begun), rates[2])


def pause(learner: Learner) -> None:
    learner.stop_play()


@keeps_view
def play(learner: Learner, activation, seed, learning_rate, batch_size, max_epochs):
    """Train and redraw every CHUNK_SECONDS until Pause (or One step, or another Play), the epoch cap, the press's
    time cap or the page's. Each chunk trains the run the learner holds then, at the rates they hold then."""
    learner.set_rates(check_rates(learning_rate, batch_size, max_epochs))
    started(learner, activation, seed)
    play_id, begun = learner.start_play(), time.monotonic()
    while learner.may_play(play_id):
        frame = time.monotonic()
        training, version, rates = learner.take()
        note = cap_note(training, rates[2], learner.seconds)
        if not note:
            chunk = time.monotonic()
            training = learner.put(trained_for(training, rates, CHUNK_SECONDS), version, time.monotonic() - chunk)
            note = cap_note(training, rates[2], learner.seconds)
        if not note and time.monotonic() - begun > MAX_PLAY_SECONDS:
            note = (f"Paused after {MAX_PLAY_SECONDS:.0f} s (one press of Play trains at most that long): press Play "
                    "to go on.")
        if note:
            learner.stop_play()
        shown = view(training, rates[2], note)
        time.sleep(max(0.0, CHUNK_SECONDS - (time.monotonic() - frame)))       # a fast chunk waits for its frame
        yield shown


def view(training: Training, max_epochs: int, note: str = "") -> tuple:
    """The part's formula, status, the first layer's weight images, the curves and the followed digits."""
    split = digits_split()
    train_cost, test_accuracy = measure(training.params, split, training.activation)
    indices = followed_indices()
    with torch.no_grad():
        outputs = forward(training.params, split.x_test[indices], training.activation)[-1]        # (5, 10)
    status = (f"**Epoch {training.epoch} of {max_epochs}** · step {training.step:,} "
              f"({training.position:,} of {len(split.y_train):,} digits into this epoch) · C on the training digits "
              f"**{significant(train_cost, 3, latex=False)}** · held-out accuracy **{100 * test_accuracy:.1f}%**")
    return (formula(training, train_cost), status + (f"\n\n**{note}**" if note else ""),
            weight_tiles(training.params["W1"].numpy(), f"First layer's 16 weight images, step {training.step:,}"),
            learning_curves(training.train_cost, training.test_accuracy, "C and held-out accuracy per epoch"),
            followed_outputs(split.x_test[indices].numpy(), outputs.numpy(), FOLLOWED_DIGITS,
                             [f"#{i}" for i in indices], "Five held-out digits' ten outputs"))


def formula(training: Training, train_cost: float) -> str:
    """The update with this run's numbers: the last batch's C, and the first-layer weight it moved most."""
    rule = (r"$$\theta \leftarrow \theta - \eta\,\nabla C, \qquad C = \frac{1}{B}\sum_{i=1}^{B}\sum_{j=0}^{9}"
            r"\left(a_j^{(i)} - y_j^{(i)}\right)^2$$")
    last = training.last
    if last is None:
        return (f"{rule}\n\nRandom weights (seed {training.seed}, {training.activation}): C on all the training "
                f"digits is ${significant(train_cost)}$. Press **One step**.")
    gradient = last.grads["W1"]                                                              # (16, 64)
    j, k = divmod(int(gradient.abs().argmax()), gradient.shape[1])
    after, g = float(training.params["W1"][j, k]), float(gradient[j, k])
    before = after + last.learning_rate * g
    ending = " (the epoch's last: the digits left over)" if training.position == 0 else ""
    return (f"{rule}\n\nStep {training.step:,}, on a batch of B = {last.batch_size} digits{ending}: C on the batch = "
            f"${significant(last.batch_cost)}$. The first-layer weight it moved most, from pixel {k} to neuron {j}:"
            f"\n\n$$w^{{(1)}}_{{{j},{k}}} \\leftarrow {number(before)} - {significant(last.learning_rate)} \\times "
            f"({number(g, 4)}) = {number(after)}$$")
