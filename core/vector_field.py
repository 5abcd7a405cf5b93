"""Diffusion as a vector field in the plane (knowledge map: Score Matching, DDIM vs DDPM): at every point x and
noise level t, a trained network's noise prediction eps(x, t) is an arrow, and -eps / sqrt(1 - abar_t) (the score of
the noised data, the direction in which the data grows denser) points toward the data. Sampling follows the arrows:
DDIM (eta = 0) glides along them deterministically, DDPM (eta = 1) adds a random kick at every step.

`model` is any callable model(x (B, 2), t (B,) long, labels (B,) long) -> eps (B, 2).
"""
import torch

from core.diffusion import Trajectory, guided_ddim, guided_noise, sampling_timesteps

SAMPLERS = {"ddpm": 1.0, "ddim": 0.0}         # sampler -> eta (DDIM paper, formula 16)


def score(eps: torch.Tensor, abar_t) -> torch.Tensor:
    """The score of the noised data, grad log p_t(x) = -eps / sqrt(1 - abar_t): the arrow toward the data."""
    return -eps / (1 - torch.as_tensor(abar_t, dtype=eps.dtype, device=eps.device)).sqrt()


def _labels(label: int | None, no_label: int, n: int, device) -> torch.Tensor:
    """(n,) copies of the label; None -> the "no label" class."""
    if label is not None and not 0 <= label <= no_label:
        allowed = f"0 ... {no_label - 1}, or None" if no_label else "None (this data set has no classes)"
        raise ValueError(f"label {label} is not a class of this model; choose {allowed}.")
    return torch.full((n,), no_label if label is None else label, dtype=torch.int64, device=device)


@torch.inference_mode()
def field_at(model, points: torch.Tensor, t: int, label: int | None, w: float, no_label: int,
             alphas_cumprod: torch.Tensor) -> dict[str, torch.Tensor]:
    """The learned field at points (N, 2) and timestep t: the noise predicted without the label ("uncond") and with
    it ("cond"), guided by w ("guided" = (w+1) cond - w uncond), and the score of the guided noise ("score"); each
    (N, 2). label None: everything is the unconditional prediction. One batched model call."""
    if not 0 <= t < len(alphas_cumprod):
        raise ValueError(f"t is a timestep from 0 to {len(alphas_cumprod) - 1} (got {t}).")
    N = len(points)
    labels = torch.cat([_labels(label, no_label, N, points.device), _labels(None, no_label, N, points.device)])
    steps = torch.full((2 * N,), t, dtype=torch.int64, device=points.device)                       # (2N,)
    eps = model(torch.cat([points, points]), steps, labels)                                       # (2N, 2)
    cond, uncond = eps[:N], eps[N:]                                                                # (N, 2) each
    guided = uncond if label is None else guided_noise(cond, uncond, w)
    return {"uncond": uncond, "cond": cond if label is not None else uncond, "guided": guided,
            "score": score(guided, alphas_cumprod[t])}


def sample_paths(model, label: int | None, w: float, no_label: int, noise: torch.Tensor,
                 alphas_cumprod: torch.Tensor, steps: int, sampler: str, seed: int) -> Trajectory:
    """Sample from the starting noise (n, 2) in `steps` steps (1 ... 1000) with "ddim" or "ddpm" (fresh noise from
    torch.Generator().manual_seed(seed) at every step), guided by w toward `label` (None: unconditional, w ignored).
    Returns the trajectory with x_t recorded: x_t (S, n, 2), final (n, 2); no clipping (points are not images)."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(f"Unknown sampler {str(sampler)[:30]!r}; choose one of {', '.join(SAMPLERS)}.")
    if not isinstance(steps, int) or not 1 <= steps <= len(alphas_cumprod):
        raise ValueError(f"steps must be a whole number from 1 to {len(alphas_cumprod)} (got {steps!r}).")
    condition = _labels(label, no_label, 1, noise.device)                                          # (1,)

    def predict(x_cond, x_uncond, t):
        labels = torch.cat([condition.expand(len(x_cond)), _labels(None, no_label, len(x_uncond), noise.device)])
        timestep = torch.full((len(labels),), t, dtype=torch.int64, device=noise.device)
        eps = model(torch.cat([x_cond, x_uncond]), timestep, labels)                               # (K*n + G, 2)
        return eps[:len(x_cond)], eps[len(x_cond):]

    weight = 0.0 if label is None else w          # w = 0 with "no label": the unconditional prediction alone
    generator = torch.Generator(device=noise.device).manual_seed(seed)
    return guided_ddim(predict, [weight], noise, alphas_cumprod, sampling_timesteps(steps), clip=False,
                       record=True, eta=SAMPLERS[sampler], generator=generator)
