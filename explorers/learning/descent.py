"""Gradient descent (knowledge map: Cost Function, Gradient, Gradient Descent, SGD — Mini-batch): toy cost surfaces
with descent and momentum, a real two-parameter cost on real digits with full-batch GD against mini-batch SGD, and
the loss landscape of the trained digit network along two filter-normalized random directions."""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import LATEX, explanation_card
from components.deeplink import PanelLink, bounded_slider, link_box
from components.errors import user_errors
from components.scenes import scenes
from components.export import MAX_FRAMES, path_frames, write_gif
from components.landscape_figures import (PathTrace, contour_base, contour_map, cost_vs_examples, surface_3d,
                                         surface_base, with_paths_2d, with_paths_3d)
from components.style import COLORS
from core.checks import whole
from core.landscape import MAX_STEPS, SURFACES, check_descent, check_start, cost_grid, descend_surface, get_surface
from core.loss_landscape import axis, check_grid, landscape_grid, random_directions
from core.mlp import HIDDEN_ACTIVATIONS
from core.sgd import (B_RANGE, BATCH_SIZE, DIGITS, LEARNING_RATE, START, STEPS, W_RANGE, check_batch_size,
                      cost_surface, descend_data, examples_to_reach, left_ink_data)
from models.digit_network import load_digit_network
from models.digits import load_digits_split
from components.events import HEAVY
from models.settings import Settings
from models.spaces_gpu import gpu

DATA_SURFACE = "digits-3-vs-8"   # the /descend name of the real two-parameter cost
LOG_VIEW = {"rosenbrock"}        # surfaces drawn as log10(1 + C): their walls are thousands of times their floor
TABLE_ROWS = 12
MAX_SEED = 1_000_000
TOY_NAMES = ("x", "y", "C(x, y)")


def sig(value: float) -> str:
    """Four significant digits, a real minus sign."""
    return f"{value:.4g}".replace("-", "−")


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


def step_formula(surface, path, k: int, eta: float, mu: float) -> tuple[str, tuple[float, float]]:
    """The update from step k to k + 1 with its numbers, and the gradient at theta_k."""
    points = path.points.numpy()
    theta = points[k]
    g = surface.gradient(*theta)
    v_before = (points[k - 1] - theta) / eta if k > 0 else np.zeros(2)            # v_k, read off the path
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
    return (f"After {steps} steps: θ = ({sig(last[0])}, {sig(last[1])}), C = **{sig(float(path.costs[-1]))}** "
            f"(it started at {sig(float(path.costs[0]))}).{left} {surface.lesson}")


def steps_table(surface, path) -> list[list]:
    rows = []
    for i, (x, y) in enumerate(path.points.tolist()[:TABLE_ROWS]):
        gx, gy = surface.gradient(x, y)
        rows.append([i, round(x, 5), round(y, 5), float(f"{float(path.costs[i]):.5g}"), float(f"{gx:.5g}"),
                     float(f"{gy:.5g}")])
    return rows


@user_errors
def update_toy(name, start_x, start_y, learning_rate, momentum, steps, look_at):
    surface, path = descend_surface(name, start_x, start_y, learning_rate, momentum, steps)
    eta, mu, _ = check_descent(learning_rate, momentum, steps)
    k = min(whole("step to look at", look_at, 0, MAX_STEPS), len(path.points) - 1)
    formula, g = step_formula(surface, path, k, eta, mu)
    xs, ys, costs = toy_grid(name)
    points = path.points.numpy()
    heights = shown(name, path.costs.numpy())
    label = f"descent, η = {sig(eta)}" + (f", μ = {sig(mu)}" if mu else "")
    trace = PathTrace(label, points, heights, COLORS[1])
    surface_base, contour_base = toy_figures(name)
    surface_figure = with_paths_3d(surface_base, shown(name, costs), [trace], (*points[k], heights[k]))
    contour = with_paths_2d(contour_base, xs, ys, [trace], tuple(points[k]), g, f"Contour map, arrows at step {k}")
    return formula, surface_figure, contour, steps_table(surface, path), status_text(path, len(points) - 1, surface)


@user_errors
def descent_gif(name, start_x, start_y, learning_rate, momentum, steps):
    surface, path = descend_surface(name, start_x, start_y, learning_rate, momentum, steps)
    _, _, costs = toy_grid(name)
    every = -(-len(path.points) // (MAX_FRAMES // 2))                            # at most 100 frames
    frames = path_frames(costs, surface.x_range, surface.y_range, path.points.numpy()[::every], size=320)
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


@lru_cache(maxsize=1)
def digits_data():
    split = load_digits_split()
    return left_ink_data(split.x_train, split.y_train)


@lru_cache(maxsize=1)
def data_grid():
    return tuple(t.numpy() for t in cost_surface(digits_data()))                     # ws (73,), bs (61,), C (61, 73)


def data_paths(start_w, start_b, learning_rate, momentum, steps, batch_sizes, seed) -> list:
    """Checked inputs, then one (path, examples processed) per batch size, all from the same start and seed."""
    eta, mu, n = check_descent(learning_rate, momentum, steps)
    start = check_start(start_w, start_b, W_RANGE, B_RANGE, ("start w", "start b"))
    data = digits_data()
    batch_sizes = [check_batch_size(b, len(data.x)) for b in batch_sizes]
    seed = whole("seed", seed, 0, MAX_SEED)
    return [descend_data(data, start, eta, mu, n, b, seed) for b in batch_sizes]


@user_errors
def update_data(start_w, start_b, learning_rate, steps, batch_size, seed):
    n = len(digits_data().x)
    (full, full_examples), (mini, mini_examples) = data_paths(start_w, start_b, learning_rate, 0, steps,
                                                              [n, batch_size], seed)
    batch = int(batch_size)
    ws, bs, costs = data_grid()
    traces = [PathTrace(f"full-batch GD (all {n})", full.points.numpy(), full.costs.numpy(), COLORS[6]),
              PathTrace(f"mini-batch SGD (B = {batch})", mini.points.numpy(), mini.costs.numpy(), COLORS[4])]
    contour = contour_map(ws, bs, costs, "The true cost C(w, b) of the 3-vs-8 model", ("weight w", "bias b", "C"),
                          traces, equal_aspect=False)
    curves = cost_vs_examples([(traces[0].name, full_examples.numpy(), full.costs.numpy(), COLORS[6]),
                               (traces[1].name, mini_examples.numpy(), mini.costs.numpy(), COLORS[4])], n)
    target = float(costs.min() + 0.1 * (full.costs[0] - costs.min()))
    reached = [examples_to_reach(p.costs, e, target) for p, e in ((full, full_examples), (mini, mini_examples))]
    measured = " ".join(f"**{name}** reached C ≤ {target:.3f} after {r[0]:,} examples ({r[1]} steps)." if r else
                        f"**{name}** did not reach C ≤ {target:.3f} in {len(p.points) - 1} steps."
                        for name, r, p in (("Full-batch GD", reached[0], full), ("SGD", reached[1], mini)))
    if all(reached):
        measured += f" SGD needed **{reached[0][0] / max(reached[1][0], 1):.1f}×** fewer examples."
    w, b = full.points[0].tolist()
    formula = (rf"$$C(w, b) = \frac{{1}}{{N}}\sum_{{i=1}}^{{N}} \big(\sigma(w\,x_i + b) - y_i\big)^2 = "
               rf"\frac{{1}}{{{n}}}\sum_{{i=1}}^{{{n}}} \big(\sigma({sig(w)}\,x_i {'+' if b >= 0 else '−'} "
               rf"{sig(abs(b))}) - y_i\big)^2 = {sig(float(full.costs[0]))}$$" "\n\n"
               rf"$$\nabla C \approx \frac{{1}}{{B}} \sum_{{i \in \text{{batch}}}} \nabla L_i, \qquad "
               rf"\text{{one SGD step costs }} \frac{{B}}{{N}} = \frac{{{batch}}}{{{n}}} = {batch / n:.1%}"
               rf"\text{{ of a full step}}$$").replace("%", r"\%")
    return formula, contour, curves, measured


@lru_cache(maxsize=1)
def training_tensors():
    split = load_digits_split()
    return torch.tensor(split.x_train), torch.tensor(split.y_train)                  # (1347, 64), (1347,)


def network_landscape(grid_size, extent, activation, seed):
    """Checked inputs (before any work), then the grid of C around the trained weights: alphas (n,), C (n, n)."""
    n, r = check_grid(grid_size, extent)
    seed = whole("seed", seed, 0, MAX_SEED)
    params = load_digit_network(activation).params
    x, y = training_tensors()
    d1, d2 = random_directions(params, seed)
    alphas = axis(n, r)
    costs = landscape_grid(params, d1, d2, x, y, activation, alphas, alphas)          # (n, n): rows beta, cols alpha
    return alphas.numpy(), costs.numpy().astype(np.float64)


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def update_network(activation, grid_size, extent, seed):
    alphas, costs = network_landscape(grid_size, extent, activation, seed)
    centre = float(costs[len(alphas) // 2, len(alphas) // 2])
    names = ("α (direction 1)", "β (direction 2)", "cost C")
    marker = (0.0, 0.0)
    surface_figure = surface_3d(alphas, alphas, costs, "C(θ* + α d₁ + β d₂) of the digit network", names,
                                marker=(*marker, centre))
    contour = contour_map(alphas, alphas, costs, "The same slice from above (● the trained weights θ*)", names,
                          marker=marker)
    n_params = sum(p.numel() for p in load_digit_network(activation).params.values())
    r = float(alphas[-1])
    return surface_figure, contour, (
        rf"$$C(\theta^* + \alpha d_1 + \beta d_2):\quad C(\theta^*) = {centre:.4f}, \qquad "
        rf"C(\theta^* + {r:g}\, d_1 + {r:g}\, d_2) = {costs[-1, -1]:.4f}$$" "\n\n"
        f"At the trained weights (the centre) the cost on the {len(training_tensors()[0]):,} training digits is "
        f"**{centre:.4f}**; on this slice it goes up to {costs.max():.3f}. {len(alphas) ** 2:,} networks evaluated "
        f"in one batched pass. *Caveat: this is a 2-D slice through a {n_params:,}-dimensional landscape along two "
        f"random directions; another seed gives another slice.*")


@user_errors
def descend_endpoint(surface: str, start_x: float, start_y: float, learning_rate: float, momentum: float = 0.0,
                     steps: int = 50, batch_size: int = 0, seed: int = 0) -> dict:
    """The descent path [[x, y, C], ...] on a toy surface or on the digits cost (there x = w, y = b, and batch_size
    1..N picks mini-batch SGD; 0 means all N, full-batch GD), and whether it diverged."""
    if not isinstance(surface, str) or (surface != DATA_SURFACE and surface not in SURFACES):
        raise ValueError(f"Unknown surface {str(surface)[:30]!r}; choose one of {', '.join(SURFACES)} or "
                         f"{DATA_SURFACE}.")
    if surface == DATA_SURFACE:
        batch = len(digits_data().x) if batch_size == 0 else batch_size
        [(path, examples)] = data_paths(start_x, start_y, learning_rate, momentum, steps, [batch], seed)
        extra = {"examples_processed": examples.tolist()}
    else:
        _, path = descend_surface(surface, start_x, start_y, learning_rate, momentum, steps)
        extra = {}
    return {"surface": surface, "path": [[x, y, c] for (x, y), c in zip(path.points.tolist(), path.costs.tolist())],
            "diverged": path.diverged, "diverged_at_step": path.diverged_at, **extra}


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def landscape_endpoint(grid_size: int = 41, extent: float = 1.0, activation: str = "sigmoid", seed: int = 0) -> dict:
    """C(theta* + alpha d1 + beta d2) of the trained digit network on a grid_size x grid_size grid over
    [-extent, extent]^2 (rows: beta, columns: alpha), two filter-normalized random directions drawn with seed."""
    alphas, costs = network_landscape(grid_size, extent, activation, seed)
    return {"alphas": alphas.tolist(), "betas": alphas.tolist(), "cost": costs.tolist(),
            "trained_cost": float(costs[len(alphas) // 2, len(alphas) // 2])}


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


def build(settings: Settings) -> PanelLink:
    first = update_toy("bowl", *SURFACES["bowl"].start, SURFACES["bowl"].learning_rate, 0, SURFACES["bowl"].steps, 0)
    with gr.Tab("Gradient descent", id="descent", elem_id="tab-descent"):
        live = explanation_card(
            "Gradient descent: rolling downhill",
            "The cost C is one number that says how wrong the model is. Over two parameters it is a landscape of "
            "hills and valleys. The gradient ∇C points uphill, the way C grows fastest, so gradient descent takes "
            "a small step the **opposite** way, again and again; the learning rate η sets the size of each step.",
            first[0], "Raise η on the bowl past 1: each step overshoots further and the descent diverges. On the "
            "narrow valley, plain descent zig-zags: add momentum μ = 0.9. On *several minima*, move the start and "
            "land in a different valley. Start the saddle at y = 0 exactly.", elem_id="descent-formula")
        with gr.Row():
            controls = toy_controls()
            with gr.Column(scale=1, min_width=280):
                status = gr.Markdown(first[4], elem_id="descent-status")
                gif_button = gr.Button("Make a GIF of the path", elem_id="descent-gif-button")
                gif = gr.File(label="descent GIF", elem_id="descent-gif")
        with gr.Row():
            surface_plot = gr.Plot(first[1], label="surface", elem_id="descent-surface-plot")
            contour = gr.Plot(first[2], label="contour map", elem_id="descent-contour")
        table = gr.Dataframe(first[3], headers=["step", "x", "y", "C", "∂C/∂x", "∂C/∂y"], interactive=False,
                             label=f"the first {TABLE_ROWS} steps (the gradient at each point)",
                             elem_id="descent-table")
        name, x0, y0, eta, mu, steps, look = controls
        scenes(list(controls), {                           # (surface, x, y, η, μ, steps, k)
            "Gradient Descent · the bowl: steps roll to the bottom": ["bowl", 1.6, 1.2, 0.1, 0, 30, 0],
            "Gradient Descent · η = 1.05 on the bowl: it diverges": ["bowl", 1.6, 1.2, 1.05, 0, 30, 0],
            "Gradient Descent · ill-conditioned valley: zig-zag": ["valley", -4.5, 1.5, 0.45, 0, 40, 0],
            "Gradient Descent · the same valley, momentum 0.9": ["valley", -4.5, 1.5, 0.45, 0.9, 40, 0],
            "Gradient · at a saddle the gradient is almost zero": ["saddle", 1.8, 0.02, 0.1, 0, 60, 20],
            "Cost Function · several minima: the start decides": ["wells", -3.5, 0.5, 0.3, 0, 80, 0],
        }, elem_id="descent-scenes")
        name.input(suggested, inputs=name, outputs=[x0, y0, eta, steps], api_visibility="undocumented", queue=False)
        steps.change(step_range, inputs=[steps, look], outputs=look, api_visibility="undocumented", queue=False)
        gr.on([c.change for c in controls], update_toy, inputs=list(controls),
              outputs=[live, surface_plot, contour, table, status], trigger_mode="always_last",
              api_visibility="undocumented", show_progress="hidden")
        gif_button.click(descent_gif, inputs=list(controls[:-1]), outputs=gif, api_visibility="undocumented")
        data_links = build_data_part()
        network_links = build_network_part()
        gr.api(descend_endpoint, api_name="descend")
        gr.api(landscape_endpoint, api_name="landscape", **HEAVY)
        return link_box("descent", {"s": name, "x": x0, "y": y0, "eta": eta, "mu": mu, "n": steps, "k": look,
                                    **data_links, **network_links})


def build_data_part() -> dict:
    first = update_data(*START, LEARNING_RATE, STEPS, BATCH_SIZE, 0)
    gr.Markdown(f"## A real cost on real digits: full-batch GD against mini-batch SGD\n\nA model with exactly two "
                f"parameters tells an **{DIGITS[1]}** from a **{DIGITS[0]}** by one number per image, x = how much "
                f"ink the left side has (standardized): a = σ(w·x + b). Its cost C averages L = (a − y)² over all "
                f"{len(digits_data().x)} training 3s and 8s, so the surface below is exact. SGD follows the "
                "gradient of a small random batch instead: a noisier path, but each step costs B/N of a full one.")
    data_formula = gr.Markdown(first[0], latex_delimiters=LATEX, elem_classes=["dle-formula"],
                               elem_id="descent-data-formula")
    with gr.Row():
        w0 = gr.Slider(*W_RANGE, START[0], step=0.1, label="start w", elem_id="descent-w")
        b0 = gr.Slider(*B_RANGE, START[1], step=0.1, label="start b", elem_id="descent-b")
        eta = gr.Slider(0.1, 10, LEARNING_RATE, step=0.1, label="learning rate η", elem_id="descent-data-eta")
    with gr.Row():
        steps = gr.Slider(1, MAX_STEPS, STEPS, step=1, label="steps", elem_id="descent-data-steps")
        batch = gr.Slider(1, len(digits_data().x), BATCH_SIZE, step=1, label="batch size B (SGD)",
                          elem_id="descent-batch")
        seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="shuffle seed", elem_id="descent-seed")
    measured = gr.Markdown(first[3], elem_id="descent-measured")
    with gr.Row():
        contour = gr.Plot(first[1], label="both paths", elem_id="descent-data-contour")
        curves = gr.Plot(first[2], label="cost against examples", elem_id="descent-data-curves")
    controls = [w0, b0, eta, steps, batch, seed]
    gr.on([c.change for c in controls], update_data, inputs=controls,
          outputs=[data_formula, contour, curves, measured], trigger_mode="always_last", api_visibility="undocumented",
          show_progress="hidden")
    return {"w": w0, "b": b0, "eta2": eta, "n2": steps, "batch": batch, "seed": seed}


def build_network_part() -> dict:
    first = update_network("sigmoid", 41, 1.0, 0)
    n_params = sum(p.numel() for p in load_digit_network("sigmoid").params.values())
    gr.Markdown(f"## The landscape of a real network\n\nThe trained 64-16-16-10 digit network has {n_params:,} "
                f"weights and biases, so its cost lives in {n_params:,} dimensions. We can look at a slice: move all "
                "weights along two random directions d₁, d₂ from the trained θ*, each rescaled neuron by neuron to "
                "the size of that neuron's weights, d_row ← d_row · ‖W_row‖ / ‖d_row‖ (*filter normalization*, "
                "Li et al. 2018; biases stay put), and compute C at every grid point.")
    with gr.Row():
        activation = gr.Radio(list(HIDDEN_ACTIVATIONS), value="sigmoid", label="hidden activation",
                              elem_id="descent-net-activation")
        size = gr.Slider(5, 61, 41, step=2, label="grid points per side", elem_id="descent-net-grid")
        extent = gr.Slider(0.1, 3, 1.0, step=0.1, label="range: α, β in [−r, r]", elem_id="descent-net-range")
        seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="direction seed",
                         elem_id="descent-net-seed")
    status = gr.Markdown(first[2], latex_delimiters=LATEX, elem_id="descent-net-status")
    with gr.Row():
        surface_plot = gr.Plot(first[0], label="network surface", elem_id="descent-net-surface")
        contour = gr.Plot(first[1], label="network contour", elem_id="descent-net-contour")
    controls = [activation, size, extent, seed]
    gr.on([c.change for c in controls], update_network, inputs=controls, outputs=[surface_plot, contour, status],
          trigger_mode="always_last", api_visibility="undocumented", **HEAVY)  # .change: a deep link sets them too
    return {"f": activation, "grid": size, "r": extent, "dseed": seed}
