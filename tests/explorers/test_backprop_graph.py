"""The backprop panel's graph part (explorers/learning/backprop/graph.py): the numbers it writes are torch autograd's,
its path formula multiplies the edges' local derivatives and adds the paths up, its step slider and path picker follow
the graph, and bad input is refused in words (a toast on the page, gr.Error from the endpoint)."""
import gradio as gr
import pytest
import torch

from components.formatting import significant
from explorers.learning.backprop.graph import (DIRECTIONS, EXPRESSION, OPENING_PATH, SCENES, VALUES, graph_endpoint,
                                               show_finished_graph, show_graph)
from tests.handlers import refuses

ACROSS, DOWN = DIRECTIONS


def autograd_of_the_opening_expression() -> dict[str, float]:
    leaves = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in dict(x1=2.0, x2=-1.0, w1=0.5, w2=-1.5, b=0.3, y=1.0).items()}
    loss = (torch.relu(leaves["w1"] * leaves["x1"] + leaves["w2"] * leaves["x2"] + leaves["b"]) - leaves["y"]) ** 2
    loss.backward()
    return {name: leaf.grad.item() for name, leaf in leaves.items()}


def test_the_opening_view_writes_the_chain_rule_along_w1_with_autograds_gradient():
    figure, formula, said, step, path = show_graph(EXPRESSION, VALUES, 15, OPENING_PATH, ACROSS)
    reference = autograd_of_the_opening_expression()["w1"]                            # 2 · 1.8 · 2 = 7.2
    assert r"\frac{\partial L}{\partial w_{1}}\Big|_{\text{this path}}" in formula
    assert r"$$= 3.6 \cdot 1 \cdot 1 \cdot 1 \cdot 1 \cdot 2 = 7.2$$" in formula
    assert f"w1.grad = **{significant(reference, 3, latex=False)}**" in formula and "only path" in formula
    assert said.startswith("**Step 15 of 15 · backward.**")
    assert step.constructor_args == {"maximum": 15, "value": 15}
    assert path.constructor_args == {"choices": ["w1", "x1", "w2", "x2", "b", "y"], "value": "w1"}
    [boxes] = [trace for trace in figure.data if trace.mode == "text"]
    assert "grad 7.2" in boxes.text[0] and len(boxes.text) == 13


def test_the_endpoint_gives_autograds_gradients_as_plain_numbers():
    result = graph_endpoint(EXPRESSION, VALUES)
    assert result["gradients"] == pytest.approx(autograd_of_the_opening_expression(), rel=1e-12)
    assert result["output"] == "L" and result["value"] == pytest.approx(3.24)
    assert result["nodes"][-1]["grad"] == 1.0 and result["nodes"][-1]["op"] == "**"


def test_a_variable_with_two_paths_is_written_as_their_sum():
    expression, values, variable = SCENES["Chain Rule · x feeds two neurons: its paths add up"]
    _, formula, _, _, path = show_finished_graph(expression, values, 0, variable, DOWN)
    x = graph_endpoint(expression, values)["gradients"]["x"]
    assert path.constructor_args["value"] == "x · path 1 of 2"
    assert r"\sum_{\text{2 paths}}" in formula and f"= {significant(x, 3)}$$" in formula
    _, second, _, _, _ = show_graph(expression, values, 0, "x · path 2 of 2", DOWN)
    assert second != formula and f"= {significant(x, 3)}$$" in second


def test_steps_go_forward_then_backward_and_a_step_past_the_end_is_the_end():
    said = [show_graph(EXPRESSION, VALUES, k, "w1", ACROSS)[2] for k in (0, 1, 8, 9)]
    assert "start" in said[0] and "nothing is computed" in said[0]
    assert "n1 = w1*x1 = **1**" in said[1] and "∂n1/∂w1 = 2" in said[1]
    assert "backward starts" in said[2] and "backward." in said[3] and "n6.grad += 1 · 3.6" in said[3]
    beyond = show_graph(EXPRESSION, VALUES, 40, "w1", ACROSS)
    assert beyond[3].constructor_args["value"] == 15


def test_a_new_expression_opens_with_both_passes_done_and_an_unknown_path_falls_back_to_the_first():
    expression, values, _ = SCENES["Chain Rule · a sigmoid neuron with a log loss"]
    _, formula, said, step, path = show_finished_graph(expression, values, 3, "w1", ACROSS)
    assert step.constructor_args == {"maximum": 11, "value": 11} and path.constructor_args["value"] == "w"
    assert said.startswith("**Step 11 of 11") and "w.grad = **−1**" in formula      # −(1 − σ(0)) · x = −0.5 · 2


@pytest.mark.parametrize("expression, values, message", [
    ("", VALUES, "empty"),
    ("__import__('os').system('ls')", VALUES, "unknown function"),
    ("L = x1.real", VALUES, "attribute access"),
    ("L = log(x2)", VALUES, "log needs an input > 0"),
    ("L = 10**400 * x1", VALUES, "overflows"),
    ("L = w3 * x1", VALUES, "w3 has no value"),
    (EXPRESSION, "x1=nan", "finite"),
])
def test_bad_input_keeps_the_view_with_a_toast_and_the_endpoint_raises_gr_error(expression, values, message):
    refuses(lambda: show_graph(expression, values, 3, "w1", ACROSS), message)
    refuses(lambda: show_finished_graph(expression, values, 3, "w1", ACROSS), message)
    with pytest.raises(gr.Error, match=message):
        graph_endpoint(expression, values)


@pytest.mark.parametrize("step", [-1, 2.5, float("nan")])
def test_a_bad_step_is_refused(step):
    refuses(lambda: show_graph(EXPRESSION, VALUES, step, "w1", ACROSS), "step must be")


def test_backprop_graph_scenes(app_scene):
    def shown(start, variable=None):
        expression, values, path = app_scene("backprop-graph-scenes", start)
        _, formula, said, _, picked = show_finished_graph(expression, values, 0, variable or path, ACROSS)
        return graph_endpoint(expression, values), formula, picked.constructor_args["value"]

    one, formula, picked = shown("Backpropagation · one neuron")
    assert picked == "w1" and "only path" in formula and one["gradients"]["w1"] == pytest.approx(7.2)
    log_loss, formula, _ = shown("Chain Rule · a sigmoid neuron")
    assert log_loss["gradients"]["w"] == pytest.approx(-(1 - 0.5) * 2)       # −(1 − σ(w·x + b)) · x, σ(0) = 0.5
    chain, formula, _ = shown("Chain Rule · a chain of two neurons")
    assert r"\partial a_{2}" in formula and r"\partial a_{1}" in formula     # w1's path runs through both neurons
    paths, formula, picked = shown("Chain Rule · x feeds two neurons")
    assert picked == "x · path 1 of 2" and "x reaches L by 2 paths" in formula
    assert f"= {significant(paths['gradients']['x'], 3)}$$" in formula
