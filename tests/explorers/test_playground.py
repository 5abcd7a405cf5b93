"""The playground panel: every number it shows is the network's own (checked against torch.nn layers built
independently), training runs per learner, in chunks, and stops; bad input gets a message; and each scene does
what its label says."""
import json
import threading
from dataclasses import replace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from components import playground_figures as figures
from core.playground import accuracy, feature_matrix, train
from explorers.learning.playground import handlers
from explorers.learning.playground.controls import SCENES
from explorers.learning.playground.desk import Desk, checked_rates
from explorers.learning.playground.handlers import (GRID, OWN, export, new_session, pause, play, reset, set_rates,
                                                    step_once, train_endpoint)
from explorers.learning.playground.own_points import add_point, upload_points
from tests.core.test_playground import sequential
from tests.handlers import refuses


def spiral_session(seed=0):
    return new_session("spiral", 0, 50, seed, ["x", "y"], 2, (8, 8, 4, 4), "tanh")


def desk_for(session) -> Desk:
    return Desk(session, checked_rates(0.3, 10, 0))


def test_reset_draws_the_networks_own_output_and_formula():
    desk = desk_for(spiral_session())
    formula, plane, net, curves = reset(desk, "circle", 10, 50, 3, ["x", "y", "xy"], 1, 5, 2, 4, 4, "relu", [])
    session = desk.take()[0]
    assert desk.version == 1 and session.source == "circle"
    model = sequential(session.run.params, session.run.net)
    data = session.data
    outputs = model(feature_matrix(data.train_points, session.run.net.features)).detach()
    target = torch.nn.functional.one_hot(data.train_labels, 2).float()
    losses = ((outputs - target) ** 2).sum(dim=1)
    assert f"= {losses[0]:.3f}$$" in formula                                   # L_1
    assert f"= {losses.mean():.4f}$$" in formula                               # C
    assert formula.count("(") >= 2 and f"\\frac{{1}}{{{len(losses)}}}" in formula
    test_accuracy = (model(feature_matrix(data.test_points, session.run.net.features)).argmax(1)
                     == data.test_labels).float().mean().item()
    assert f"test accuracy **{100 * test_accuracy:.1f} %**" in formula
    axis = np.linspace(-6, 6, GRID)
    grid = torch.tensor([[x, y] for y in axis for x in axis], dtype=torch.float32)
    expected = model(feature_matrix(grid, session.run.net.features)).detach().numpy().reshape(GRID, GRID, 2)
    np.testing.assert_allclose(plane.data[0].customdata, np.round(expected, 3), atol=1.01e-3)
    assert list(curves.data[0].y) == pytest.approx(session.run.train_cost)


def shown_tiles(fig) -> np.ndarray:
    """The tiles picture the network figure shows, decoded from its layout image: (rows, columns, 4) at 1 cell a
    pixel."""
    import base64
    import io

    source = fig.layout.images[0].source
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))))
    return picture[::2, ::2]


def test_the_network_tiles_are_each_neurons_activation_on_the_grid():
    session = spiral_session()
    session = replace(session, run=train(session.run, session.data, 0.3, 10, 0, 200))
    net = handlers.view(session)[2]
    picture = shown_tiles(net)
    model = sequential(session.run.params, session.run.net)
    axis = np.linspace(-6, 6, figures.TILE)
    grid = torch.tensor([[x, y] for y in axis for x in axis], dtype=torch.float32)
    hidden = model[:2](feature_matrix(grid, session.run.net.features)).detach().numpy()      # layer 1: (TILE², 8)
    layout = figures.Layout.of(session.run.net.sizes)
    assert picture.shape[:2] == (layout.rows, layout.columns)
    for neuron in range(8):
        row, column = layout.corner(1, neuron)
        tile = hidden[:, neuron].reshape(figures.TILE, figures.TILE)[::-1]                 # y up -> rows down
        expected = figures.diverging_rgb(tile / np.abs(tile).max())
        shown = picture[row:row + figures.TILE, column:column + figures.TILE]
        assert np.abs(shown[..., :3].astype(int) - expected).max() <= 1 and (shown[..., 3] == 255).all()
    assert (picture[layout.corner(1, 0)[0] + figures.TILE, :, 3] == 0).all()     # between two tiles: transparent
    hovers = net.data[-1].text
    assert len(hovers) == 2 * 8 + 8 * 8 + 8 * 2
    assert hovers[0] == f"w = {session.run.params['W1'][0, 0]:.3f}<br>x → layer 1 neuron 1"


def test_the_colours_run_from_red_through_white_to_blue():
    np.testing.assert_array_equal(figures.diverging_rgb(np.array([-1.0, 1.0, np.nan])),
                                  [[220, 38, 38], [37, 99, 235], [255, 255, 255]])


def test_play_trains_in_chunks_keeps_each_chunk_and_stops_at_its_cap(monkeypatch):
    monkeypatch.setattr(handlers, "MAX_PLAY_STEPS", 300)
    monkeypatch.setattr(handlers, "CHUNK_SECONDS", 0.0)                # one slice of steps per redraw
    session = spiral_session()
    desk = desk_for(session)
    steps = [desk.take()[0].run.step for _ in play(desk, 0.3, 10, 0)]
    assert steps == sorted(steps) and steps[-1] == 300 and len(set(steps)) == len(steps) > 3
    alone = train(session.run, session.data, 0.3, 10, 0, 300)
    for name, value in alone.params.items():
        torch.testing.assert_close(desk.take()[0].run.params[name], value)
    assert session.run.step == 0                                                # sessions are values: not changed


def test_a_reset_or_a_new_rate_while_playing_is_taken_up_at_the_next_chunk(monkeypatch):
    monkeypatch.setattr(handlers, "CHUNK_SECONDS", 0.0)
    desk = desk_for(spiral_session())
    running = play(desk, 0.3, 10, 0)
    next(running), next(running)
    assert desk.take()[0].run.step > 0
    reset(desk, "xor", 0, 50, 1, ["x", "y"], 1, 3, 2, 4, 4, "relu", [])        # a scene clicked while playing
    formula = next(running)[0]
    session = desk.take()[0]
    assert session.source == "xor" and session.run.net.hidden == (3,) and 0 < session.run.step <= 20
    assert f"(step {session.run.step:,})" in formula
    set_rates(desk, 0, 10, 0)                                                   # η = 0: nothing moves any more
    next(running)
    frozen = desk.take()[0].run.params
    next(running)
    for name, value in frozen.items():
        torch.testing.assert_close(desk.take()[0].run.params[name], value)
    running.close()


def test_pause_another_play_or_one_step_end_the_loop_cleanly(monkeypatch):
    monkeypatch.setattr(handlers, "CHUNK_SECONDS", 0.0)
    desk = desk_for(spiral_session())
    first = play(desk, 0.3, 10, 0)
    next(first)
    pause(desk)                                                # the Pause button (also run when the tab is left)
    assert list(first) == [] and not desk.playing               # the loop ends without another yield, no error
    first, second = play(desk, 0.3, 10, 0), play(desk, 0.3, 10, 0)
    next(first), next(second)                                   # the second press takes over ...
    assert list(first) == []                                    # ... and the first loop ends
    step_once(desk, 0.3, 10, 0)
    assert list(second) == []


def test_play_stops_when_the_weights_blow_up():
    session = spiral_session()
    broken = replace(session, run=replace(session.run, params={**session.run.params,
                                                               "W1": torch.full((8, 2), float("inf"))}))
    desk = desk_for(broken)
    outputs = list(play(desk, 10, 10, 0))
    assert len(outputs) == 1 and desk.take()[0].run.diverged
    assert "The weights blew up" in outputs[0][0]


def test_two_learners_training_at_once_each_get_their_own_network():
    import copy

    first = desk_for(spiral_session(1))
    desks = {"a": copy.deepcopy(first), "b": copy.deepcopy(first)}          # what gr.State does for each browser
    reset(desks["b"], "xor", 0, 50, 2, ["x", "y"], 1, 4, 2, 4, 4, "relu", [])
    before = {name: desk.take()[0] for name, desk in desks.items()}

    def learner(name, learning_rate):
        for _ in range(20):
            step_once(desks[name], learning_rate, 10, 0)

    threads = [threading.Thread(target=learner, args=args) for args in (("a", 0.3), ("b", 1.0))]
    [t.start() for t in threads], [t.join() for t in threads]
    for name, learning_rate in (("a", 0.3), ("b", 1.0)):
        alone = train(before[name].run, before[name].data, learning_rate, 10, 0, 20)
        assert desks[name].take()[0].run.step == 20
        for key, value in alone.params.items():
            torch.testing.assert_close(desks[name].take()[0].run.params[key], value)
    assert first.take()[0].run.step == 0


def test_export_writes_the_weights_and_a_picture(tmp_path):
    session = spiral_session()
    session = replace(session, run=train(session.run, session.data, 0.3, 10, 0, 60))
    weights, picture = export(session)
    described = json.loads(open(weights).read())
    assert described["hidden"] == [8, 8] and described["features"] == ["x", "y"] and described["epoch"] == 2
    torch.testing.assert_close(torch.tensor(described["layers"][1]["W"]), session.run.params["W2"])
    assert weights.endswith("playground-weights-epoch2.json") and picture.endswith("playground-network-epoch2.png")
    image = Image.open(picture)
    assert image.format == "PNG" and image.width > 300 and image.height > 300


@pytest.mark.parametrize("args, message", [
    (("circle", float("nan"), 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", []), "noise must be a finite"),
    (("circle", 0, 50, -1, ["x", "y"], 1, 4, 2, 4, 4, "tanh", []), "seed must be"),
    (("circle", 0, 50, 0, [], 1, 4, 2, 4, 4, "tanh", []), "at least one input feature"),
    (("circle", 0, 50, 0, ["x", "y"], 5, 4, 2, 4, 4, "tanh", []), "hidden layers must be between 0 and 4"),
    (("circle", 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "😀", []), "Unknown activation"),
    (("moons", 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", []), "Unknown data set 'moons'"),
    ((OWN, 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", []), "a link does not carry them"),
    ((OWN, 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", [[0, 0, 0], [1, 1, 0], [2, 2, 0], [3, 3, 0]]),
     "at least two classes"),
])
def test_bad_settings_leave_the_view_and_say_what_is_allowed(args, message):
    desk = desk_for(spiral_session())
    refuses(lambda: reset(desk, *args), message)
    assert desk.version == 0 and desk.take()[0].source == "spiral"               # the learner's network stays


def test_bad_training_settings_leave_the_view():
    desk = desk_for(spiral_session())
    refuses(lambda: step_once(desk, float("inf"), 10, 0), "learning rate must be a finite")
    refuses(lambda: step_once(desk, 0.3, 1e9, 0), "batch size must be between 1 and 500")
    refuses(lambda: set_rates(desk, 0.3, 10, -1), "L2 regularisation must be between 0 and 1")
    assert desk.rates == checked_rates(0.3, 10, 0) and desk.take()[0].run.step == 0


def test_own_points_from_clicks_and_a_csv(tmp_path):
    class Click:
        index = [0, 359]                                      # the canvas's lower-left corner: (-6, -6)

    points, canvas, note = add_point([], 1, Click())
    assert points == [[-6.0, -6.0, 1]] and canvas.shape == (360, 360, 3) and "1 points" in note
    good = tmp_path / "points.csv"
    good.write_text("x,y,label\n" + "\n".join(f"{i % 5},{i % 3},{i % 2}" for i in range(10)))
    points, canvas, note, dataset = upload_points(str(good))
    assert len(points) == 10 and dataset == OWN and "5 of class 0, 5 of class 1" in note
    desk = desk_for(spiral_session())
    reset(desk, OWN, 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", points)
    session = desk.take()[0]
    assert len(session.data.train_labels) + len(session.data.test_labels) == 10
    bad = tmp_path / "bad.csv"
    bad.write_text("1,1,0\n2,oops,1\n3,3,0\n4,4,1\n")
    refuses(lambda: upload_points(str(bad)), "Row 2")
    image = tmp_path / "picture.png"
    Image.new("RGB", (4, 4)).save(image)
    refuses(lambda: upload_points(str(image)), "not a text CSV|Row 1")
    refuses(lambda: upload_points(None), "No file was uploaded")


def test_the_endpoint_trains_reproducibly_and_reports_per_epoch():
    first = train_endpoint("xor", 0.0, [4], "tanh", 0.3, 10, 0.0, ["x", "y"], 500, 7)
    again = train_endpoint("xor", 0.0, [4], "tanh", 0.3, 10, 0.0, ["x", "y"], 500, 7)
    assert first == again and first["cost_recorded"] == "per epoch" and first["epochs"] == 20
    assert len(first["train_cost"]) == len(first["test_cost"]) == 21
    session = new_session("xor", 0, 50, 7, ["x", "y"], 1, [4], "tanh")
    run = train(session.run, session.data, 0.3, 10, 0.0, 500)
    assert first["test_accuracy"] == accuracy(run.params, run.net, feature_matrix(session.data.test_points, ("x", "y")),
                                              session.data.test_labels)
    json.dumps(train_endpoint("spiral", 0.2, [8, 8], "linear", 10, 1, 0.0, ["x²", "y²"], 300, 0), allow_nan=False)
    for args, message in ((("moons", 0, [], "tanh", 0.3, 10, 0, ["x"], 10, 0), "dataset must be one of"),
                          (("xor", 0, [], "tanh", 0.3, 10, 0, ["x"], 20_001, 0), "steps must be between"),
                          (("xor", 0.9, [], "tanh", 0.3, 10, 0, ["x"], 10, 0), "noise must be between")):
        with pytest.raises(gr.Error, match=message):
            train_endpoint(*args)


def scene_run(label: str, steps: int):
    data, noise, share, seed, features, layers, n1, n2, n3, n4, f, rate, batch, l2 = SCENES[label]
    session = new_session(data, noise, share, seed, features, layers, (n1, n2, n3, n4), f)
    run = train(session.run, session.data, rate, batch, l2, steps)
    test = accuracy(run.params, run.net, feature_matrix(session.data.test_points, run.net.features),
                    session.data.test_labels)
    return run, test


def test_scene_no_hidden_layer_cannot_separate_xor_but_one_layer_can():
    assert abs(scene_run("Layers · no hidden layer cannot separate XOR", 3000)[1] - 0.5) < 0.1
    assert scene_run("Layers · one hidden layer of 4 and XOR is solved", 3000)[1] > 0.95


def test_scene_tanh_circle_squares_and_linear():
    assert scene_run("Activation Functions · one tanh layer draws the circle", 3000)[1] > 0.95
    assert scene_run("Layers · x² and y² as inputs: no hidden layer needed", 3000)[1] > 0.95
    run, test = scene_run("Activation Functions · linear f: only straight lines", 3000)
    assert test < 0.75
    # a linear network is one straight line: W3 W2 W1 x + b collapses to one layer, so its output is monotone
    # along every line through the plane, and the grid's class changes at most once along any row
    plane = handlers.activations_on_plane(run.params, run.net, 40)[-1].numpy()
    for row in plane.argmax(axis=-1):
        assert np.count_nonzero(np.diff(row)) <= 1


def test_scene_the_spiral_needs_depth():
    assert scene_run("Layers · the spiral needs depth: 2 layers of 8", 10_000)[1] >= 0.9


def test_scene_too_large_a_learning_rate_makes_the_cost_go_up():
    run, _ = scene_run("Gradient Descent · η = 10 overshoots: the cost goes up", 3000)
    assert run.train_cost[-1] > run.train_cost[0] and max(run.train_cost[1:]) > run.train_cost[0]
    data, noise, share, seed, features, layers, n1, n2, n3, n4, f, rate, batch, l2 = SCENES[
        "Gradient Descent · η = 10 overshoots: the cost goes up"]
    session = new_session(data, noise, share, seed, features, layers, (n1, n2, n3, n4), f)
    assert train(session.run, session.data, 0.3, batch, l2, 3000).train_cost[-1] < 0.1   # a small η descends


def test_scene_over_fitting_the_test_cost_rises_while_the_training_cost_falls():
    run, _ = scene_run("Cost Function · over-fitting: the test cost rises", 3000)
    test, training = np.array(run.test_cost), np.array(run.train_cost)
    best = int(test.argmin())
    assert best < len(test) // 4                                # the test cost is lowest early ...
    assert test[-1] > 1.3 * test[best]                          # ... then rises,
    assert training[-1] < 0.5 * training[best]                  # while the training cost keeps falling


def test_the_network_figure_says_its_layers_and_weights_in_words():
    session = spiral_session()
    summary = handlers.view(session)[2].layout.meta["summary"]
    weights = torch.cat([session.run.params[f"W{l}"].ravel() for l in (1, 2, 3)])
    assert summary.startswith("Neurons per layer: inputs (2), layer 1 (8), layer 2 (8), output (2)")
    assert f"{len(weights)} weights from {weights.min():.3g} to {weights.max():.3g}" in summary
