"""The computational graph's figure (components/compute_graph_figures.py): a box per node placed after its children,
its value once computed and its gradient once reached, each edge labelled with the local derivative the core
computed, the step's node in orange and the chosen path in purple, in both directions."""
import pytest

from components.compute_graph_figures import CURRENT, PATH, columns, graph_figure, placement
from core.compute_graph import compute_graph, paths_to, snapshot, steps

EXPRESSION, VALUES = "L = (relu(w1*x1 + w2*x2 + b) - y)**2", "x1=2, x2=-1, w1=0.5, w2=-1.5, b=0.3, y=1"


@pytest.fixture(scope="module")
def graph():
    return compute_graph(EXPRESSION, VALUES)


def texts(figure) -> list[str]:
    [boxes] = [trace for trace in figure.data if trace.mode == "text"]
    return list(boxes.text)


def test_every_node_sits_after_its_children_and_a_variable_next_to_its_first_use(graph):
    column = columns(graph)
    assert all(column[c] < column[i] for i, node in enumerate(graph.nodes) for c in node.children)
    y = graph.variables[-1]
    assert graph.nodes[y].name == "y" and column[y] == column[graph.nodes.index(graph.nodes[11])] - 1
    for across in (True, False):
        place = placement(graph, across)
        spots = {(round(x, 6), round(y, 6)) for x, y in zip(place.x, place.y)}
        assert len(spots) == len(graph.nodes)                                        # no two boxes on one spot


def test_values_appear_as_the_forward_pass_reaches_them_and_gradients_as_the_backward_pass_does(graph):
    start, done = texts(graph_figure(graph, snapshot(graph, 0))), texts(graph_figure(graph, snapshot(graph, 15)))
    assert start[0] == "<b>w1</b><br>0.5" and start[2] == "<b>n1</b> = ×<br>?"
    assert start[-1] == "<b>L</b> = **2<br>?" and "grad" not in "".join(start)
    assert done[-1].startswith("<b>L</b> = **2<br>3.24<br>") and "grad 1</span>" in done[-1]
    assert "grad 7.2</span>" in done[0] and "color:#dc2626" in done[10]                # y's gradient is −3.6: red


def test_edges_carry_the_local_derivatives_once_their_node_is_computed(graph):
    labels = [a.text for a in graph_figure(graph, snapshot(graph, 15)).layout.annotations]
    assert sorted(labels) == sorted(f"{v:g}".replace("-", "−") for local in graph.local for v in local)
    assert graph_figure(graph, snapshot(graph, 0)).layout.annotations == ()


def test_the_step_node_is_orange_and_the_path_purple(graph):
    path = paths_to(graph, 0)[0]
    k = 11                                                              # relu's backward push
    figure = graph_figure(graph, snapshot(graph, k), steps(graph)[k].node, path, across=False)
    outlines = [shape.line.color for shape in figure.layout.shapes]
    assert outlines[steps(graph)[k].node] == CURRENT
    assert outlines.count(PATH) == len(path)                            # the path's nodes but the orange one
    thick = [trace for trace in figure.data if trace.mode == "lines" and trace.line.color == PATH]
    assert len([x for x in thick[0].x if x is None]) == len(path)       # one purple segment an edge
