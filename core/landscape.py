"""Gradient descent on two-parameter cost surfaces (knowledge map: Cost Function, Gradient, Gradient Descent).

    theta <- theta - eta * grad C(theta)                       plain gradient descent
    v <- mu * v + grad C(theta);  theta <- theta - eta * v     with momentum mu (torch.optim.SGD's convention)

The toy surfaces are written with their gradients by hand (the tests compare them with torch autograd). The same
descent loop also walks a real cost (core/sgd.py): it only asks for "the gradient to use at step k".
"""
import math
from dataclasses import dataclass
from typing import Callable

import torch

from core.checks import finite, in_range, whole

DIVERGED = 1e6          # a parameter beyond this size (or a non-finite number) means the descent blew up
MAX_STEPS = 300         # steps per path: enough to see convergence, small enough for a live slider
MAX_LEARNING_RATE = 10.0
MAX_MOMENTUM = 0.99     # at mu = 1 the velocity never forgets: it is no longer descent


@dataclass(frozen=True)
class Surface:
    name: str                                   # short id used by the API: bowl, valley, saddle, wells, rosenbrock
    label: str                                  # what the UI shows
    formula: str                                # C(x, y) in LaTeX
    cost: Callable                              # (x, y) floats, or tensors of any shape -> C, same shape
    gradient: Callable                          # (x, y) -> (dC/dx, dC/dy), written out by hand
    x_range: tuple[float, float]                # the plotted (and allowed) start region
    y_range: tuple[float, float]
    start: tuple[float, float]                  # a start that shows the surface's lesson
    learning_rate: float
    steps: int
    lesson: str                                 # one sentence: what to look for


def bowl_cost(x, y):
    return x ** 2 + y ** 2


def bowl_gradient(x, y):
    return 2 * x, 2 * y


def valley_cost(x, y):
    return 0.1 * x ** 2 + 2 * y ** 2                               # curvature 0.2 along x, 4 across: ratio 20


def valley_gradient(x, y):
    return 0.2 * x, 4 * y


def saddle_cost(x, y):
    return x ** 2 + y ** 4 / 4 - y ** 2                            # saddle at (0, 0), minima at (0, ±√2)


def saddle_gradient(x, y):
    return 2 * x, y ** 3 - 2 * y


WELLS = ((1.5, 1.0, 2.0, 0.9), (-1.8, -1.2, 1.3, 0.8), (-1.2, 2.2, 0.9, 0.6))   # (centre x, centre y, depth, width)


def exp(value):
    """e^value for a tensor (grids, autograd) or a plain float (the descent loop)."""
    return torch.exp(value) if isinstance(value, torch.Tensor) else math.exp(value)


def wells_cost(x, y):
    """A wide bowl with three Gaussian dips of different depths: one global minimum and two local ones."""
    total = 0.05 * (x ** 2 + y ** 2)
    for cx, cy, depth, width in WELLS:
        total = total - depth * exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * width ** 2))
    return total


def wells_gradient(x, y):
    gx, gy = 0.1 * x, 0.1 * y
    for cx, cy, depth, width in WELLS:
        dip = depth * exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * width ** 2)) / width ** 2
        gx, gy = gx + dip * (x - cx), gy + dip * (y - cy)
    return gx, gy


def rosenbrock_cost(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2                  # minimum 0 at (1, 1), at the end of a banana


def rosenbrock_gradient(x, y):
    return -2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)


SURFACES = {s.name: s for s in [
    Surface("bowl", "round bowl", r"x^2 + y^2", bowl_cost, bowl_gradient, (-2.0, 2.0), (-2.0, 2.0), (1.6, 1.2),
            0.1, 30, "Every step points straight at the bottom; above η = 1 each step overshoots further: it "
            "diverges."),
    Surface("valley", "narrow valley", r"0.1\,x^2 + 2\,y^2", valley_cost, valley_gradient, (-5.0, 5.0), (-2.5, 2.5),
            (-4.5, 1.5), 0.45, 40, "Steep walls, flat floor: plain descent zig-zags across; momentum rolls along it."),
    Surface("saddle", "saddle", r"x^2 + \tfrac{1}{4}y^4 - y^2", saddle_cost, saddle_gradient, (-2.0, 2.0),
            (-2.2, 2.2), (1.8, 0.02), 0.1, 60, "Near y = 0 the gradient is almost zero: descent lingers at the saddle "
            "point before it slides off to a minimum (started at y = 0 exactly, it never leaves: the gradient has no "
            "y-part there)."),
    Surface("wells", "several minima", r"0.05(x^2+y^2) - \sum_i d_i\, e^{-\|(x,y) - c_i\|^2 / 2s_i^2}", wells_cost,
            wells_gradient, (-4.0, 4.0), (-4.0, 4.0), (-3.5, 0.5), 0.3, 80,
            "Which minimum you reach depends on where you start: descent only ever goes downhill from there."),
    Surface("rosenbrock", "Rosenbrock's banana", r"(1 - x)^2 + 100\,(y - x^2)^2", rosenbrock_cost,
            rosenbrock_gradient, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), 0.001, 200,
            "The valley floor bends: descent reaches it fast, then crawls along it; from this start η = 0.003 "
            "blows up."),
]}


def get_surface(name: str) -> Surface:
    if not isinstance(name, str) or name not in SURFACES:
        raise ValueError(f"Unknown surface {str(name)[:30]!r}; choose one of {', '.join(SURFACES)}.")
    return SURFACES[name]


def cost_grid(cost: Callable, x_range, y_range, points: int = 81):
    """C on an even points x points grid: returns xs (points,), ys (points,), C (points = y rows, points = x cols)."""
    xs = torch.linspace(*x_range, points, dtype=torch.float64)
    ys = torch.linspace(*y_range, points, dtype=torch.float64)
    Y, X = torch.meshgrid(ys, xs, indexing="ij")                                # (rows = y, cols = x)
    return xs, ys, cost(X, Y)


@dataclass(frozen=True)
class Path:
    points: torch.Tensor            # (k + 1, 2) theta_0 ... theta_k, all finite (k = steps, fewer if it diverged)
    costs: torch.Tensor             # (k + 1,) C(theta_i)
    gradients: torch.Tensor         # (k, 2) the gradient used at step i (a mini-batch's for SGD)
    velocities: torch.Tensor        # (k + 1, 2) v_0 = 0, v_{i+1} = mu v_i + gradients[i], the step it took:
                                    # theta_{i+1} = theta_i - eta v_{i+1}
    learning_rate: float            # eta and mu the path was walked with
    momentum: float
    diverged_at: int | None         # the step at which theta blew up (not drawn), or None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def descend(cost: Callable, gradient_at: Callable, start, learning_rate: float, momentum: float, steps: int) -> Path:
    """Run gradient descent with momentum from start.

    cost(x, y) -> C; gradient_at(x, y, step) -> (dC/dx, dC/dy), the gradient to follow at that step (the true
    gradient, or a mini-batch's estimate). Stops early, reporting the step, when a parameter leaves
    |theta| < DIVERGED or a number stops being finite: the path keeps only the points before that.
    The loop runs on plain floats (float64): a slider move must stay well under 50 ms.
    """
    x, y = float(start[0]), float(start[1])
    vx = vy = 0.0
    points, costs, gradients, velocities = [(x, y)], [float(cost(x, y))], [], [(vx, vy)]
    diverged_at = None
    for step in range(steps):
        gx, gy = (float(g) for g in gradient_at(x, y, step))
        vx, vy = momentum * vx + gx, momentum * vy + gy                          # v <- mu v + grad C
        x, y = x - learning_rate * vx, y - learning_rate * vy                    # theta <- theta - eta v
        if not (abs(x) < DIVERGED and abs(y) < DIVERGED):                        # also catches inf and NaN
            diverged_at = step + 1
            break
        c = float(cost(x, y))
        if not math.isfinite(c):
            diverged_at = step + 1
            break
        points.append((x, y))
        costs.append(c)
        gradients.append((gx, gy))
        velocities.append((vx, vy))
    return Path(points=torch.tensor(points, dtype=torch.float64), costs=torch.tensor(costs, dtype=torch.float64),
                gradients=torch.tensor(gradients, dtype=torch.float64).reshape(-1, 2),
                velocities=torch.tensor(velocities, dtype=torch.float64), learning_rate=learning_rate,
                momentum=momentum, diverged_at=diverged_at)


def true_gradient(surface: Surface) -> Callable:
    """gradient_at for a toy surface: the exact gradient, the same at every step."""
    def gradient_at(x: float, y: float, step: int) -> tuple[float, float]:
        return surface.gradient(x, y)
    return gradient_at


def check_descent(learning_rate, momentum, steps) -> tuple[float, float, int]:
    """The shared hyperparameters, or a ValueError that says what is allowed."""
    eta = finite("learning rate η", learning_rate)
    if not 0 < eta <= MAX_LEARNING_RATE:
        raise ValueError(f"learning rate η must be above 0 and at most {MAX_LEARNING_RATE:g}, got {eta:g}.")
    mu = finite("momentum μ", momentum)
    if not 0 <= mu <= MAX_MOMENTUM:
        raise ValueError(f"momentum μ must be between 0 and {MAX_MOMENTUM:g}, got {mu:g}.")
    return eta, mu, whole("steps", steps, 1, MAX_STEPS)


def check_start(x, y, x_range, y_range, names=("start x", "start y")) -> tuple[float, float]:
    """A start inside the plotted region (the map would not show it otherwise)."""
    return (in_range(names[0], x, *x_range), in_range(names[1], y, *y_range))


def descend_surface(name: str, start_x, start_y, learning_rate, momentum, steps) -> tuple[Surface, Path]:
    """Checked inputs, then the path on a toy surface."""
    surface = get_surface(name)
    eta, mu, n = check_descent(learning_rate, momentum, steps)
    start = check_start(start_x, start_y, surface.x_range, surface.y_range)
    return surface, descend(surface.cost, true_gradient(surface), start, eta, mu, n)
