"""The neuron panel's handlers: what the page shows, and the errors it gives."""
import math

import gradio as gr
import numpy as np
import pytest

from core.neuron import neuron, output_plane
from explorers.structure.neuron import neuron_endpoint, update


def test_update_substitutes_the_live_numbers_into_the_formula():
    text, curve, plane = update(2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, -0.5, "sigmoid")
    assert "= 0.500$$" in text and r"\sigma(0.500) = 0.622" in text
    marker = curve.data[1]
    assert marker.x[0] == pytest.approx(0.5) and marker.y[0] == pytest.approx(1 / (1 + np.exp(-0.5)))
    heat = plane.data[0]
    assert np.asarray(heat.z).shape == (121, 121)


def test_a_third_input_acts_on_the_plane_like_extra_bias():
    _, _, with_third = update(3, 1.0, 0.5, 2.0, 1.5, -1.0, 0.5, -0.5, "relu")
    _, _, shifted_bias = update(2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.0, 0.5, "relu")  # b + w3*a3 = -0.5 + 1.0
    np.testing.assert_allclose(np.asarray(with_third.data[0].z), np.asarray(shifted_bias.data[0].z))


def test_endpoint_returns_plain_numbers():
    result = neuron_endpoint([1.0, 0.5], [1.5, -1.0], -0.5, "relu")
    assert result == {"z": pytest.approx(0.5), "a": pytest.approx(0.5)}


@pytest.mark.parametrize("args", [
    ([1.0], [1.0], 0.0, "gelu"),
    ([float("nan")], [1.0], 0.0, "relu"),
    ([1.0], [1.0], float("-inf"), "relu"),
    ([1.0] * 17, [1.0] * 17, 0.0, "relu"),
    (None, [1.0], 0.0, "relu"),
])
def test_endpoint_errors_are_gradio_errors_with_a_message(args):
    with pytest.raises(gr.Error) as error:
        neuron_endpoint(*args)
    assert "Something went wrong" not in str(error.value)


def test_neuron_scenes(app_scene):
    def fires_on(sample) -> float:
        n, a1, a2, a3, w1, w2, w3, bias, f = sample
        _, grid = output_plane([w1, w2], bias, f)
        return float((np.asarray(grid) > 0.5).mean())                               # the plane's share it fires on

    default = [2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, -0.5, "sigmoid"]
    low = app_scene("neuron-scenes", "Weights & Bias · bias −3")
    assert neuron(low[1:3], low[4:6], low[7], low[8])[1] < 0.5 and fires_on(low) < fires_on(default)
    assert fires_on(app_scene("neuron-scenes", "Weights & Bias · bias +3")) > fires_on(default)
    turned = app_scene("neuron-scenes", "Weights & Bias · turn the weights")
    angle = math.degrees(math.atan2(turned[5], turned[4]) - math.atan2(default[5], default[4]))
    assert abs(angle) > 30                                                           # the line rotates
    step = app_scene("neuron-scenes", "Activation Functions · step")
    assert set(np.unique(output_plane(step[4:6], step[7], "step")[1])) <= {0.0, 1.0}   # all or nothing
    relu = app_scene("neuron-scenes", "Activation Functions · ReLU")
    z, a = neuron(relu[1:3], relu[4:6], relu[7], "relu")
    assert z < 0 and a == 0.0                                                        # off below the threshold
