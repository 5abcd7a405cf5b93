"""The playground's handlers: what one learner's network is (a Session in that browser's state), how it is reset,
trained in chunks, drawn, exported, and the /playground_train endpoint. Nothing here is shared between users."""
import json
import tempfile
import time
from dataclasses import astuple, dataclass, replace
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from components.errors import keeps_view, user_errors
from components.formatting import number
from components import playground_figures as figures
from core.checks import MAX_SEED, in_range, whole
from core.playground import (Run, accuracy, activations_on_plane, cost, feature_matrix, forward, network, share_right,
                             start, train, weights_as_lists)
from core.playground_data import DATASETS, EXTENT, MAX_NOISE, Split, checked_points, make_dataset, split
from explorers.learning.playground.desk import Desk, checked_rates

OWN = "your points"                   # the data set made of the learner's clicks or CSV
GRID = 50                             # the output's grid over the plane (GRID x GRID points)
CHUNK_SECONDS = 0.25                  # training time between two redraws while playing (4 a second)
MAX_PLAY_SECONDS = 60.0               # one press of Play trains at most this long, then pauses
MAX_PLAY_STEPS = 50_000               # ... or this many steps
MAX_API_STEPS = 20_000
SHOWN_LOSSES = 4                      # per-point L values written out in the formula


@dataclass(frozen=True)
class Session:
    """One learner's playground: the data (split) and the network's training so far."""
    data: Split
    run: Run
    source: str                       # which data set: one of DATASETS or OWN


def data_for(dataset: str, noise_percent, train_percent, seed, own_points) -> Split:
    seed = whole("seed", seed, 0, MAX_SEED)
    share = in_range("training share", train_percent, 10, 90) / 100
    if dataset == OWN:
        if not own_points:
            raise ValueError("There are no points of yours yet (a link does not carry them): click the plane "
                             "under 'Your own points' (at least 4, two classes), or upload a CSV.")
        points, labels = checked_points([p[:2] for p in own_points], [p[2] for p in own_points])
    else:
        points, labels = make_dataset(dataset, in_range("noise", noise_percent, 0, 100 * MAX_NOISE) / 100, seed)
    return split(points, labels, share, seed)


def new_session(dataset, noise_percent, train_percent, seed, features, layers, widths, activation,
                own_points=None) -> Session:
    data = data_for(dataset, noise_percent, train_percent, seed, own_points)
    hidden = list(widths)[:whole("hidden layers", layers, 0, len(widths))]
    net = network(features, hidden, activation, data.n_classes)
    return Session(data, start(net, data, int(seed)), dataset)


def trained_for(session: Session, learning_rate, batch_size, l2, seconds: float, max_steps: int) -> Session:
    """Train in slices of steps (10, 20, 40, ... 200) until `seconds` have passed, at least one slice, or until
    max_steps were taken or the weights blew up."""
    started, run, taken, slice_steps = time.monotonic(), session.run, 0, 10
    while taken < max_steps and not run.diverged:
        steps = min(slice_steps, max_steps - taken)
        run = train(run, session.data, learning_rate, batch_size, l2, steps)
        taken, slice_steps = taken + steps, min(slice_steps * 2, 200)
        if time.monotonic() - started >= seconds:
            break
    return replace(session, run=run)


def status(session: Session, train_outputs: torch.Tensor) -> str:
    """train_outputs: the network's outputs (n, K) on the training points, already computed for the formula."""
    run, data = session.run, session.data
    if run.diverged:
        return ("**The weights blew up** (a value became infinite): the learning rate is too large for this "
                "network. Lower η and press Reset.")
    test = accuracy(run.params, run.net, feature_matrix(data.test_points, run.net.features), data.test_labels)
    train_acc = share_right(train_outputs, data.train_labels)
    return (f"**Epoch {run.epoch:,}** (step {run.step:,}) · test accuracy **{100 * test:.1f} %** "
            f"(training {100 * train_acc:.1f} %) · {len(data.train_labels)} training and {len(data.test_labels)} test "
            "points")


def formula(session: Session) -> str:
    """C = (1/n) Σ L with this network's numbers: one point's L written out, then the average."""
    run, data = session.run, session.data
    with torch.no_grad():
        outputs = forward(run.params, run.net, feature_matrix(data.train_points, run.net.features))[-1]   # (n, K)
    target = torch.nn.functional.one_hot(data.train_labels, outputs.shape[1]).float()
    losses = ((outputs - target) ** 2).sum(dim=1)                                                        # (n,)
    n, a, y = len(losses), outputs[0].tolist(), target[0].tolist()
    terms = " + ".join(f"({number(aj, 2)} - {int(yj)})^2" for aj, yj in zip(a, y))
    shown = " + ".join(number(float(v), 3) for v in losses[:SHOWN_LOSSES])
    mean = float(cost(outputs, data.train_labels))
    return (f"$$L_1 = \\sum_j (a_j - y_j)^2 = {terms} = {number(float(losses[0]), 3)}$$\n\n"
            f"$$C = \\frac{{1}}{{n}}\\sum_{{i=1}}^{{n}} L_i = \\frac{{1}}{{{n}}}\\left({shown} + \\dots\\right) = "
            f"{number(mean, 4)}$$\n\n{status(session, outputs)}")


def view(session: Session) -> tuple:
    """What the panel shows for a session: the formula and status, the output plane, the network, the curves."""
    run, data = session.run, session.data
    plane = activations_on_plane(run.params, run.net, GRID)
    tiles = activations_on_plane(run.params, run.net, figures.TILE)
    axis = np.linspace(-EXTENT, EXTENT, GRID)
    points = ((data.train_points.numpy(), data.train_labels.numpy()), (data.test_points.numpy(), data.test_labels.numpy()))
    return (formula(session),
            figures.boundary(axis, plane[-1].numpy(), *points, f"Epoch {run.epoch:,}: the output"),
            figures.network([t.numpy() for t in tiles], weight_matrices(run), run.net.features, "Every neuron"),
            figures.cost_curves(run.train_cost, run.test_cost, "Cost per epoch"))


def weight_matrices(run: Run) -> list[np.ndarray]:
    return [run.params[f"W{l}"].numpy() for l in range(1, len(run.net.sizes))]


@keeps_view
def reset(desk: Desk, dataset, noise_percent, train_percent, seed, features, layers, n1, n2, n3, n4, activation,
          own_points):
    """A new network on new data: the desk's session is replaced (a Play loop that runs goes on with this one)."""
    session = new_session(dataset, noise_percent, train_percent, seed, features, layers, (n1, n2, n3, n4),
                          activation, own_points)
    desk.reset(session)
    return view(session)


@keeps_view
def set_rates(desk: Desk, learning_rate, batch_size, l2) -> None:
    """η, batch size and λ apply from the next chunk on, also while Play runs (as in Playground)."""
    desk.set_rates(checked_rates(learning_rate, batch_size, l2))


@keeps_view
def step_once(desk: Desk, learning_rate, batch_size, l2):
    """One press of "one step": Play pauses, then one mini-batch, θ ← θ − η ∇C."""
    rates = checked_rates(learning_rate, batch_size, l2)
    desk.stop_play()
    desk.set_rates(rates)
    session, version, _ = desk.take()
    trained = replace(session, run=train(session.run, session.data, *astuple(rates), 1))
    return view(desk.put(trained, version))


def pause(desk: Desk) -> None:
    desk.stop_play()


@keeps_view
def play(desk: Desk, learning_rate, batch_size, l2):
    """Train and redraw every CHUNK_SECONDS until Pause (or leaving the tab, or another Play), the time or step cap,
    or the weights blow up. Each chunk trains whatever the desk holds then, at the rates it holds then, so a reset
    or a new η while playing is taken up at once, and a pause keeps what was learned."""
    desk.set_rates(checked_rates(learning_rate, batch_size, l2))
    play_id, started, taken = desk.start_play(), time.monotonic(), 0
    while desk.may_play(play_id):
        session, version, rates = desk.take()
        trained = trained_for(session, *astuple(rates), CHUNK_SECONDS, MAX_PLAY_STEPS - taken)
        taken += trained.run.step - session.run.step
        current = desk.put(trained, version)
        capped = taken >= MAX_PLAY_STEPS or time.monotonic() - started > MAX_PLAY_SECONDS
        shown = view(current)
        if capped and not current.run.diverged:
            shown = (shown[0] + f"\n\nPaused after {taken:,} steps (one press of Play trains at most "
                     f"{MAX_PLAY_SECONDS:.0f} s or {MAX_PLAY_STEPS:,} steps); press Play to go on.", *shown[1:])
        if capped or current.run.diverged:
            desk.stop_play()
        yield shown


def export(session: Session) -> list[str]:
    """The trained network as JSON (architecture, weights, where it stands) and as a PNG picture."""
    run = session.run
    folder = Path(tempfile.mkdtemp(prefix="dle-"))
    described = {"features": list(run.net.features), "hidden": list(run.net.hidden), "activation": run.net.activation,
                 "output": f"{run.net.n_classes} sigmoid neurons, one per class", "epoch": run.epoch, "step": run.step,
                 "data": session.source, "layers": weights_as_lists(run.params),
                 "formula": "a^(l+1) = f(W a^(l) + b); W is (out, in)"}
    weights = folder / f"playground-weights-epoch{run.epoch}.json"
    weights.write_text(json.dumps(json_safe(described), indent=1, allow_nan=False))
    picture = folder / f"playground-network-epoch{run.epoch}.png"
    tiles = activations_on_plane(run.params, run.net, figures.TILE)
    picture.write_bytes(figures.network_png([t.numpy() for t in tiles], weight_matrices(run), run.net.features))
    return [str(weights), str(picture)]


@keeps_view
def export_files(desk: Desk):
    return gr.File(value=export(desk.take()[0]), visible=True)


@user_errors
def train_endpoint(dataset: str, noise: float, hidden: list[int], activation: str, learning_rate: float,
                   batch_size: int, l2: float, features: list[str], steps: int, seed: int) -> dict:
    """Train a fresh network on one of circle, xor, gaussians, spiral (noise 0..0.5, half the points for training)
    for `steps` mini-batch steps (at most 20,000). train_cost and test_cost are C per epoch, epoch 0 first."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}.")
    hidden = list(hidden or [])
    session = new_session(dataset, in_range("noise", noise, 0, MAX_NOISE) * 100, 50, seed, features, len(hidden),
                          hidden, activation)
    run = train(session.run, session.data, learning_rate, batch_size, l2, whole("steps", steps, 0, MAX_API_STEPS))
    data = session.data
    return json_safe({"train_cost": run.train_cost, "test_cost": run.test_cost, "cost_recorded": "per epoch",
                      "epochs": run.epoch, "steps": run.step, "diverged": run.diverged,
                      "test_accuracy": accuracy(run.params, run.net, feature_matrix(data.test_points, run.net.features),
                                                data.test_labels),
                      "weights": weights_as_lists(run.params)})


def json_safe(value):
    """Infinite and NaN numbers (a run that blew up) as None, so the answer is valid JSON."""
    if isinstance(value, dict):
        return {key: json_safe(v) for key, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return None if isinstance(value, float) and not np.isfinite(value) else value
