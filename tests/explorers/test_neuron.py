"""The neuron panel's handlers: what the page shows, and the errors it gives."""
import gradio as gr
import numpy as np
import pytest

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
