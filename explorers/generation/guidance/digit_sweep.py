"""The digit part of the Guidance tab (knowledge map: Classifier-Free Guidance): the digit model sampled at every
weight w of the sweep from the same starting noise, judged by a separate digit classifier (accuracy, confidence,
diversity per w), and the card's formula at the smallest w with the best result."""
from functools import lru_cache

import torch

from components.diffusion_figures import guidance_grid, tradeoff_curves
from components.errors import keeps_view, user_errors
from components.formatting import significant
from components.formulas import guidance_formula
from core.checks import whole
from core.diffusion import grid, noise_schedule, sample, sampling_timesteps
from core.guidance_sweep import checked_sweep
from models.device import pick_device
from models.digit_classifier import judge
from models.digit_diffusion import DEFAULT_STEPS, load_digit_diffusion
from models.settings import Settings
from server.gpu import gpu

DEFAULT_WEIGHTS = (0, 0.5, 1, 2, 3, 5, 8, 12)


def checked(digit, weights, samples, steps, seed):
    return whole("digit", digit, 0, 9), *checked_sweep(weights, samples, steps, seed)


@lru_cache(maxsize=16)
def sweep(digit: int, weights: tuple[float, ...], samples: int, steps: int, seed: int, device: str = "cpu") -> dict:
    """All weights sampled together (one batched U-Net call per step), then judged weight by weight."""
    model = load_digit_diffusion(device=device)
    _, alphas_cumprod = noise_schedule(model.schedule)
    size = model.config.image_size
    noise = torch.randn((samples, 1, size, size), generator=torch.Generator().manual_seed(seed))   # (n, 1, H, W)
    run = sample(model.unet, digit, list(weights), noise.to(device), alphas_cumprod, sampling_timesteps(steps),
                 model.no_label)
    table = grid(run.final.cpu(), len(weights))                                               # (n, K, H, W)
    verdicts = [judge(table[:, k, None], digit) for k in range(len(weights))]
    table = table.numpy()
    table.setflags(write=False)
    return {"table": table, "weights": list(weights),
            **{key: [v[key] for v in verdicts] for key in ("accuracy", "confidence", "relative_diversity")}}


def smallest_best(weights, accuracy, confidence, tolerance: float = 0.01) -> int:
    """The index of the smallest w whose accuracy is the best and whose confidence is within tolerance of the best
    such: past it, more guidance buys no faithfulness here and costs diversity."""
    top = max(accuracy)
    faithful = [k for k in range(len(weights)) if accuracy[k] == top]
    most_sure = max(confidence[k] for k in faithful)
    return min((k for k in faithful if confidence[k] >= most_sure - tolerance), key=lambda k: weights[k])


def formula(result: dict, digit: int) -> str:
    weights, accuracy = result["weights"], result["accuracy"]
    best = smallest_best(weights, accuracy, result["confidence"])
    w = weights[best]
    return (guidance_formula(w, condition=str(digit)) + "\n\n"
            f"The smallest w with the best result is **w = {significant(w, 4, latex=False)}**: the classifier reads "
            f"**{accuracy[best]:.0%}** "
            f"of the samples as a {digit} "
            f"(mean p({digit}) = {result['confidence'][best]:.2f}); diversity is "
            f"{result['relative_diversity'][best]:.2f}× the real digits'.")


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def run_sweep(settings: Settings, digit, weights_text, samples, steps, seed):
    digit, weights, samples, steps, seed = checked(digit, weights_text, samples, steps, seed)
    result = sweep(digit, weights, samples, steps, seed, str(pick_device(settings.device)))
    summary = " · ".join(f"w={w:g}: {a:.0%}, div {d:.2f}" for w, a, d in
                         zip(weights, result["accuracy"], result["relative_diversity"]))
    note = "" if samples > 1 else " (diversity needs at least 2 samples per weight)"
    return (formula(result, digit), guidance_grid(result["table"], weights, digit),
            tradeoff_curves(weights, result["accuracy"], result["confidence"], result["relative_diversity"], digit),
            f"**Per weight** (accuracy as a {digit}, diversity ÷ real){note}: {summary}")


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def cfg_sweep_endpoint(settings: Settings, digit: int, weights: list[float], samples_per_weight: int = 4,
                       steps: int = DEFAULT_STEPS, seed: int = 0) -> dict:
    """Samples of a digit for each guidance weight w (same starting noise), with the classifier's accuracy,
    mean confidence and the relative diversity per weight. images[k][i] is sample i at weights[k]."""
    digit, weights, samples, steps, seed = checked(digit, weights, samples_per_weight, steps, seed)
    result = sweep(digit, weights, samples, steps, seed, str(pick_device(settings.device)))
    return {"weights": list(weights), "guidance_scale": [w + 1 for w in weights],
            "images": result["table"].transpose(1, 0, 2, 3).tolist(), "accuracy": result["accuracy"],
            "confidence": result["confidence"], "relative_diversity": result["relative_diversity"]}
