"""Diffusion as a vector field (knowledge map: Forward Diffusion, U-Net Denoising, Classifier-Free Guidance, and the
Gradient card's "CFG score matching"): on 2-D toy data the learned noise prediction is an arrow at every point, the
samplers are paths through that field, and guidance is a step along the difference of two fields."""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.errors import keeps_view, user_errors
from components.checked_number import CheckedNumber
from components.formatting import number, significant
from components.formulas import GUIDANCE_LABEL, guidance_formula, noising_formula
from components.scenes import scenes
from components.page import panel_frame
from components.vector_field_figures import (cloud_figure, field_figure, guidance_figure, marginals_figure,
                                             paths_figure)
from core.checks import MAX_SEED, in_range, quote, whole
from core.diffusion import MAX_GUIDANCE, T, add_noise
from core.sample_quality import nearest_neighbour_distance
from core.toy_data import DATASETS, PLOT_RANGE
from core.vector_field import SAMPLERS, field_at, sample_paths, score
from models.settings import Settings
from models.toy_diffusion import dataset_points, load_toy_diffusion

MAX_GRID = 40              # arrows per side
MAX_SAMPLES = 500          # samples (paths) per sampler
STEP_CHOICES = (10, 50, 1000)
GUIDANCE_WEIGHTS = (0.0, 1.0, 3.0, 8.0)
SHOWN_PATHS = 40           # paths drawn whole; every sample's end is drawn
PATH_POINTS = 60           # points kept along a drawn path (1000 steps are thinned to this)
PROBE = (1.0, 0.5)         # where the formula reads the field's numbers
NO_CLASS = -1
DATA_POINTS = 2000         # points of each data set drawn (and compared with)


@lru_cache(maxsize=2 * len(DATASETS))
def toy_points(dataset: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """DATA_POINTS points of a data set (read-only, shared) and their labels."""
    points, labels = (x.numpy() for x in dataset_points(dataset, DATA_POINTS, seed))
    points.setflags(write=False), labels.setflags(write=False)
    return points, labels


def checked(dataset, t, label, w) -> tuple[str, int, int | None, float]:
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise ValueError(f"Unknown data set {quote(dataset)}; choose one of {', '.join(DATASETS)}.")
    classes = len(DATASETS[dataset])
    if not classes and label != NO_CLASS:
        raise ValueError(f"The {dataset} data set has no classes: choose 'no class', or the moons or the clusters.")
    label = whole("class", label, NO_CLASS, classes - 1)
    return (dataset, whole("t", t, 0, T - 1), None if label == NO_CLASS else label,
            in_range("guidance weight w", w, 0, MAX_GUIDANCE))


def grid_points(size: int) -> tuple[np.ndarray, float]:
    """size x size points over the plotted square, (size², 2), and their spacing."""
    axis = np.linspace(*PLOT_RANGE, size)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32), float(axis[1] - axis[0])


def field_formula(model, t: int, label: int | None, w: float) -> str:
    """The score and guidance formulas with the field's numbers at the probe point."""
    probe = torch.tensor([PROBE])
    at = field_at(model.network, probe, t, label, w, model.no_label, model.alphas_cumprod)
    abar = float(model.alphas_cumprod[t])

    def vec(v):
        return f"\\begin{{pmatrix}} {number(v[0, 0])} \\\\ {number(v[0, 1])} \\end{{pmatrix}}"

    text = (f"$${noising_formula()}, \\qquad "
            f"s(x_t) = -\\frac{{\\hat\\varepsilon_\\theta(x_t, t)}}{{\\sqrt{{1-\\bar\\alpha_t}}}}$$\n\n"
            f"$$\\bar\\alpha_{{{t}}} = {significant(abar, 4)}: \\quad "
            f"\\hat\\varepsilon\\big(({PROBE[0]:g}, {PROBE[1]:g}), {t}\\big) = "
            f"{vec(at['guided'])}, \\quad s = {vec(at['score'])}$$")
    if label is not None:
        text += "\n\n" + guidance_formula(w, cond=vec(at["cond"]), uncond=vec(at["uncond"]))
    return text


@keeps_view
def field_view(dataset, t, label, w, grid_size):
    """What moves with the sliders: the formula's numbers, the noised cloud and the arrows."""
    dataset, t, label, w = checked(dataset, t, label, w)
    grid_size = whole("grid size", grid_size, 5, MAX_GRID)
    model = load_toy_diffusion(dataset)
    data, labels = toy_points(dataset)
    eps = torch.randn(data.shape, generator=torch.Generator().manual_seed(0))
    noised = add_noise(torch.tensor(data), eps, model.alphas_cumprod, t).numpy()
    grid, spacing = grid_points(grid_size)
    at = field_at(model.network, torch.from_numpy(grid), t, label, w, model.no_label, model.alphas_cumprod)
    if label is None:
        fields, names = {"score": at["score"].numpy()}, {"score": "score −ε̂/√(1−ᾱₜ): toward the data"}
        title = f"The learned field at t = {t}"
    else:
        fields = {key: score(at[key], model.alphas_cumprod[t]).numpy() for key in ("uncond", "cond", "guided")}
        names = {"uncond": "no class", "cond": model.class_names[label], "guided": f"guided, w = {w:g}"}
        title = f"Three fields at t = {t}: guided = past the class's"
    return (field_formula(model, t, label, w),
            cloud_figure(data, noised, labels, model.class_names, t, PLOT_RANGE),
            field_figure(grid, fields, names, data, title, PLOT_RANGE, spacing))


@lru_cache(maxsize=16)
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


def thinned(path: np.ndarray) -> np.ndarray:
    """At most PATH_POINTS points along every path, first and last kept."""
    keep = np.unique(np.linspace(0, len(path) - 1, PATH_POINTS).round().astype(int))
    return path[keep]


@keeps_view
def sampling_view(dataset, label, w, steps, n, seed):
    """DDPM against DDIM from the same starting points, over the data; the marginals; the distances to the data."""
    dataset, label, w, steps, n, seed = checked_sampling(dataset, label, w, steps, n, seed)
    data, _ = toy_points(dataset)
    runs = {sampler: sampled(dataset, sampler, steps, label, w, n, seed) for sampler in SAMPLERS}
    reference = toy_points(dataset, seed=1)[0][:n]
    distance = {name: nearest_neighbour_distance(torch.tensor(path[-1]), torch.tensor(data))
                for name, path in runs.items()}
    own = nearest_neighbour_distance(torch.tensor(reference), torch.tensor(data))
    panels = {f"DDPM, {steps} steps (fresh noise each step)": thinned(runs["ddpm"]),
              f"DDIM, {steps} steps (deterministic, η = 0)": thinned(runs["ddim"])}
    note = (f"**Mean distance from a sample to the nearest data point** ({n} samples): DDPM "
            f"**{distance['ddpm']:.3f}**, DDIM **{distance['ddim']:.3f}**; {n} fresh points of the data itself: "
            f"{own:.3f}. The same starting noise for both: DDPM's paths wander (a fresh noise every step), DDIM's "
            "follow the field smoothly.")
    finals = {"DDPM": runs["ddpm"][-1], "DDIM": runs["ddim"][-1]}
    return paths_figure(panels, data, SHOWN_PATHS, PLOT_RANGE), marginals_figure(finals, data, PLOT_RANGE), note


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
    spread = " · ".join(f"w = {w:g}: {float(np.linalg.norm(x - x.mean(0), axis=1).mean()):.3f}"
                        for w, x in finals.items())
    name = model.class_names[label]
    return (guidance_figure(finals, data, name, PLOT_RANGE),
            f"**Spread of the samples of {name}** (mean distance to their centre): {spread}. The same formula and the "
            "same w as the image panels: w = 0 is plain conditional sampling.")


def class_choices() -> list[tuple[str, int]]:
    """No class, then class k named for every data set that has it ("0: upper moon · cluster A")."""
    most = max(len(names) for names in DATASETS.values())
    return [("no class (unconditional)", NO_CLASS)] + [
        (f"{k}: " + " · ".join(names[k] for names in DATASETS.values() if k < len(names)), k) for k in range(most)]


@user_errors
def vector_field_endpoint(dataset: str, t: int, label: int = -1, w: float = 0.0, grid_size: int = 25) -> dict:
    """The guided noise prediction turned into the score, -eps_hat / sqrt(1 - abar_t), at a grid_size x grid_size
    grid over [-3, 3]^2. label -1: no class (unconditional); w: classifier-free guidance weight."""
    dataset, t, label, w = checked(dataset, t, label, w)
    grid, _ = grid_points(whole("grid size", grid_size, 5, MAX_GRID))
    model = load_toy_diffusion(dataset)
    at = field_at(model.network, torch.from_numpy(grid), t, label, w, model.no_label, model.alphas_cumprod)
    return {"grid": grid.tolist(), "field": at["score"].tolist()}


@user_errors
def sample_paths_endpoint(dataset: str, sampler: str = "ddim", steps: int = 50, w: float = 0.0, label: int = -1,
                          n: int = 100, seed: int = 0) -> dict:
    """n sampling paths from seeded noise: paths[s][i] = [x, y] of sample i after s steps (s = 0: the noise)."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(f"Unknown sampler {quote(sampler)}; choose {' or '.join(SAMPLERS)}.")
    dataset, label, w, steps, n, seed = checked_sampling(dataset, label, w, steps, n, seed)
    return {"paths": sampled(dataset, sampler, steps, label, w, n, seed).tolist()}


PANEL = "vector-field"                       # its page: /vector-field, and ?panel=vector-field in a link
TITLE = "Vector field"
SUMMARY = "diffusion in 2-D, where every prediction is an arrow: the score"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:     # drawn when opened
        live = explanation_card(
            "Diffusion as a vector field",
            "In two dimensions every point of the noise predictor's input is a point of the plane, so its prediction "
            "is an arrow: −ε̂/√(1−ᾱₜ) points from where a noisy point is toward where the data is (the score). "
            "Sampling follows the arrows from noise back to the data. Guidance mixes two fields: the class's and "
            "no class's, and steps past the class's.",
            "", "Slide t from 999 down: at large t every arrow is short and points to the middle of everything, at "
            "small t the arrows grow long (one scale for every t, said under the title) and lead into the fine "
            "structure. Sample: DDPM's paths jitter, DDIM's glide. Pick the moons, a class, and raise w: "
            "the guided field leans past the class's, and the samples pile onto the class's core.",
            elem_id="vector-field-formula")
        with gr.Row():
            dataset = gr.Radio(list(DATASETS), value="spiral", label="data set", elem_id="vector-field-dataset")
            label = gr.Dropdown(class_choices(), value=NO_CLASS, label="class (the moons and the clusters have them)",
                                elem_id="vector-field-class")
            grid_size = gr.Slider(5, MAX_GRID, 25, step=1, label="arrows per side", elem_id="vector-field-grid")
        with gr.Row():
            t = gr.Slider(0, T - 1, 300, step=1, label="timestep t (0 … 999)", elem_id="vector-field-t")
            w = gr.Slider(0, MAX_GUIDANCE, 3, step=0.5, label=GUIDANCE_LABEL, elem_id="vector-field-w")
        with gr.Row():
            cloud = gr.Plot(label="forward process", elem_id="vector-field-cloud")
            field = gr.Plot(label="the learned field", elem_id="vector-field-arrows")
        controls = build_sampling_part(tab, dataset, label, w)
        field_inputs = [dataset, t, label, w, grid_size]
        scenes(field_inputs, {
            "Forward Diffusion · the spiral noised to t = 300": ["spiral", 300, NO_CLASS, 0, 25],
            "Gradient · at t = 900 the arrows point to the middle": ["spiral", 900, NO_CLASS, 0, 25],
            "Gradient · at t = 20 into the fine structure": ["spiral", 20, NO_CLASS, 0, 25],
            "Classifier-Free Guidance · upper moon, w = 3: three fields": ["moons", 150, 0, 3, 25],
            "Forward Diffusion · a 3's strokes at t = 100": ["digit 3", 100, NO_CLASS, 0, 25],
        }, elem_id="vector-field-scenes")
        gr.on([tab.opened, *[c.change for c in field_inputs]], field_view, inputs=field_inputs,
              outputs=[live, cloud, field], trigger_mode="always_last", api_visibility="undocumented",
              show_progress="hidden")
        gr.api(vector_field_endpoint, api_name="vector_field")
        gr.api(sample_paths_endpoint, api_name="sample_paths")
        return link_box("vector-field", {"data": dataset, "t": t, "class": label, "w": w, "grid": grid_size,
                                         **controls})


def build_sampling_part(tab, dataset, label, w) -> dict:
    """Sampling paths, their marginals, and the guidance sweep; returns the link's controls."""
    gr.Markdown("### Sampling: paths through the field")
    with gr.Row():
        steps = gr.Radio(list(STEP_CHOICES), value=50, label="steps", elem_id="vector-field-steps")
        n = gr.Slider(10, MAX_SAMPLES, 300, step=10, label="samples", elem_id="vector-field-n")
        seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed", elem_id="vector-field-seed")
        run = gr.Button("Sample with DDPM and DDIM", variant="primary", elem_id="vector-field-run", scale=0,
                        min_width=180)
    note = gr.Markdown(elem_id="vector-field-note")
    paths = gr.Plot(label="paths", elem_id="vector-field-paths")
    marginals = gr.Plot(label="marginals", elem_id="vector-field-marginals")
    gr.Markdown("### Guidance: samples of one class at w = " + ", ".join(f"{x:g}" for x in GUIDANCE_WEIGHTS))
    guide = gr.Button("Sample the class at each w", elem_id="vector-field-guide")
    guidance_note = gr.Markdown(elem_id="vector-field-guidance-note")
    guided = gr.Plot(label="guided samples", elem_id="vector-field-guided")
    gr.on([tab.opened, run.click, dataset.change], sampling_view, inputs=[dataset, label, w, steps, n, seed],
          outputs=[paths, marginals, note], trigger_mode="always_last", api_visibility="undocumented")
    gr.on([guide.click, label.change], guidance_view, inputs=[dataset, label, steps, n, seed],
          outputs=[guided, guidance_note], trigger_mode="always_last", api_visibility="undocumented")
    return {"steps": steps, "n": n, "seed": seed}
