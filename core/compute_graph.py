"""A computational graph, micrograd style (knowledge map: Backpropagation, Chain Rule). A small expression such as

    L = (relu(w1*x1 + w2*x2 + b) - y)**2

becomes nodes in topological order: a variable, a number, or one operation on its children. The forward pass
computes each node's value from its children's, and on each edge the local derivative ∂node/∂child. The backward
pass starts from ∂L/∂L = 1 and, node by node in reverse topological order, pushes into every child

    child.grad += local · node.grad                         (micrograd's engine.py, Value._backward)

Unrolled, that is the chain rule: along one path from L down to a variable the local derivatives multiply, and a
variable reached by several paths adds them up: ∂L/∂x = Σ over paths of Π over the path's edges of the local
derivatives.

The text is read safely by core/graph_expression.py (Python's ast, a small grammar, nothing run); every bad input,
there or here (log of a negative number, a division by zero, an overflow), raises a ValueError that says what is
wrong.
"""
import math
from dataclasses import dataclass

from core.graph_expression import Node, parse_values, read

MAX_PATHS = 64      # paths listed from the output down to one variable (counted beyond)


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]                 # topological order: every node after its children; the output last
    values: tuple[float, ...]               # the forward pass: each node's value
    local: tuple[tuple[float, ...], ...]    # ∂node/∂child on each of a node's edges, one per child
    grads: tuple[float, ...]                # the backward pass: ∂L/∂node

    @property
    def output(self) -> int:
        return len(self.nodes) - 1

    @property
    def variables(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.op == "variable"]


def sigmoid(a: float) -> float:
    """1 / (1 + e^-a), written so that neither side overflows."""
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


# each operation's value and its local derivatives ∂out/∂input, one per input (micrograd: each Value method's
# `out` and its `_backward`)
LOCAL = {
    "+": lambda a, b: (a + b, (1.0, 1.0)),
    "-": lambda a, b: (a - b, (1.0, -1.0)),
    "*": lambda a, b: (a * b, (b, a)),
    "/": lambda a, b: (a / b, (1.0 / b, -a / b / b)),
    "neg": lambda a: (-a, (-1.0,)),
    "relu": lambda a: (max(a, 0.0), (1.0 if a > 0 else 0.0,)),
    "sigmoid": lambda a: (sigmoid(a), (sigmoid(a) * (1.0 - sigmoid(a)),)),
    "tanh": lambda a: (math.tanh(a), (1.0 - math.tanh(a) ** 2,)),
    "exp": lambda a: (math.exp(a), (math.exp(a),)),
    "log": lambda a: (math.log(a), (1.0 / a,)),
}


def refused_inputs(node: Node, inputs: list[float]) -> str | None:
    """What makes an operation undefined at these inputs, in words, or None."""
    a, where = inputs[0], node.text[:40]
    if node.op == "/" and inputs[1] == 0:
        return f"division by zero in {where}: the divisor is 0"
    if node.op == "log" and a <= 0:
        return f"log({a:g}) in {where} is not defined: log needs an input > 0"
    n = node.exponent
    if node.op == "**" and a < 0 and not float(n).is_integer():
        return f"{where}: a negative number ({a:g}) to the power {n:g} is not real; use a whole-number power"
    if node.op == "**" and a == 0 and n < 1 and n != 0:
        return f"{where} at 0: {'a division by zero' if n < 0 else 'its slope is infinite'}"
    return None


def operation(node: Node, inputs: list[float]) -> tuple[float, tuple[float, ...]]:
    """One node's value and local derivatives from its inputs' values; a ValueError where it is undefined."""
    problem = refused_inputs(node, inputs)
    if problem:
        raise ValueError(problem)
    try:
        if node.op == "**":
            a, n = inputs[0], node.exponent
            value, slopes = a ** n, ((n * a ** (n - 1) if n != 0 else 0.0),)
        else:
            value, slopes = LOCAL[node.op](*inputs)
    except (OverflowError, ZeroDivisionError):
        value, slopes = math.inf, ()
    if not all(math.isfinite(v) for v in (value, *slopes)):
        raise ValueError(f"{node.text[:40]} overflows (beyond about 1.8 × 10³⁰⁸): use smaller numbers")
    return float(value), tuple(float(s) for s in slopes)


def forward(nodes: list[Node], leaf_values: dict[int, float]) -> tuple[list[float], list[tuple[float, ...]]]:
    """Every node's value, children first, and each edge's local derivative ∂node/∂child."""
    values, local = [], []
    for i, node in enumerate(nodes):
        value, slopes = operation(node, [values[c] for c in node.children]) if node.children else (leaf_values[i], ())
        values.append(value)
        local.append(slopes)
    return values, local


def backward(nodes: list[Node], local: list[tuple[float, ...]]) -> list[float]:
    """∂L/∂node for every node: from ∂L/∂L = 1, each node in reverse topological order pushes its gradient to its
    children (micrograd's Value.backward)."""
    grads = [0.0] * len(nodes)
    grads[-1] = 1.0                                                   # ∂L/∂L
    for i in reversed(range(len(nodes))):
        for child, slope in zip(nodes[i].children, local[i]):
            grads[child] += slope * grads[i]                          # the chain rule on one edge
    if not all(math.isfinite(g) for g in grads):
        raise ValueError("a gradient overflows (beyond about 1.8 × 10³⁰⁸): use smaller numbers")
    return grads


def compute_graph(expression: str, values: str) -> Graph:
    """The graph of `expression` ("L = (relu(w*x + b) - y)**2") at `values` ("x=2, w=0.5, b=0.3, y=1"), with its
    forward and backward passes done."""
    nodes, leaf_values = read(expression, parse_values(values))
    node_values, local = forward(nodes, leaf_values)
    grads = backward(nodes, local)
    return Graph(tuple(nodes), tuple(node_values), tuple(local), tuple(grads))


Edge = tuple[int, int]      # (node, position of one of its children): the edge from that child up to the node


def paths_below(graph: Graph, leaf: int) -> list[int]:
    """For every node, how many paths lead from it down to `leaf` (x*x counts two: one per edge)."""
    counts = [0] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):                            # children first
        counts[i] = 1 if i == leaf else sum(counts[c] for c in node.children)
    return counts


def paths_to(graph: Graph, leaf: int, limit: int | None = MAX_PATHS) -> list[tuple[Edge, ...]]:
    """The paths from the output down to `leaf`, each as its edges from the output on (at most `limit`)."""
    below = paths_below(graph, leaf)
    found: list[tuple[Edge, ...]] = []

    def walk(node: int, edges: tuple[Edge, ...]) -> None:
        if node == leaf:
            found.append(edges)
        for position, child in enumerate(graph.nodes[node].children):
            if below[child] and (limit is None or len(found) < limit):
                walk(child, edges + ((node, position),))
    walk(graph.output, ())
    return found


def path_nodes(graph: Graph, path: tuple[Edge, ...]) -> list[int]:
    """The nodes along a path: the output first, the leaf last."""
    return [graph.output] + [graph.nodes[node].children[position] for node, position in path]


def path_product(graph: Graph, path: tuple[Edge, ...]) -> float:
    """The chain rule along one path: the product of its edges' local derivatives."""
    return math.prod(graph.local[node][position] for node, position in path)


@dataclass(frozen=True)
class Step:
    kind: str       # "start" (the variables given), "forward" (node computed), "seed" (∂L/∂L = 1), "backward" (node
                    # pushes its gradient to its children)
    node: int       # the step's node; -1 at the start


def steps(graph: Graph) -> list[Step]:
    """The passes unrolled: the start, each operation computed in forward order, the seed at the output, then
    each operation's backward push in reverse order (2 × operations + 2 steps)."""
    operations = [i for i, node in enumerate(graph.nodes) if node.children]
    return ([Step("start", -1)] + [Step("forward", i) for i in operations] + [Step("seed", graph.output)]
            + [Step("backward", i) for i in reversed(operations)])


@dataclass(frozen=True)
class Snapshot:
    known: tuple[bool, ...]             # whose value the forward pass has reached (variables, numbers: given)
    grads: tuple[float | None, ...]     # ∂L/∂node accumulated so far; None: no push has reached it yet


def snapshot(graph: Graph, k: int) -> Snapshot:
    """What is known after steps 0 … k: the passes replayed, a gradient accumulating push by push (+=)."""
    known = [not node.children for node in graph.nodes]
    grads: list[float | None] = [None] * len(graph.nodes)
    for step in steps(graph)[:k + 1]:
        if step.kind == "forward":
            known[step.node] = True
        elif step.kind == "seed":
            grads[step.node] = 1.0
        elif step.kind == "backward":
            for child, slope in zip(graph.nodes[step.node].children, graph.local[step.node]):
                grads[child] = (grads[child] or 0.0) + slope * grads[step.node]
    return Snapshot(tuple(known), tuple(grads))
