"""Toy cost surfaces (knowledge map: Cost Function, Gradient, Gradient Descent): a path rolls downhill on a surface
written out by hand, with momentum, and one step of the update is shown with its numbers."""
from functools import lru_cache

import gradio as gr
import numpy as np

from components.card import explanation_card
from components.deeplink import bounded_slider
from components.errors import keeps_view
from components.export import MAX_FRAMES, path_frames, write_gif
from components.formatting import significant
from components.landscape_figures import PathTrace, contour_base, surface_base, with_paths_2d, with_paths_3d
from components.scenes import scenes
from components.style import COLORS
from core.checks import whole
from core.landscape import MAX_STEPS, SURFACES, cost_grid, descend_surface, get_surface

LOG_VIEW = {"rosenbrock"}        # surfaces drawn as log10(1 + C): their walls are thousands of times their floor
TABLE_ROWS = 12
TOY_NAMES = ("x", "y", "C(x, y)")


def sig(value: float, latex: bool = True) -> str:
    r"""Four significant digits, a real minus sign, powers of ten written out: 9.988 \times 10^{10} in a formula
    (a diverging path), 9.988 × 10¹⁰ in a sentence or a legend (latex=False)."""
    return significant(value, 4, latex)


def vector(a: float, b: float) -> str:
    return rf"\begin{{pmatrix}} {sig(a)} \\ {sig(b)} \end{{pmatrix}}"


@lru_cache(maxsize=len(SURFACES))
def toy_grid(name: str):
    surface = get_surface(name)
    xs, ys, costs = cost_grid(surface.cost, surface.x_range, surface.y_range)    # (81,), (81,), (81, 81)
    return xs.numpy(), ys.numpy(), costs.numpy()


@lru_cache(maxsize=len(SURFACES))
def toy_figures(name: str):
    """The styled surface and contour map of a toy surface, built once: a slider move copies them and adds the path
    (styling a 3-D figure costs about 50 ms, a copy about 14)."""
    xs, ys, costs = toy_grid(name)
    names = (*TOY_NAMES[:2], "log₁₀(1 + C)" if name in LOG_VIEW else "cost C")
    return (surface_base(xs, ys, shown(name, costs), f"{get_surface(name).label}: the cost as a landscape", names),
            contour_base(xs, ys, shown(name, costs), "Contour map", names))


def shown(name: str, costs):
    return np.log10(1 + np.asarray(costs)) if name in LOG_VIEW else np.asarray(costs)


def step_formula(surface, path, k: int) -> tuple[str, tuple[float, float]]:
    """The update from step k to k + 1 with its numbers, and the gradient at theta_k."""
    eta, mu = path.learning_rate, path.momentum
    theta = path.points[k].numpy()
    g = surface.gradient(*theta)
    v_before = path.velocities[k].numpy()                                         # v_k, recorded by the descent
    v = mu * v_before + np.asarray(g)                                             # v_{k+1}
    nxt = theta - eta * v
    c_now, c_next = surface.cost(*theta), surface.cost(*nxt)
    if mu == 0:
        lines = (rf"$$\theta_{{{k + 1}}} = \theta_{{{k}}} - \eta\,\nabla C(\theta_{{{k}}}) = {vector(*theta)} - "
                 rf"{sig(eta)} {vector(*g)} = {vector(*nxt)}$$")
    else:
        lines = (rf"$$v_{{{k + 1}}} = \mu\, v_{{{k}}} + \nabla C(\theta_{{{k}}}) = {sig(mu)} {vector(*v_before)} + "
                 rf"{vector(*g)} = {vector(*v)}$$" "\n\n"
                 rf"$$\theta_{{{k + 1}}} = \theta_{{{k}}} - \eta\, v_{{{k + 1}}} = {vector(*theta)} - {sig(eta)} "
                 rf"{vector(*v)} = {vector(*nxt)}$$")
    return (rf"$$C(x, y) = {surface.formula}, \qquad \nabla C = \left(\frac{{\partial C}}{{\partial x}}, "
            rf"\frac{{\partial C}}{{\partial y}}\right) \text{{ points uphill}}$$" "\n\n" + lines + "\n\n"
            rf"$$C: \; {sig(c_now)} \;\to\; {sig(c_next)}$$"), g


def status_text(path, steps: int, surface) -> str:
    last = path.points[-1].tolist()
    if path.diverged:
        return (f"**Diverged at step {path.diverged_at}**: a parameter grew past 10⁶, so the path stops at step "
                f"{path.diverged_at - 1}. Each step overshoots the valley by more than it gains: lower η.")
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    outside = [i for i, (x, y) in enumerate(path.points.tolist()) if not (x0 <= x <= x1 and y0 <= y <= y1)]
    left = f" The path leaves the map at step {outside[0]}." if outside else ""
    return (f"After {steps} steps: θ = ({sig(last[0], False)}, {sig(last[1], False)}), "
            f"C = **{sig(float(path.costs[-1]), False)}** (it started at {sig(float(path.costs[0]), False)})."
            f"{left} {surface.lesson}")


def steps_table(surface, path) -> list[list]:
    rows = []
    for i, (x, y) in enumerate(path.points.tolist()[:TABLE_ROWS]):
        gx, gy = surface.gradient(x, y)
        rows.append([i, round(x, 5), round(y, 5), float(f"{float(path.costs[i]):.5g}"), float(f"{gx:.5g}"),
                     float(f"{gy:.5g}")])
    return rows


@keeps_view
def update_toy(name, start_x, start_y, learning_rate, momentum, steps, look_at):
    surface, path = descend_surface(name, start_x, start_y, learning_rate, momentum, steps)    # checks every input
    eta, mu = path.learning_rate, path.momentum
    k = min(whole("step to look at", look_at, 0, MAX_STEPS), len(path.points) - 1)
    formula, g = step_formula(surface, path, k)
    xs, ys, costs = toy_grid(name)
    points = path.points.numpy()
    heights = shown(name, path.costs.numpy())
    label = f"descent, η = {sig(eta, False)}" + (f", μ = {sig(mu, False)}" if mu else "")
    trace = PathTrace(label, points, heights, COLORS[1])
    surface_base, contour_base = toy_figures(name)
    surface_figure = with_paths_3d(surface_base, shown(name, costs), [trace], (*points[k], heights[k]))
    contour = with_paths_2d(contour_base, xs, ys, [trace], tuple(points[k]), g, f"Contour map, arrows at step {k}")
    return formula, surface_figure, contour, steps_table(surface, path), status_text(path, len(points) - 1, surface)


@keeps_view
def descent_gif(name, start_x, start_y, learning_rate, momentum, steps):
    surface, path = descend_surface(name, start_x, start_y, learning_rate, momentum, steps)
    _, _, costs = toy_grid(name)
    every = -(-len(path.points) // (MAX_FRAMES // 2))                            # at most 100 frames
    steps = np.arange(len(path.points))[::every]
    title = f"{get_surface(name).label}: descent, eta = {sig(path.learning_rate, False)}"   # the GIF font has no η
    frames = path_frames(costs, surface.x_range, surface.y_range, path.points.numpy()[::every], size=320,
                         title=title, steps=steps, names=TOY_NAMES[:2])
    return write_gif(frames + frames[-1:] * 5, duration_ms=150, name=f"descent-{name}")


def suggested(name):
    """A new surface: its range on the start sliders and a start, eta and steps that show its lesson."""
    surface = get_surface(name)
    return (gr.Slider(minimum=surface.x_range[0], maximum=surface.x_range[1], value=surface.start[0]),
            gr.Slider(minimum=surface.y_range[0], maximum=surface.y_range[1], value=surface.start[1]),
            surface.learning_rate, surface.steps)


def step_range(steps, look_at):
    """The 'look at step k' slider's range follows the number of steps."""
    return bounded_slider(look_at, int(steps))


def toy_controls():
    first = SURFACES["bowl"]
    low = [min(s.x_range[0] for s in SURFACES.values()), min(s.y_range[0] for s in SURFACES.values())]
    high = [max(s.x_range[1] for s in SURFACES.values()), max(s.y_range[1] for s in SURFACES.values())]
    with gr.Column(scale=1, min_width=280):
        name = gr.Radio([(s.label, s.name) for s in SURFACES.values()], value=first.name, label="cost surface",
                        elem_id="descent-surface")
        x0 = gr.Slider(low[0], high[0], first.start[0], step=0.01, label="start x", elem_id="descent-x")
        y0 = gr.Slider(low[1], high[1], first.start[1], step=0.01, label="start y", elem_id="descent-y")
    with gr.Column(scale=1, min_width=280):
        eta = gr.Slider(0.0005, 3, first.learning_rate, step=0.0005, label="learning rate η", elem_id="descent-eta")
        mu = gr.Slider(0, 0.99, 0, step=0.01, label="momentum μ (0 = plain descent)", elem_id="descent-mu")
        steps = gr.Slider(1, MAX_STEPS, first.steps, step=1, label="steps", elem_id="descent-steps")
        look = gr.Slider(0, MAX_STEPS, 0, step=1, label="look at step k (arrows, formula)", elem_id="descent-k")
    return name, x0, y0, eta, mu, steps, look


def build_toy_part(tab: gr.Tab) -> dict:
    """The explanation card, the toy controls, figures and table, and their events (drawn when the tab opens);
    returns the deep-link controls."""
    live = explanation_card(
        "Gradient descent: rolling downhill",
        "The cost C is one number that says how wrong the model is. Over two parameters it is a landscape of "
        "hills and valleys. The gradient ∇C points uphill, the way C grows fastest, so gradient descent takes "
        "a small step the **opposite** way, again and again; the learning rate η sets the size of each step.",
        "", "Raise η on the bowl past 1: each step overshoots further and the descent diverges. On the "
        "narrow valley, plain descent zig-zags: add momentum μ = 0.5 (μ = 0.9 overshoots the far end instead). "
        "On *several minima*, move the start and land in a different valley. Start the saddle at y = 0 exactly.",
        elem_id="descent-formula", reserve=188)
    with gr.Row():
        controls = toy_controls()
        with gr.Column(scale=1, min_width=280):
            status = gr.Markdown(elem_id="descent-status", elem_classes=["dle-answer"])    # its lesson: after a reveal
            gif_button = gr.Button("Make a GIF of the path", elem_id="descent-gif-button")
            gif = gr.File(label="descent GIF", elem_id="descent-gif")
    with gr.Row():
        surface_plot = gr.Plot(label="surface", elem_id="descent-surface-plot")
        contour = gr.Plot(label="contour map", elem_id="descent-contour")
    table = gr.Dataframe(headers=["step", "x", "y", "C", "∂C/∂x", "∂C/∂y"], interactive=False,
                         label=f"the first {TABLE_ROWS} steps (the gradient at each point)", elem_id="descent-table")
    name, x0, y0, eta, mu, steps, look = controls
    scenes(list(controls), {                           # (surface, x, y, η, μ, steps, k)
        "Gradient Descent · the bowl: steps roll to the bottom": ["bowl", 1.6, 1.2, 0.1, 0, 30, 0],
        "Gradient Descent · η = 1.05 on the bowl: it diverges": ["bowl", 1.6, 1.2, 1.05, 0, 30, 0],
        "Gradient Descent · ill-conditioned valley: zig-zag": ["valley", -4.5, 1.5, 0.45, 0, 40, 0],
        "Gradient Descent · momentum 0.5: the zig-zag dies out": ["valley", -4.5, 1.5, 0.45, 0.5, 40, 0],
        "Gradient · at a saddle the gradient is almost zero": ["saddle", 1.8, 0.01, 0.1, 0, 60, 13],
        "Cost Function · several minima: the start decides": ["wells", -3.5, 0.5, 0.3, 0, 80, 0],
    }, elem_id="descent-scenes")
    name.select(suggested, inputs=name, outputs=[x0, y0, eta, steps], api_visibility="undocumented",
                queue=False)      # chosen, not only opened and left: what the learner typed stays
    gr.on([tab.opened, steps.change], step_range, inputs=[steps, look], outputs=look, api_visibility="undocumented", queue=False)
    gr.on([tab.opened, *[c.change for c in controls]], update_toy, inputs=list(controls),
          outputs=[live, surface_plot, contour, table, status], trigger_mode="always_last",
          api_visibility="undocumented", show_progress="hidden")
    gif_button.click(descent_gif, inputs=list(controls[:-1]), outputs=gif, api_visibility="undocumented")
    return {"s": name, "x": x0, "y": y0, "eta": eta, "mu": mu, "n": steps, "k": look}
