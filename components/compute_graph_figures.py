"""The computational graph drawn left to right, micrograd's draw_dot for a lecture hall: a box per node (its name, its
value once the forward pass has reached it, its gradient ∂L/∂node once the backward pass has), each edge labelled with
its local derivative ∂parent/∂child; the current step's node and edges in orange, a chosen path from L to a variable
in purple."""
from dataclasses import dataclass

import plotly.graph_objects as go

from components.formatting import significant
from components.style import COLORS, NEGATIVE, POSITIVE, styled
from core.compute_graph import Edge, Graph, Snapshot

CURRENT, PATH, EDGE = COLORS[4], COLORS[3], "#94a3b8"     # orange, purple, grey
FILL = {"variable": "#dbeafe", "number": "#f1f5f9"}        # an operation's box is white
PORT = 0.18                                                # how far from a box's middle its two inputs enter
SYMBOL = {"neg": "−", "-": "−", "*": "×", "sigmoid": "σ"}


def columns(graph: Graph) -> list[int]:
    """Each node's column: an operation one right of its rightmost child, a variable or number one left of the
    first node that uses it (y sits next to its "−", not at the far left)."""
    column = [0] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):                                 # children first
        if node.children:
            column[i] = 1 + max(column[c] for c in node.children)
    for i, node in enumerate(graph.nodes):
        if not node.children:
            column[i] = min(column[p] for p, parent in enumerate(graph.nodes) if i in parent.children) - 1
    return column


def rows(graph: Graph, column: list[int]) -> list[float]:
    """Each node's row, column by column from the output leftwards: a node sits near the mean row of the nodes
    that use it (its parents, already placed), at least one row from its neighbours."""
    row = [0.0] * len(graph.nodes)
    for c in range(max(column) - 1, -1, -1):
        here = [i for i in range(len(graph.nodes)) if column[i] == c]
        wanted = {i: sum(row[p] + port(graph, p, i) for p in parents(graph, i)) / len(parents(graph, i))
                  for i in here}
        placed = sorted(here, key=lambda i: (wanted[i], i))
        spots = []
        for i in placed:
            spots.append(wanted[i] if not spots else max(wanted[i], spots[-1] + 1.0))
        shift = sum(wanted[i] for i in placed) / len(placed) - sum(spots) / len(spots)
        for i, spot in zip(placed, spots):
            row[i] = spot + shift
    return row


def parents(graph: Graph, child: int) -> list[int]:
    return [p for p, node in enumerate(graph.nodes) if child in node.children]


def port(graph: Graph, parent: int, child: int) -> float:
    """Where the edge from `child` enters `parent`: its first input before the middle (above, or left when drawn
    downwards), its second after."""
    children = graph.nodes[parent].children
    return 0.0 if len(children) == 1 else (-PORT if children.index(child) == 0 else PORT)


@dataclass(frozen=True)
class Placement:
    x: list[float]              # each node's centre
    y: list[float]
    across: bool                # left to right (True) or top to bottom
    size: tuple[float, float]   # a box's width and height

    def edge(self, graph: Graph, parent: int, child: int) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where the edge from `child` leaves it and enters `parent`."""
        (w, h), shift = self.size, port(graph, parent, child)
        if self.across:
            return (self.x[child] + w / 2, self.y[child]), (self.x[parent] - w / 2, self.y[parent] - shift)
        return (self.x[child], self.y[child] - h / 2), (self.x[parent] + shift, self.y[parent] + h / 2)


def placement(graph: Graph, across: bool) -> Placement:
    """Left to right (the output on the right) or, for a narrow screen, top to bottom (the output at the bottom)."""
    column = columns(graph)
    row = rows(graph, column)
    if across:
        return Placement([2.2 * c for c in column], [-r for r in row], True, (1.2, 0.8))
    return Placement([1.5 * r for r in row], [-1.6 * c for c in column], False, (1.25, 0.95))


def box_text(graph: Graph, shown: Snapshot, i: int) -> str:
    node = graph.nodes[i]
    op = f"**{node.exponent:g}" if node.op == "**" else SYMBOL.get(node.op, node.op)
    title = f"<b>{node.name}</b>" + (f" = {op}" if node.children else "")
    value = significant(graph.values[i], 3, latex=False) if shown.known[i] else "?"
    grad = shown.grads[i]
    gradient = "" if grad is None else (f"<br><span style='color:{POSITIVE if grad >= 0 else NEGATIVE}; "
                                        "font-size:13px'>"
                                        f"grad {significant(grad, 3, latex=False)}</span>")
    return f"{title}<br>{value}{gradient}"


def graph_figure(graph: Graph, shown: Snapshot, current: int | None = None, path: tuple[Edge, ...] = (),
                 across: bool = True) -> go.Figure:
    """The graph in the state `shown` (core.compute_graph.snapshot), `current` the step's node (its edges dotted in
    orange), `path` the chosen path's edges from the output down (in purple); across: left to right, else top to
    bottom (a phone)."""
    place = placement(graph, across)
    fig = go.Figure()
    on_path = set(path)
    for chosen, colour, width in ((False, EDGE, 2), (True, PATH, 6)):
        xs, ys = [], []
        for p, node in enumerate(graph.nodes):
            for position, child in enumerate(node.children):
                if ((p, position) in on_path) == chosen:
                    (x0, y0), (x1, y1) = place.edge(graph, p, child)
                    xs, ys = xs + [x0, x1, None], ys + [y0, y1, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=width), hoverinfo="skip",
                                 showlegend=False))
    for child in graph.nodes[current].children if current is not None else ():
        (x0, y0), (x1, y1) = place.edge(graph, current, child)
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", line=dict(color=CURRENT, width=4, dash="dot"),
                                 hoverinfo="skip", showlegend=False))
    add_edge_labels(fig, graph, shown, place, on_path)
    marked = {graph.output} | {graph.nodes[p].children[q] for p, q in path} if path else set()
    add_boxes(fig, graph, shown, place, current, marked)
    (w, h), x, y = place.size, place.x, place.y
    fig.update_xaxes(visible=False, range=[min(x) - w / 2 - 0.3, max(x) + w / 2 + 0.3])
    fig.update_yaxes(visible=False, range=[min(y) - h / 2 - 0.2, max(y) + h / 2 + 0.2])
    fig.update_layout(meta=dict(summary=f"{len(graph.nodes)} nodes; the output {graph.nodes[-1].name} = "
                                        f"{significant(graph.values[-1], 3, latex=False)}."), dragmode=False,
                      margin=dict(l=8, r=8, b=8))
    height = 130 + (105 if across else 95) * (max(y) - min(y) + 1) / (1.0 if across else 1.6)
    return styled(fig, "Boxes: value, and grad = ∂L/∂box · edges: local derivatives", height=int(height))


def add_edge_labels(fig: go.Figure, graph: Graph, shown: Snapshot, place: Placement, on_path: set) -> None:
    """Each edge's local derivative ∂parent/∂child at its middle, once the parent's value is known."""
    for p, node in enumerate(graph.nodes):
        for position, child in enumerate(node.children if shown.known[p] else ()):
            chosen = (p, position) in on_path
            (x0, y0), (x1, y1) = place.edge(graph, p, child)
            fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, showarrow=False,
                               text=significant(graph.local[p][position], 3, latex=False),
                               font=dict(size=15 if chosen else 13, color=PATH if chosen else "#334155"),
                               bgcolor="rgba(255, 255, 255, 0.9)", borderpad=1)


def add_boxes(fig: go.Figure, graph: Graph, shown: Snapshot, place: Placement, current: int | None,
              marked: set) -> None:
    """A box per node with its text; the step's node outlined in orange, the path's nodes in purple."""
    w, h = place.size
    for i, node in enumerate(graph.nodes):
        colour, width = (CURRENT, 5) if i == current else (PATH, 3) if i in marked else ("#475569", 1.5)
        fig.add_shape(type="rect", x0=place.x[i] - w / 2, x1=place.x[i] + w / 2, y0=place.y[i] - h / 2,
                      y1=place.y[i] + h / 2, line=dict(color=colour, width=width),
                      fillcolor=FILL.get(node.op, "white"), layer="below")
    hover = [f"{node.name} = {node.text}" if node.children else node.name for node in graph.nodes]
    fig.add_trace(go.Scatter(x=place.x, y=place.y, mode="text", text=[box_text(graph, shown, i)
                                                                     for i in range(len(graph.nodes))],
                             textfont=dict(size=14), hovertext=hover, hoverinfo="text", showlegend=False))
