"""The learned field (knowledge map: Gradient / ∇, Forward Diffusion, Classifier-Free Guidance): the noise prediction
turned into the score s = −ε̂/√(1−ᾱₜ) ≈ ∇ₓ log pₜ(x), an arrow at every point; with a class, the implicit
classifier's gradient ∇ₓ log pₜ(c | x) = s_c − s_∅, and guidance as field arithmetic s_∅ + (w+1)(s_c − s_∅).
The card's numbers are read at one fixed point, PROBE (marked ◆ on the field). Also the /vector_field endpoint."""
from functools import lru_cache

import numpy as np
import torch

from components.errors import keeps_view, user_errors
from components.formatting import number, significant
from components.formulas import guidance_formula, noising_formula
from components.vector_field_figures import cloud_figure, field_figure
from core.checks import in_range, quote, whole
from core.diffusion import MAX_GUIDANCE, T, add_noise
from core.toy_data import DATASETS, PLOT_RANGE
from core.vector_field import field_at, score
from models.toy_diffusion import dataset_points, load_toy_diffusion

MAX_GRID = 40              # arrows per side
PROBE = (1.0, 0.5)         # where the formula reads the field's numbers (marked ◆ on the field)
NO_CLASS = -1
DATA_POINTS = 2000         # points of each data set drawn (and compared with)
FIELDS = {                 # the fields that can be drawn with a class: key -> its checkbox
    "uncond": "no class: s(x, ∅)",
    "cond": "the class: s(x, c)",
    "classifier": "implicit classifier: ∇ log p(c | x) = s_c − s_∅",
    "guided": "guided: s_∅ + (w+1)(s_c − s_∅)",
}
DEFAULT_FIELDS = ["uncond", "cond", "guided"]


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


def checked_fields(fields, label: int | None) -> list[str]:
    """The fields ticked, in drawing order; at least one when a class is chosen (without one, the score is drawn)."""
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) and f in FIELDS for f in fields):
        raise ValueError(f"Unknown field in {quote(fields)}; the fields are {', '.join(FIELDS)}.")
    if label is not None and not fields:
        raise ValueError("Tick at least one field to draw: no class, the class, the implicit classifier or guided.")
    return [name for name in FIELDS if name in fields]


def grid_points(size: int) -> tuple[np.ndarray, float]:
    """size x size points over the plotted square, (size², 2), and their spacing."""
    axis = np.linspace(*PLOT_RANGE, size)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32), float(axis[1] - axis[0])


def vec(v: torch.Tensor) -> str:
    """A 2-vector (1, 2) as a LaTeX column."""
    return f"\\begin{{pmatrix}} {number(v[0, 0])} \\\\ {number(v[0, 1])} \\end{{pmatrix}}"


def field_formula(model, t: int, label: int | None, w: float) -> str:
    """The score as a gradient, and with a class the implicit classifier and guidance as field arithmetic, with the
    field's numbers at the probe point."""
    at = field_at(model.network, torch.tensor([PROBE]), t, label, w, model.no_label, model.alphas_cumprod)
    abar = float(model.alphas_cumprod[t])
    point = f"({PROBE[0]:g}, {PROBE[1]:g})"
    text = (f"$${noising_formula()}, \\qquad s_\\theta(x_t, t) = "
            "-\\frac{\\hat\\varepsilon_\\theta(x_t, t)}{\\sqrt{1-\\bar\\alpha_t}} \\approx \\nabla_x \\log p_t(x_t)$$"
            "\n\n∇ as on the Gradient card: the direction of steepest increase, here of log pₜ, the log density of "
            "the noised data. Gradient descent steps against ∇C; sampling steps with ∇ log pₜ, toward the data.\n\n"
            f"$$\\text{{at }} x = {point}\\ (◆):\\quad \\bar\\alpha_{{{t}}} = {significant(abar, 4)}, \\quad "
            f"\\hat\\varepsilon = {vec(at['guided'])}, \\quad s = {vec(at['score'])}$$")
    if label is None:
        return text
    s_uncond = score(at["uncond"], model.alphas_cumprod[t])
    return (text + "\n\n" + guidance_formula(w, cond=vec(at["cond"]), uncond=vec(at["uncond"])) + "\n\n"
            "$$\\nabla_x \\log p_t(c \\mid x) = \\nabla_x \\log p_t(x \\mid c) - \\nabla_x \\log p_t(x) \\approx "
            "-\\frac{\\hat\\varepsilon_\\theta(x_t, t, c) - \\hat\\varepsilon_\\theta(x_t, t, \\varnothing)}"
            f"{{\\sqrt{{1-\\bar\\alpha_t}}}} = {vec(at['classifier'])}$$\n\n"
            "$$s_{\\text{guided}} = s_\\varnothing + (w+1)\\,\\nabla_x \\log p_t(c \\mid x) = "
            f"{vec(s_uncond)} + {number(w + 1, 2)}\\,{vec(at['classifier'])} = {vec(at['score'])}$$")


def drawn_fields(at: dict, label: int | None, w: float, fields: list[str], alphas_cumprod, t: int,
                 class_names) -> tuple[dict, dict, str]:
    """The arrays to draw (scores, each (N, 2)), their legend names, and the figure's title."""
    if label is None:
        return ({"score": at["score"].numpy()}, {"score": "score −ε̂/√(1−ᾱₜ): toward the data"},
                f"The learned field at t = {t}")
    scores = {"uncond": score(at["uncond"], alphas_cumprod[t]), "cond": score(at["cond"], alphas_cumprod[t]),
              "classifier": at["classifier"], "guided": at["score"]}
    names = {"uncond": "no class", "cond": class_names[label], "classifier": "classifier ∇log p(c|x)",
             "guided": f"guided, w = {w:g}"}
    return ({name: scores[name].numpy() for name in fields}, {name: names[name] for name in fields},
            f"Fields at t = {t}: guided = no class + (w+1) × classifier")


@keeps_view
def field_view(dataset, t, label, w, grid_size, fields):
    """What moves with the sliders: the formula's numbers, the noised cloud and the arrows."""
    dataset, t, label, w = checked(dataset, t, label, w)
    grid_size = whole("grid size", grid_size, 5, MAX_GRID)
    fields = checked_fields(fields, label)
    model = load_toy_diffusion(dataset)
    data, labels = toy_points(dataset)
    eps = torch.randn(data.shape, generator=torch.Generator().manual_seed(0))
    noised = add_noise(torch.tensor(data), eps, model.alphas_cumprod, t).numpy()
    grid, spacing = grid_points(grid_size)
    at = field_at(model.network, torch.from_numpy(grid), t, label, w, model.no_label, model.alphas_cumprod)
    arrays, names, title = drawn_fields(at, label, w, fields, model.alphas_cumprod, t, model.class_names)
    return (field_formula(model, t, label, w),
            cloud_figure(data, noised, labels, model.class_names, t, PLOT_RANGE),
            field_figure(grid, arrays, names, data, title, PLOT_RANGE, spacing, probe=PROBE))


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
