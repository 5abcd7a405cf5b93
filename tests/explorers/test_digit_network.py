"""The digit network panel's handlers and its /forward endpoint."""
import gradio as gr
import numpy as np
import pytest
import torch

from core.mlp import forward
from explorers.structure.digit_network import first_layer_weights, forward_endpoint, show_drawing, show_held_out
from models.digit_network import load_digit_network
from tests.handlers import refuses


def test_forward_endpoint_equals_the_networks_own_forward_pass(digits):
    result = forward_endpoint(index=5, activation="relu")
    expected = forward(load_digit_network("relu").params, torch.tensor(digits.x_test[5]), "relu")
    for got, want in zip(result["activations"], expected):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
    assert result["label"] == int(digits.y_test[5]) and result["prediction"] == int(np.argmax(result["outputs"]))
    by_image = forward_endpoint(image=digits.x_test[5].tolist(), activation="relu")
    assert by_image["outputs"] == pytest.approx(result["outputs"]) and by_image["label"] is None


@pytest.mark.parametrize("kwargs, message", [
    ({}, "Give an image"), ({"index": 450}, "between 0 and 449"), ({"index": -1}, "between 0 and 449"),
    ({"image": [0.5] * 63}, "64 numbers"), ({"image": [2.0] * 64}, "between 0 and 1"),
    ({"image": [float("nan")] * 64}, "finite"), ({"index": 1, "activation": "tanh"}, "sigmoid or relu"),
])
def test_forward_endpoint_errors_say_what_is_allowed(kwargs, message):
    with pytest.raises(gr.Error, match=message):
        forward_endpoint(**kwargs)


def test_the_panel_shows_the_formula_with_the_real_numbers(digits):
    formula, image, diagram, outputs, verdict = show_held_out(3, "sigmoid")
    network = load_digit_network("sigmoid")
    activations = forward(network.params, torch.tensor(digits.x_test[3]), "sigmoid")
    j = int(activations[1].argmax())
    assert f"a_{{{j}}} = \\sigma" in formula and f"{activations[1][j].item():.3f}" in formula
    assert f"Prediction: {int(activations[3].argmax())}" in verdict
    np.testing.assert_allclose(outputs.data[0].y, activations[3].numpy(), rtol=1e-6)


@pytest.mark.parametrize("index, activation", [(3, "sigmoid"), (38, "sigmoid"), (38, "relu")])
def test_the_verdict_shows_the_digits_cost_as_the_network_was_trained_on(index, activation, digits):
    from components.formatting import significant
    from core.mlp import cost

    verdict = show_held_out(index, activation)[-1]
    params = load_digit_network(activation).params
    outputs = forward(params, torch.tensor(digits.x_test[index]), activation)[-1].tolist()
    label = int(digits.y_test[index])
    terms = [(a - (1.0 if j == label else 0.0)) ** 2 for j, a in enumerate(outputs)]       # a direct loop
    trained_on = cost(params, torch.tensor(digits.x_test[index:index + 1]), torch.tensor([label]), activation)
    assert sum(terms) == pytest.approx(trained_on.item(), rel=1e-6)                       # the training loss, one digit
    assert f"L = Σⱼ (aⱼ − yⱼ)² = **{significant(sum(terms), 3, latex=False)}**" in verdict
    assert f"({significant(outputs[label], 4, latex=False)} − 1)² = {significant(terms[label], 3, latex=False)}" \
        in verdict
    assert f"(aⱼ − 0)² = {significant(sum(terms) - terms[label], 3, latex=False)}" in verdict


def test_a_blank_drawing_gets_a_message():
    blank = {"background": None, "layers": [], "composite": np.full((280, 280, 4), 255, np.uint8)}
    refuses(lambda: show_drawing(blank, "sigmoid"), "blank")
    refuses(lambda: show_drawing({"composite": None}, "sigmoid"), "blank")


def test_the_canvas_opens_white_with_the_brush_and_a_stroke_on_it_is_read():
    # An empty Sketchpad opened with its image tool selected ("select the draw tool to start"): a learner's first
    # stroke drew nothing. The canvas now opens on a white background (the brush is then selected; the browser test
    # draws without picking a tool) and the bin puts the white background back.
    from explorers.structure.digit_network import blank_canvas, build
    from models.settings import Settings

    with gr.Blocks() as demo:
        build(Settings())
    sketch = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "digit-network-sketch")
    assert sketch.label == "or draw a digit"               # short enough to sit beside the canvas's toolbar
    assert sketch.value["background"] is not None          # not empty: the brush is selected when it opens
    canvas = blank_canvas()
    assert canvas["background"].shape == (280, 280, 3) and canvas["background"].min() == 255
    white = np.dstack([canvas["background"], np.full((280, 280, 1), 255, np.uint8)])     # the composite, RGBA
    refuses(lambda: show_drawing({**canvas, "composite": white}, "sigmoid"), "blank")
    stroke = white.copy()
    stroke[40:240, 130:150, :3] = 0                                                       # a vertical bar: a one
    verdict = show_drawing({**canvas, "composite": stroke}, "sigmoid")[-1]
    assert "Prediction: 1" in verdict and "your drawing" in verdict
    assert "Cost: none for a drawing" in verdict                          # L needs the true label


def test_first_layer_weights_are_the_checkpoints_weights():
    figure = first_layer_weights("relu")
    mosaic = np.asarray(figure.data[0].z, dtype=float)
    W1 = load_digit_network("relu").params["W1"].numpy()
    np.testing.assert_allclose(mosaic[0:8, 0:8], W1[0].reshape(8, 8), rtol=1e-6)
    np.testing.assert_allclose(mosaic[9:17, 9:17], W1[5].reshape(8, 8), rtol=1e-6)


@pytest.mark.parametrize("scene, label, prediction", [
    ("Forward Pass · a clean 0, layer by layer (held-out #1)", 0, 0),
    ("Layers · a 4 it reads as 9 (held-out #38)", 4, 9),
    ("Layers · an 8 it reads as 1 (held-out #43)", 8, 1),
    ("Activation Functions · the same 4, ReLU network (says 8)", 4, 8),
])
def test_every_scene_shows_what_its_label_says(scene, label, prediction):
    """A retrained network or a changed split must not silently break a lecture's scene."""
    from explorers.structure.digit_network import SCENES

    index, activation = SCENES[scene]
    result = forward_endpoint(None, index, activation)
    assert (result["label"], result["prediction"]) == (label, prediction)
    assert set(SCENES) == {"Forward Pass · a clean 0, layer by layer (held-out #1)",
                           "Layers · a 4 it reads as 9 (held-out #38)", "Layers · an 8 it reads as 1 (held-out #43)",
                           "Activation Functions · the same 4, ReLU network (says 8)"}
