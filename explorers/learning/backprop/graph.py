"""Backpropagation on a computational graph, micrograd style (knowledge map: Backpropagation, Chain Rule): a learner
types a small expression and the values of its variables; the graph is drawn with each node's value and gradient,
stepped through forward then backward, and the chain rule is written along a chosen path from L to a variable, with
the sum over all its paths that gives its gradient."""
import re

import gradio as gr

from components.card import part_opening
from components.compute_graph_figures import graph_figure
from components.errors import keeps_view, user_errors
from components.formatting import significant
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from core.checks import whole
from core.compute_graph import Graph, compute_graph, path_nodes, path_product, paths_below, paths_to, snapshot, steps
from core.graph_expression import MAX_NODES

EXPRESSION = "L = (relu(w1*x1 + w2*x2 + b) - y)**2"
VALUES = "x1=2, x2=-1, w1=0.5, w2=-1.5, b=0.3, y=1"
OPENING_PATH = "w1"
DIRECTIONS = ["left to right", "top to bottom (a phone)"]
MAX_STEP = 2 * MAX_NODES + 1        # the slider's range until the first graph is drawn (a link may set any step)
LISTED_PATHS = 6                    # a variable's paths offered in the picker and written out in the sum
# label -> (expression, values, path); each opens with both passes done
SCENES = {
    "Backpropagation · one neuron, squared error": [EXPRESSION, VALUES, "w1"],
    "Chain Rule · a sigmoid neuron with a log loss": ["L = -log(sigmoid(w*x + b))", "x=2, w=0.5, b=-1", "w"],
    "Chain Rule · a chain of two neurons": ["a1 = relu(w1*x + b1); a2 = sigmoid(w2*a1 + b2); L = (a2 - y)**2",
                                           "x=1, w1=2, b1=-0.5, w2=-1, b2=0.5, y=1", "w1"],
    "Chain Rule · x feeds two neurons: its paths add up": ["L = (tanh(w1*x) + tanh(w2*x) - y)**2",
                                                           "x=0.7, w1=1.2, w2=-0.4, y=0.5", "x"],
}


def latex_name(name: str) -> str:
    """w1 -> w_{1}, L -> L, a_out -> \\mathrm{a\\_out}."""
    found = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    base, index = found.groups() if found else (name, "")
    base = base if len(base) == 1 else r"\mathrm{" + base.replace("_", r"\_") + "}"
    return base + (f"_{{{index}}}" if index else "")


def partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}"


def path_choices(graph: Graph) -> list[tuple[str, int, tuple]]:
    """(label, variable, path) for the picker: each variable's paths from the output ('w1', or 'x · path 2 of 3')."""
    choices = []
    for leaf in graph.variables:
        count, name = paths_below(graph, leaf)[graph.output], graph.nodes[leaf].name
        for j, path in enumerate(paths_to(graph, leaf, limit=LISTED_PATHS), 1):
            choices.append((name if count == 1 else f"{name} · path {j} of {count}", leaf, path))
    return choices


def chosen_path(graph: Graph, label) -> tuple[str, int, tuple]:
    """The picker's choice; a bare variable name means its first path; anything else the first choice."""
    choices = path_choices(graph)
    label = str(label or "").strip()
    return next((c for c in choices if c[0] == label or c[0].split(" · ")[0] == label), choices[0])


def path_formula(graph: Graph, leaf: int, path: tuple) -> str:
    """The chain rule along the path (symbols, then the live local derivatives), then the variable's gradient as
    the sum over all its paths, against the backward pass's."""
    names = [graph.nodes[i].name for i in path_nodes(graph, path)]
    factors = [graph.local[node][position] for node, position in path]
    product, variable = path_product(graph, path), names[-1]
    symbols = r" \cdot ".join(partial(top, bottom) for top, bottom in zip(names, names[1:]))
    numbers = r" \cdot ".join(f"({significant(f, 3)})" if f < 0 else significant(f, 3) for f in factors)
    text = (f"$${partial(names[0], variable)}\\Big|_{{\\text{{this path}}}} = {symbols}$$\n\n"
            f"$$= {numbers} = {significant(product, 3)}$$\n\n")
    count = paths_below(graph, leaf)[graph.output]
    grad, said = significant(graph.grads[leaf], 3), significant(graph.grads[leaf], 3, latex=False)
    if count == 1:
        return text + (f"This is the only path from {names[0]} to {variable}, so it is the whole gradient: the "
                       f"backward pass gives {variable}.grad = **{said}**.")
    shares = [path_product(graph, p) for p in paths_to(graph, leaf, limit=LISTED_PATHS)]
    terms = " + ".join(f"({significant(s, 3)})" if s < 0 else significant(s, 3) for s in shares)
    more = "" if count <= LISTED_PATHS else rf" + \dots\ (\text{{{count - LISTED_PATHS} more paths}})"
    return text + (f"$${partial(names[0], variable)} = \\sum_{{\\text{{{count} paths}}}} \\prod_{{\\text{{edges}}}} "
                   f"= {terms}{more} = {grad}$$\n\n"
                   f"{variable} reaches {names[0]} by {count} paths: its gradient is the sum of their products, and "
                   f"the backward pass gives {variable}.grad = **{said}**, the same number (it adds the paths up with "
                   "+= as it goes: step through it).")


def shown(value: float) -> str:
    return significant(value, 3, latex=False)


def step_text(graph: Graph, k: int) -> str:
    """What step k of the passes did, in micrograd's words."""
    unrolled, nodes = steps(graph), graph.nodes
    step, head = unrolled[k], f"**Step {k} of {len(unrolled) - 1}"
    if step.kind == "start":
        return (f"{head} · start.** The variables hold their values; nothing is computed yet. Move the step: "
                "first the forward pass (values, from the variables to L), then the backward pass (gradients, from "
                "L back).")
    node = nodes[step.node]
    if step.kind == "forward":
        slopes = ", ".join(f"∂{node.name}/∂{nodes[c].name} = {shown(s)}"
                           for c, s in zip(node.children, graph.local[step.node]))
        return (f"{head} · forward.** {node.name} = {node.text} = **{shown(graph.values[step.node])}**; the local "
                f"derivatives on its edges, known now: {slopes}.")
    if step.kind == "seed":
        return (f"{head} · backward starts.** ∂{node.name}/∂{node.name} = **1**: the output's gradient with "
                "respect to itself.")
    before, after = snapshot(graph, k - 1).grads, snapshot(graph, k).grads
    pushes = "; ".join(f"{nodes[c].name}.grad += {shown(after[step.node])} · {shown(s)} → **{shown(after[c])}**"
                       + (" (a second path adds to it)" if before[c] is not None else "")
                       for c, s in zip(node.children, graph.local[step.node]))
    return (f"{head} · backward.** {node.name} passes its gradient {shown(after[step.node])} to its inputs, times "
            f"each edge's local derivative (the chain rule): {pushes}.")


def graph_view(graph: Graph, k: int, path_label, direction) -> tuple:
    """The figure after step k, the path's formula, the step's sentence, and the step slider and path picker set
    for this graph."""
    label, leaf, path = chosen_path(graph, path_label)
    unrolled = steps(graph)
    current = unrolled[k].node if unrolled[k].node >= 0 else None
    figure = graph_figure(graph, snapshot(graph, k), current, path, across=direction != DIRECTIONS[1])
    return (figure, path_formula(graph, leaf, path), step_text(graph, k),
            gr.Slider(maximum=len(unrolled) - 1, value=k),
            gr.Dropdown(choices=[c[0] for c in path_choices(graph)], value=label))


@keeps_view
def show_graph(expression, values, step, path, direction):
    """The graph at the chosen step (a step past the last is the last)."""
    graph = compute_graph(expression, values)
    return graph_view(graph, min(whole("step", step, 0, MAX_STEP), len(steps(graph)) - 1), path, direction)


@keeps_view
def show_finished_graph(expression, values, step, path, direction):
    """A new expression or values: the graph with both passes done."""
    graph = compute_graph(expression, values)
    return graph_view(graph, len(steps(graph)) - 1, path, direction)


@user_errors
def graph_endpoint(expression: str, values: str) -> dict:
    """The computational graph of `expression` ("L = (relu(w*x + b) - y)**2") at `values` ("x=2, w=0.5, b=0.3,
    y=1"): its nodes in topological order (the output last) with their value, gradient ∂L/∂node and local derivatives
    ∂node/∂child, and each variable's gradient."""
    graph = compute_graph(expression, values)
    nodes = [{"name": node.name, "op": node.op, "children": list(node.children), "value": value, "grad": grad,
              "local": list(local)} for node, value, grad, local in zip(graph.nodes, graph.values, graph.grads,
                                                                        graph.local)]
    return {"nodes": nodes, "output": graph.nodes[-1].name, "value": graph.values[-1],
            "gradients": {graph.nodes[i].name: graph.grads[i] for i in graph.variables}}


def graph_layout() -> tuple[list, list, gr.Examples]:
    """The part's controls (expression, values, step, path, direction), views and scenes, laid out."""
    formula = part_opening("micrograd's picture of backpropagation: any formula is a graph of small operations. "
                           "The forward pass computes each box's value from its inputs; the backward pass starts at "
                           "the output with ∂L/∂L = 1 and sends the gradient back along every edge, times the edge's "
                           "local derivative: the chain rule, one edge at a time. A variable that reaches L by "
                           "several paths adds them up.", "backprop-graph-formula")
    with gr.Row():
        expression = gr.Textbox(EXPRESSION, label="expression: + − * / **, relu sigmoid tanh exp log; statements "
                                "z = … ; L = … (Enter)", max_lines=1, scale=3, elem_id="backprop-graph-expression")
        values = gr.Textbox(VALUES, label="values of the variables (Enter)", max_lines=1, scale=2,
                            elem_id="backprop-graph-values")
    with gr.Row():
        opening = compute_graph(EXPRESSION, VALUES)
        step = gr.Slider(0, MAX_STEP, len(steps(opening)) - 1, step=1, scale=3, elem_id="backprop-graph-step",
                         label="step: forward (values) then backward (gradients)")
        path = gr.Dropdown([], value=OPENING_PATH, allow_custom_value=True, scale=2, elem_id="backprop-graph-path",
                           label="chain rule along the path from L to")
        direction = gr.Radio(DIRECTIONS, value=DIRECTIONS[0], label="draw the graph", scale=2,
                             elem_id="backprop-graph-direction")
    examples = scenes([expression, values, path], SCENES, elem_id="backprop-graph-scenes")
    said = gr.Markdown(elem_id="backprop-graph-step-text")
    figure = gr.Plot(label="computational graph", elem_id="backprop-graph-figure")
    return [expression, values, step, path, direction], [figure, formula, said, step, path], examples


def build_graph_part(tab: PanelFrame) -> tuple[dict, Fold]:
    """The computational graph, folded (drawn when unfolded or linked); returns the link's controls and the fold."""
    with fold("Backprop as a graph: type an expression, step through both passes", "backprop-graph") as part:
        controls, outputs, examples = graph_layout()
        expression, values, step, path, direction = controls
    examples.load_input_event.then(show_finished_graph, inputs=controls, outputs=outputs,
                                   api_visibility="undocumented", show_progress="hidden")
    settings = dict(inputs=controls, outputs=outputs, api_visibility="undocumented", show_progress="hidden",
                    trigger_mode="always_last")
    gr.on([expression.submit, values.submit], show_finished_graph, **settings)
    gr.on([step.input, path.input, direction.input], show_graph, **settings)
    drawn_when_unfolded(part, tab.opened, show_graph, controls, outputs)
    return dict(zip(["expr", "vals", "step", "path", "dir"], controls)), part
