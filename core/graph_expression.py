"""Reading a small expression into the nodes of a computational graph (core/compute_graph.py computes on them),
safely: the text is parsed with Python's ast module and only a small grammar is accepted, nothing is run by Python.

    L = (relu(w1*x1 + w2*x2 + b) - y)**2            one statement, or several:
    z = w*x + b; a = sigmoid(z); L = (a - y)**2     separated by ; or new lines, the last one the output

Allowed: numbers, variable names (each given a value: "w=0.5, x=2"), + - * / **, unary minus, ( ) and the functions
relu, sigmoid, tanh, exp, log. A power must be a number, as in micrograd. Every bad input raises a ValueError that
says what is wrong and what is allowed.
"""
import ast
import math
import re
from dataclasses import dataclass, replace

FUNCTIONS = ("relu", "sigmoid", "tanh", "exp", "log")
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
MAX_CHARACTERS = 200        # of the expression, and of the values
MAX_NODES = 40              # variables, numbers and operations
MAX_VARIABLES = 10
ALLOWED = "numbers, variable names, + - * / **, unary minus, ( ) and " + ", ".join(FUNCTIONS)
TYPED = str.maketrans({"−": "-", "×": "*", "·": "*"})     # as a learner may copy them from the page
NOT_ALLOWED = {ast.Attribute: "attribute access ('.')", ast.Subscript: "indexing ('[ ]')", ast.Lambda: "lambda",
               ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
               ast.GeneratorExp: "a comprehension", ast.Compare: "a comparison", ast.BoolOp: "and / or",
               ast.IfExp: "if … else", ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set",
               ast.Dict: "a dict", ast.JoinedStr: "an f-string", ast.NamedExpr: "':='", ast.Starred: "'*' unpacking"}


@dataclass(frozen=True)
class Node:
    name: str                       # "w1"; an operation its statement's name ("L") or n1, n2, … in forward order
    op: str                         # "variable", "number", "+", "-", "*", "/", "**", "neg", or a function's name
    children: tuple[int, ...]       # the nodes it is computed from, by index; x*x has two edges to x
    text: str                       # its source text, "w1*x1 + w2*x2"
    exponent: float | None = None   # for "**": the power, a number (as in micrograd)


def plain_text(text: str, what: str) -> str:
    """The text as typed, stripped, with the page's own − × · read as - * *; refused when too long or not plain."""
    if not isinstance(text, str):
        raise ValueError(f"the {what} must be text")
    text = text.translate(TYPED).strip()
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"the {what} has {len(text)} characters; at most {MAX_CHARACTERS} are allowed")
    junk = next((c for c in text if not c.isascii() or (not c.isprintable() and c not in "\n\t")), None)
    if junk is not None:
        raise ValueError(f"{junk!r} is not allowed in the {what}: write it with plain letters, digits and "
                         "+ - * / ** ( ) =")
    return text


def parse_values(text: str) -> dict[str, float]:
    """'x1=2, x2=-1, w1=0.5' -> {"x1": 2.0, ...}: the variables' values, separated by commas, ; or new lines."""
    values = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", plain_text(text, "values")))):
        found = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)", part)
        if found is None:
            raise ValueError(f"cannot read {part[:30]!r}: write each value as name=number, e.g. x1=2, w1=-0.5")
        name, number = found.groups()
        if name in FUNCTIONS:
            raise ValueError(f"{name} is a function; give the variable another name")
        if name in values:
            raise ValueError(f"{name} is given twice in the values")
        try:
            values[name] = float(number)
        except ValueError:
            raise ValueError(f"{name}={number[:20]}: the value must be a number, e.g. {name}=0.5") from None
        if not math.isfinite(values[name]):
            raise ValueError(f"{name}={number[:20]}: the value must be a finite number")
    if len(values) > MAX_VARIABLES:
        raise ValueError(f"{len(values)} variables are given; at most {MAX_VARIABLES} are allowed")
    return values


class _Reader:
    """Reads statements into nodes (children first, so their order is topological); refuses anything else."""

    def __init__(self, source: str, values: dict[str, float]):
        self.source, self.values = source, values
        self.nodes: list[Node] = []
        self.leaf_values: dict[int, float] = {}
        self.names: dict[str, int] = {}             # a variable's or a statement's name -> its node

    def add(self, node: Node, value: float | None = None) -> int:
        if len(self.nodes) == MAX_NODES:
            raise ValueError(f"the expression makes more than {MAX_NODES} nodes; keep it to about 15 operations")
        self.nodes.append(node)
        if value is not None:
            self.leaf_values[len(self.nodes) - 1] = value
        return len(self.nodes) - 1

    def text(self, tree: ast.AST) -> str:
        return " ".join((ast.get_source_segment(self.source, tree) or "").split())

    def number(self, tree: ast.AST) -> float | None:
        """A number written in the text (2, 0.5, -1), or None."""
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, (ast.USub, ast.UAdd)):
            inner = self.number(tree.operand)
            return None if inner is None else (-inner if isinstance(tree.op, ast.USub) else inner)
        if isinstance(tree, ast.Constant):
            if isinstance(tree.value, bool) or not isinstance(tree.value, (int, float)):
                raise ValueError(f"{self.text(tree)[:20]} is not allowed; allowed: {ALLOWED}")
            try:
                number = float(tree.value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise ValueError(f"the number {self.text(tree)[:20]} is too large; numbers must be finite")
            return number
        return None

    def name(self, tree: ast.Name) -> int:
        name = tree.id
        if name in self.names:
            return self.names[name]
        if name in FUNCTIONS:
            raise ValueError(f"{name} is a function: call it as {name}(…)")
        if name not in self.values:
            given = ", ".join(self.values) or "none yet"
            raise ValueError(f"{name} has no value: give it one in the values ({name}=…); given: {given}")
        self.names[name] = self.add(Node(name, "variable", (), name), self.values[name])
        return self.names[name]

    def call(self, tree: ast.Call) -> int:
        if not isinstance(tree.func, ast.Name) or tree.func.id not in FUNCTIONS:
            called = tree.func.id if isinstance(tree.func, ast.Name) else self.text(tree.func)
            raise ValueError(f"unknown function {called[:30]!r}; the functions are {', '.join(FUNCTIONS)}")
        if len(tree.args) != 1 or tree.keywords or isinstance(tree.args[0], ast.Starred):
            raise ValueError(f"{tree.func.id} takes one input, as in {tree.func.id}(w*x + b)")
        return self.add(Node("", tree.func.id, (self.expression(tree.args[0]),), self.text(tree)))

    def expression(self, tree: ast.AST) -> int:
        number = self.number(tree)
        if number is not None:
            return self.add(Node(f"{number:g}", "number", (), self.text(tree)), number)
        if isinstance(tree, ast.Name):
            return self.name(tree)
        if isinstance(tree, ast.Call):
            return self.call(tree)
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.UAdd):
            return self.expression(tree.operand)
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
            return self.add(Node("", "neg", (self.expression(tree.operand),), self.text(tree)))
        if isinstance(tree, ast.BinOp) and type(tree.op) in OPERATORS:
            return self.binary(tree)
        if isinstance(tree, ast.BinOp):
            symbol = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@"}.get(type(tree.op), type(tree.op).__name__)
            raise ValueError(f"the operator {symbol} is not allowed; allowed: {ALLOWED}")
        what = NOT_ALLOWED.get(type(tree), type(tree).__name__)
        raise ValueError(f"{what} is not allowed in an expression; allowed: {ALLOWED}")

    def binary(self, tree: ast.BinOp) -> int:
        op = OPERATORS[type(tree.op)]
        if op == "**":
            exponent = self.number(tree.right)
            if exponent is None:
                raise ValueError(f"the power in {self.text(tree)[:40]} must be a number, as in (a - y)**2 "
                                 "(micrograd's rule)")
            return self.add(Node("", op, (self.expression(tree.left),), self.text(tree), exponent))
        return self.add(Node("", op, (self.expression(tree.left), self.expression(tree.right)), self.text(tree)))

    def statement(self, tree: ast.stmt, last: bool) -> int:
        if last and isinstance(tree, ast.Expr):
            return self.expression(tree.value)
        if not (isinstance(tree, ast.Assign) and len(tree.targets) == 1 and isinstance(tree.targets[0], ast.Name)):
            raise ValueError("only statements like z = w*x + b are allowed (one a line, or separated by ;); "
                             f"allowed in an expression: {ALLOWED}")
        name = tree.targets[0].id
        taken = ("a function" if name in FUNCTIONS else "a variable with a value" if name in self.values else
                 "assigned already" if name in self.names else None)
        if taken:
            raise ValueError(f"{name} = … : {name} is {taken}; give the result a new name")
        node = self.expression(tree.value)
        self.names[name] = node
        if self.nodes[node].children:                     # an operation takes its statement's name
            self.nodes[node] = replace(self.nodes[node], name=name)
        return node


def read(expression: str, values: dict[str, float]) -> tuple[list[Node], dict[int, float]]:
    """The nodes of the expression (the output last) and the values of its variables and numbers, by node."""
    source = plain_text(expression, "expression")
    try:
        statements = ast.parse(source, mode="exec").body
    except SyntaxError as error:
        raise ValueError(f"cannot read the expression: {error.msg} (at character {error.offset}); "
                         f"allowed: {ALLOWED}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ValueError(f"cannot read the expression; allowed: {ALLOWED}") from None
    if not statements:                                                # nothing, or a comment alone
        raise ValueError("the expression is empty: type one, e.g. L = (relu(w*x + b) - y)**2")
    reader = _Reader(source, values)
    for i, statement in enumerate(statements):
        output = reader.statement(statement, last=i == len(statements) - 1)
    nodes = reader.nodes
    if not nodes[output].children:
        raise ValueError("the output must be computed from the variables, as in L = w*x + b, not be a lone "
                         "variable or number")
    used = {output}
    for i in reversed(range(len(nodes))):                 # children come before their parents
        if i in used:
            used.update(nodes[i].children)
    unused = sorted((node for i, node in enumerate(nodes) if i not in used), key=lambda node: not node.children)
    if unused:                                                        # an unused operation named first
        raise ValueError(f"{unused[0].text[:40]} does not feed the output: every statement must be used by the "
                         "last one")
    if not any(node.op == "variable" for node in nodes):
        raise ValueError("the expression uses no variable, so there is no gradient: use a name such as w and give "
                         "it a value (w=0.5)")
    return named(nodes, "L" if isinstance(statements[-1], ast.Expr) else nodes[output].name), reader.leaf_values


def named(nodes: list[Node], output: str) -> list[Node]:
    """The unnamed operations named n1, n2, … in forward order (names in use skipped), the output `output`."""
    taken = {node.name for node in nodes[:-1]}
    counter, renamed = 0, []
    for i, node in enumerate(nodes):
        if i == len(nodes) - 1:
            node = replace(node, name=output if output not in taken else node.name or "out")
        elif node.children and not node.name:
            counter += 1
            while f"n{counter}" in taken:
                counter += 1
            node = replace(node, name=f"n{counter}")
        renamed.append(node)
    return renamed

