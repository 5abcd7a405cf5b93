"""Reading an expression into graph nodes (core/graph_expression.py): children before parents, variables shared by
name, operations named by their statement or n1, n2, … in forward order, and the values box read as typed."""
import pytest

from core.graph_expression import parse_values, read


def test_nodes_come_children_first_and_a_variable_is_one_node_however_often_it_is_used():
    nodes, leaf_values = read("L = (w*x + b - y)**2 + w", {"w": 0.5, "x": 2.0, "b": 0.3, "y": 1.0})
    assert all(child < i for i, node in enumerate(nodes) for child in node.children)
    assert [node.name for node in nodes if node.op == "variable"] == ["w", "x", "b", "y"]
    assert [node.name for node in nodes if node.children] == ["n1", "n2", "n3", "n4", "L"]
    assert nodes[-1].op == "+" and nodes[-1].children == (7, 0)               # the last w is the first node
    assert nodes[7].op == "**" and nodes[7].exponent == 2.0 and nodes[7].text == "(w*x + b - y)**2"
    assert leaf_values == {0: 0.5, 1: 2.0, 3: 0.3, 5: 1.0}


def test_statements_name_their_results_and_a_bare_expression_is_called_l():
    nodes, _ = read("z = w*x + b\na = relu(z); L2 = (a - y)**2", {"w": 1, "x": 1, "b": 0, "y": 1})
    assert [node.name for node in nodes if node.children] == ["n1", "z", "a", "n2", "L2"]
    nodes, _ = read("w*x - 1", {"w": 1, "x": 1})
    assert nodes[-1].name == "L" and nodes[-2].op == "number" and nodes[-2].name == "1"
    nodes, _ = read("n1 = w*x; L = n1 * x + w", {"w": 1, "x": 1})       # n1 is taken: the next free name
    assert [node.name for node in nodes if node.children] == ["n1", "n2", "L"]


def test_a_negative_number_is_one_number_and_a_negated_variable_an_operation():
    nodes, leaf_values = read("L = -2 * -w", {"w": 1.5})
    assert [(node.op, node.name) for node in nodes] == [("number", "-2"), ("variable", "w"), ("neg", "n1"),
                                                        ("*", "L")]
    assert leaf_values == {0: -2.0, 1: 1.5}


def test_values_are_read_from_commas_semicolons_or_lines():
    assert parse_values("x1=2, x2 = -1;w1=0.5\nb=3e-1") == {"x1": 2.0, "x2": -1.0, "w1": 0.5, "b": 0.3}
    assert parse_values("") == {} and parse_values(" , ") == {}
    with pytest.raises(ValueError, match="must be text"):
        parse_values(None)
