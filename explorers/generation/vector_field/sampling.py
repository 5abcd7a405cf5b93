"""Sampling through the field (knowledge map: U-Net Denoising, Classifier-Free Guidance): DDPM, DDIM and DDPM without
its noise term from the same starting noise, each sampler's distance to the data measured twice (the nearest data
point, the sliced Wasserstein distance), and the guidance sweep; the /sample_paths endpoint. The video's puzzle: the
model predicts a mean, and without the fresh noise of each step the samples collapse."""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import explanation_card
from components.checked_number import CheckedNumber
from components.errors import keeps_view, user_errors
from components.formatting import number
from components.scenes import scenes
from components.vector_field_figures import guidance_figure, marginals_figure, paths_figure
from core.checks import MAX_SEED, quote, whole
from core.diffusion import T, sampling_timesteps
from core.sample_quality import nearest_neighbour_distance
from core.toy_data import PLOT_RANGE
from core.vector_field import DIRECTIONS, SAMPLERS, posterior_std, sample_paths, sliced_wasserstein
from explorers.generation.vector_field.field import NO_CLASS, checked, toy_points
from models.toy_diffusion import load_toy_diffusion

MAX_SAMPLES = 500          # samples (paths) per sampler
STEP_CHOICES = (10, 50, 1000)
GUIDANCE_WEIGHTS = (0.0, 1.0, 3.0, 8.0)
SHOWN_PATHS = 40           # paths drawn whole; every sample's end is drawn
PATH_POINTS = 60           # points kept along a drawn path (1000 steps are thinned to this)
SAMPLER_NAMES = {"ddpm": "DDPM (fresh noise each step)", "ddim": "DDIM (deterministic, η = 0)",
                 "ddpm-no-noise": "DDPM without its noise"}


@lru_cache(maxsize=24)
def sampled(dataset: str, sampler: str, steps: int, label: int | None, w: float, n: int, seed: int) -> np.ndarray:
    """Paths (S + 1, n, 2): the starting noise, then each step's x; the same starting noise for every sampler."""
    model = load_toy_diffusion(dataset)
    noise = torch.randn((n, 2), generator=torch.Generator().manual_seed(seed))
    run = sample_paths(model.network, label, w, model.no_label, noise, model.alphas_cumprod, steps, sampler, seed)
    paths = torch.cat([run.x_t, run.final[None]]).numpy()
    paths.setflags(write=False)
    return paths


def checked_sampling(dataset, label, w, steps, n, seed):
    dataset, _, label, w = checked(dataset, 0, label, w)
    return (dataset, label, w, whole("steps", steps, 1, T), whole("samples", n, 1, MAX_SAMPLES),
            whole("seed", seed, 0, MAX_SEED))


def checked_samplers(samplers) -> list[str]:
    """The samplers ticked, in the order of SAMPLERS: at least one."""
    if not isinstance(samplers, (list, tuple)) or not all(isinstance(s, str) and s in SAMPLERS for s in samplers):
        raise ValueError(f"Unknown sampler in {quote(samplers)}; the samplers are {', '.join(SAMPLERS)}.")
    if not samplers:
        raise ValueError("Tick at least one sampler: DDPM, DDIM or DDPM without its noise.")
    return [name for name in SAMPLERS if name in samplers]


def thinned(path: np.ndarray) -> np.ndarray:
    """At most PATH_POINTS points along every path, first and last kept."""
    keep = np.unique(np.linspace(0, len(path) - 1, PATH_POINTS).round().astype(int))
    return path[keep]


def spread(points: np.ndarray) -> float:
    """The mean distance of points (n, 2) to their centre."""
    return float(np.linalg.norm(points - points.mean(0), axis=1).mean())


def distances(points: np.ndarray, data: np.ndarray) -> dict[str, float]:
    """How far points (n, 2) are from the data (m, 2): to the nearest data point on average, as distributions
    (sliced Wasserstein), and how spread out they are."""
    samples, reference = torch.tensor(points), torch.tensor(data)
    return {"nearest": nearest_neighbour_distance(samples, reference),
            "sliced": sliced_wasserstein(samples, reference), "spread": spread(points)}


def sampler_formula(steps: int, alphas_cumprod: torch.Tensor) -> str:
    """DDPM's step, posterior mean plus noise, with the numbers of the first step of the schedule; the distances."""
    t, prev = sampling_timesteps(steps)[:2] if steps > 1 else (T - 1, None)
    abar_t = float(alphas_cumprod[t])
    abar_prev = float(alphas_cumprod[prev]) if prev is not None else 1.0
    beta = 1 - abar_t / abar_prev
    to_x0, to_xt = abar_prev ** 0.5 * beta / (1 - abar_t), (1 - beta) ** 0.5 * (1 - abar_prev) / (1 - abar_t)
    sigma = posterior_std(abar_t, abar_prev)
    after = "0" if prev is None else str(prev)
    return ("$$x_{t'} = \\underbrace{\\frac{\\sqrt{\\bar\\alpha_{t'}}\\,\\beta}{1-\\bar\\alpha_t}\\,\\hat x_0 + "
            "\\frac{\\sqrt{\\alpha}\\,(1-\\bar\\alpha_{t'})}{1-\\bar\\alpha_t}\\,x_t}_{\\tilde\\mu_t(x_t,\\,\\hat x_0)"
            "\\text{, the posterior mean}} + \\sigma_t z, \\qquad \\sigma_t^2 = \\frac{1-\\bar\\alpha_{t'}}"
            "{1-\\bar\\alpha_t}\\,\\beta, \\quad \\alpha = \\frac{\\bar\\alpha_t}{\\bar\\alpha_{t'}} = 1 - \\beta$$\n\n"
            f"$$\\text{{first of {steps} steps, }} t = {t} \\to t' = {after}:\\quad x_{{{after}}} = "
            f"{number(to_x0, 4)}\\,\\hat x_0 + {number(to_xt)}\\,x_{{{t}}} + {number(sigma)}\\,z$$\n\n"
            f"$$\\text{{a unit cloud's variance after it: }} {number(to_xt)}^2 + {number(sigma)}^2 = "
            f"{number(to_xt ** 2 + sigma ** 2)} \\text{{ with the noise, }} {number(to_xt)}^2 = "
            f"{number(to_xt ** 2)} \\text{{ without}}$$\n\n"
            "DDPM without its noise is the same step with σₜz dropped: xₜ′ = μ̃ₜ(xₜ, x̂₀), the mean alone.\n\n"
            "$$d_{\\text{nearest}} = \\frac{1}{n}\\sum_i \\min_j \\lVert x_i - y_j \\rVert, \\qquad "
            "SW_1 = \\frac{1}{K}\\sum_{k=1}^{K} W_1\\big(\\theta_k^\\top x,\\ \\theta_k^\\top y\\big), \\quad "
            f"\\theta_k = \\big(\\cos\\tfrac{{k\\pi}}{{K}}, \\sin\\tfrac{{k\\pi}}{{K}}\\big), \\ K = {DIRECTIONS}$$")


def sampling_note(measured: dict[str, dict], own: dict, finals: dict, data: np.ndarray, n: int) -> str:
    """The distances as a table, and what they show in a sentence (from the numbers)."""
    rows = [f"| {SAMPLER_NAMES[name]} | **{m['nearest']:.3f}** | **{m['sliced']:.3f}** | {m['spread']:.3f} |"
            for name, m in measured.items()]
    text = (f"**How far {n} samples land from the data** (the same starting noise for each sampler):\n\n"
            "| sampler | mean distance to the nearest data point | sliced Wasserstein SW₁ | spread (to their centre) |"
            "\n|---|---|---|---|\n"
            + "\n".join(rows) + f"\n| {n} fresh points of the data itself | {own['nearest']:.3f} | "
            f"{own['sliced']:.3f} | {own['spread']:.3f} |")
    if "ddpm" not in measured or "ddpm-no-noise" not in measured:
        return text
    plain, mean_only = measured["ddpm"], measured["ddpm-no-noise"]
    centre, middle = finals["ddpm-no-noise"].mean(0), data.mean(0)
    near = ("Each still sits near some data point, so the nearest-point distance hardly notices"
            if mean_only["nearest"] < 2 * plain["nearest"] else "They land off the data as well")
    at, middle = (f"({number(x[0], 2)}, {number(x[1], 2)})" for x in (centre, middle))
    return text + (f"\n\n**What you see:** without its noise, DDPM's samples pile up: spread {mean_only['spread']:.3f}"
                   f" against DDPM's {plain['spread']:.3f}, around {at} (the data's centre: {middle}). {near} "
                   f"({mean_only['nearest']:.3f} against {plain['nearest']:.3f}); the sliced Wasserstein distance, "
                   f"which compares the whole distributions, is {mean_only['sliced'] / plain['sliced']:.1f} times DDPM's.")


@keeps_view
def sampling_view(dataset, label, w, steps, n, seed, samplers):
    """The samplers from the same starting points, over the data; the marginals; the distances to the data."""
    dataset, label, w, steps, n, seed = checked_sampling(dataset, label, w, steps, n, seed)
    samplers = checked_samplers(samplers)
    data, _ = toy_points(dataset)
    runs = {sampler: sampled(dataset, sampler, steps, label, w, n, seed) for sampler in samplers}
    measured = {name: distances(path[-1], data) for name, path in runs.items()}
    own = distances(toy_points(dataset, seed=1)[0][:n], data)
    panels = {f"{SAMPLER_NAMES[name]}, {steps} steps<br><sup>nearest {m['nearest']:.3f} · SW₁ {m['sliced']:.3f}"
              "</sup>": thinned(runs[name]) for name, m in measured.items()}
    finals = {name: path[-1] for name, path in runs.items()}
    return (sampler_formula(steps, load_toy_diffusion(dataset).alphas_cumprod),
            paths_figure(panels, data, SHOWN_PATHS, PLOT_RANGE),
            marginals_figure({SAMPLER_NAMES[name]: x for name, x in finals.items()}, data, PLOT_RANGE),
            sampling_note(measured, own, finals, data, n))


@keeps_view
def guidance_view(dataset, label, steps, n, seed):
    """Samples asked for one class at several w (DDIM): the higher w, the tighter onto the class's core."""
    dataset, label, _, steps, n, seed = checked_sampling(dataset, label, 0, steps, n, seed)
    model = load_toy_diffusion(dataset)
    if not model.class_names:
        return None, (f"**Guidance needs classes:** {dataset} has none. Pick *moons* or *clusters* and a class.")
    label = 0 if label is None else label
    data, _ = toy_points(dataset)
    finals = {w: sampled(dataset, "ddim", steps, label, w, n, seed)[-1] for w in GUIDANCE_WEIGHTS}
    spreads = " · ".join(f"w = {w:g}: {spread(x):.3f}" for w, x in finals.items())
    name = model.class_names[label]
    return (guidance_figure(finals, data, name, PLOT_RANGE),
            f"**Spread of the samples of {name}** (mean distance to their centre): {spreads}. The same formula and "
            "the same w as the image panels: w = 0 is plain conditional sampling.")


@user_errors
def sample_paths_endpoint(dataset: str, sampler: str = "ddim", steps: int = 50, w: float = 0.0, label: int = -1,
                          n: int = 100, seed: int = 0) -> dict:
    """n sampling paths from seeded noise: paths[s][i] = [x, y] of sample i after s steps (s = 0: the noise).
    sampler: ddpm, ddim, or ddpm-no-noise (DDPM's posterior mean alone, its noise term dropped)."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(f"Unknown sampler {quote(sampler)}; choose {', '.join(SAMPLERS[:-1])} or {SAMPLERS[-1]}.")
    dataset, label, w, steps, n, seed = checked_sampling(dataset, label, w, steps, n, seed)
    return {"paths": sampled(dataset, sampler, steps, label, w, n, seed).tolist()}


def build_sampling_part(tab, dataset, label, w) -> dict:
    """Its card, the samplers' paths, their marginals and distances, and the guidance sweep; returns the link's
    controls."""
    live = explanation_card(
        "Why DDPM adds noise while it denoises",
        "The network predicts a mean: x̂₀ is the average of every clean point that could have become xₜ, and "
        "DDPM's step goes to the mean of where xₜ₋₁ could be (the posterior mean μ̃), then adds σₜz, the spread of "
        "that guess. Drop the noise and every step shrinks the cloud: early on, when x̂₀ is the middle of the data "
        "for every point, the samples are pulled together there and never spread out again.",
        "", "Compare the three panels: the same starting noise, DDPM spreads over the spiral, DDPM without its noise "
        "piles up in one spot. Read the table: the nearest-point distance is fooled by the pile (it sits on the "
        "data), the sliced Wasserstein distance is not. Try 10 and 1000 steps, and the moons.",
        elem_id="vector-field-sampler-formula", reserve=327)
    with gr.Row():
        samplers = gr.CheckboxGroup([(name, key) for key, name in SAMPLER_NAMES.items()], value=list(SAMPLERS),
                                    label="samplers", elem_id="vector-field-samplers")
        steps = gr.Radio(list(STEP_CHOICES), value=50, label="steps", elem_id="vector-field-steps")
        n = gr.Slider(10, MAX_SAMPLES, 300, step=10, label="samples", elem_id="vector-field-n")
        seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed", elem_id="vector-field-seed")
        run = gr.Button("Sample", variant="primary", elem_id="vector-field-run", scale=0, min_width=140)
    note = gr.Markdown(elem_id="vector-field-note")
    paths = gr.Plot(label="paths", elem_id="vector-field-paths")
    marginals = gr.Plot(label="marginals", elem_id="vector-field-marginals")
    inputs, outputs = [dataset, label, w, steps, n, seed, samplers], [live, paths, marginals, note]
    every = list(SAMPLERS)                                       # all three, side by side
    scenes(inputs, {
        "U-Net Denoising · without its noise, the spiral piles up": ["spiral", NO_CLASS, 0, 50, 300, 0, every],
        "U-Net Denoising · without its noise, the moons collapse": ["moons", NO_CLASS, 0, 50, 300, 0, every],
        "U-Net Denoising · 1000 small steps: the pile stays": ["spiral", NO_CLASS, 0, 1000, 300, 0, every],
    }, fn=sampling_view, outputs=outputs, elem_id="vector-field-sampler-scenes")
    gr.Markdown("### Guidance: samples of one class at w = " + ", ".join(f"{x:g}" for x in GUIDANCE_WEIGHTS))
    guide = gr.Button("Sample the class at each w", elem_id="vector-field-guide")
    guidance_note = gr.Markdown(elem_id="vector-field-guidance-note")
    guided = gr.Plot(label="guided samples", elem_id="vector-field-guided")
    gr.on([tab.opened, run.click, dataset.change, samplers.change], sampling_view, inputs=inputs, outputs=outputs,
          trigger_mode="always_last", api_visibility="undocumented")
    gr.on([guide.click, label.change], guidance_view, inputs=[dataset, label, steps, n, seed],
          outputs=[guided, guidance_note], trigger_mode="always_last", api_visibility="undocumented")
    return {"samplers": samplers, "steps": steps, "n": n, "seed": seed}
