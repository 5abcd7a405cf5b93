"""Diffusion as a vector field in the plane (knowledge map: Score Matching, Gradient / ∇, DDIM vs DDPM): at every
point x and noise level t, a trained network's noise prediction eps(x, t) is an arrow, and

    s(x, t) = -eps / sqrt(1 - abar_t)  ~  grad_x log p_t(x)

(the score: the gradient of the log density of the noised data, the direction in which it grows fastest) points
toward the data. With a class c, Bayes' rule makes the difference of two fields a third one, the implicit
classifier's gradient grad_x log p_t(c | x) = grad_x log p_t(x | c) - grad_x log p_t(x), and guidance is field
arithmetic: s_guided = s_uncond + (w + 1) (s_cond - s_uncond).

Sampling follows the arrows: DDIM (eta = 0) glides along them deterministically, DDPM (eta = 1) steps to the
posterior mean and adds a random kick sigma_t z, and "DDPM without its noise" steps to the posterior mean alone.
How close the samples land to the data is measured twice: the mean distance to the nearest data point, and the
sliced Wasserstein distance between the two point clouds.

`model` is any callable model(x (B, 2), t (B,) long, labels (B,) long) -> eps (B, 2).
"""
import math

import torch

from core.diffusion import Trajectory, guided_ddim, guided_noise, sampling_timesteps

SAMPLERS = ("ddpm", "ddim", "ddpm-no-noise")
ETA = {"ddpm": 1.0, "ddim": 0.0}              # sampler -> eta of the DDIM step (DDIM paper, formula 16)
DIRECTIONS = 64                               # directions of the sliced Wasserstein distance, over the half circle


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
    it ("cond"), guided by w ("guided" = (w+1) cond - w uncond), the score of the guided noise ("score"), and the
    implicit classifier's gradient grad log p_t(c | x) = s_cond - s_uncond ("classifier", zero without a label);
    each (N, 2). label None: everything else is the unconditional prediction. One batched model call."""
    if not 0 <= t < len(alphas_cumprod):
        raise ValueError(f"t is a timestep from 0 to {len(alphas_cumprod) - 1} (got {t}).")
    N = len(points)
    labels = torch.cat([_labels(label, no_label, N, points.device), _labels(None, no_label, N, points.device)])
    steps = torch.full((2 * N,), t, dtype=torch.int64, device=points.device)                       # (2N,)
    eps = model(torch.cat([points, points]), steps, labels)                                       # (2N, 2)
    cond, uncond = eps[:N], eps[N:]                                                                # (N, 2) each
    if label is None:
        cond = guided = uncond
    else:
        guided = guided_noise(cond, uncond, w)
    return {"uncond": uncond, "cond": cond, "guided": guided, "score": score(guided, alphas_cumprod[t]),
            "classifier": score(cond, alphas_cumprod[t]) - score(uncond, alphas_cumprod[t])}


def posterior_mean(x_t: torch.Tensor, x0_hat: torch.Tensor, abar_t, abar_prev) -> torch.Tensor:
    """DDPM's posterior mean (its paper's formula 7; diffusers' DDPMScheduler.step before it adds noise), from
    timestep t to the previous one of the schedule (alpha_t and beta_t span the steps skipped between them):
        mu_t = sqrt(abar_prev) beta_t / (1 - abar_t) x0_hat + sqrt(alpha_t) (1 - abar_prev) / (1 - abar_t) x_t"""
    alpha_t = abar_t / abar_prev
    beta_t = 1 - alpha_t
    return (abar_prev ** 0.5 * beta_t / (1 - abar_t)) * x0_hat + (alpha_t ** 0.5 * (1 - abar_prev) / (1 - abar_t)) * x_t


def posterior_std(abar_t, abar_prev) -> float:
    """sigma_t of DDPM's step, the size of the fresh noise it adds: sigma_t^2 = (1 - abar_prev) / (1 - abar_t) beta_t
    (diffusers' "fixed_small" variance; the DDIM step's sigma at eta = 1)."""
    beta_t = 1 - abar_t / abar_prev
    return math.sqrt((1 - abar_prev) / (1 - abar_t) * beta_t)


@torch.inference_mode()
def sample_without_noise(predict, w: float, noise: torch.Tensor, alphas_cumprod: torch.Tensor,
                         timesteps: list[int]) -> Trajectory:
    """DDPM with its noise term dropped: every step goes to the posterior mean alone, x_prev = mu_t(x_t, x0_hat)
    (DDPM would add sigma_t z). predict(x_cond, x_uncond, t) -> (eps_cond, eps_uncond) as in guided_ddim."""
    x, seen = noise, []                                                                            # (n, 2)
    for i, t in enumerate(timesteps):
        abar_t = alphas_cumprod[t]
        abar_prev = alphas_cumprod[timesteps[i + 1]] if i + 1 < len(timesteps) else torch.tensor(1.0)
        eps_cond, eps_uncond = predict(x, x if w else x[:0], t)
        eps = guided_noise(eps_cond, eps_uncond, w) if w else eps_cond
        x0_hat = (x - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()                                    # the clean guess
        seen.append(x)
        x = posterior_mean(x, x0_hat, abar_t, abar_prev)                                           # no + sigma_t z
    return Trajectory(final=x, timesteps=list(timesteps), x_t=torch.stack(seen))


def sample_paths(model, label: int | None, w: float, no_label: int, noise: torch.Tensor,
                 alphas_cumprod: torch.Tensor, steps: int, sampler: str, seed: int) -> Trajectory:
    """Sample from the starting noise (n, 2) in `steps` steps (1 ... 1000) with "ddim", "ddpm" (fresh noise from
    torch.Generator().manual_seed(seed) at every step) or "ddpm-no-noise", guided by w toward `label` (None:
    unconditional, w ignored). Returns the trajectory with x_t recorded: x_t (S, n, 2), final (n, 2); no clipping
    (points are not images)."""
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
    if sampler == "ddpm-no-noise":
        return sample_without_noise(predict, weight, noise, alphas_cumprod, sampling_timesteps(steps))
    generator = torch.Generator(device=noise.device).manual_seed(seed)
    return guided_ddim(predict, [weight], noise, alphas_cumprod, sampling_timesteps(steps), clip=False,
                       record=True, eta=ETA[sampler], generator=generator)


def wasserstein_1d(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """W1 between the empirical distributions of a (n,) and b (m,): the area between their CDFs,
    W1 = ∫ |F_a(x) - F_b(x)| dx, summed exactly between consecutive values (scipy.stats.wasserstein_distance)."""
    a, b = a.double().sort().values, b.double().sort().values
    both = torch.cat([a, b]).sort().values                                                         # (n + m,)
    cdf_a = torch.searchsorted(a, both[:-1], right=True).double() / len(a)                         # (n + m - 1,)
    cdf_b = torch.searchsorted(b, both[:-1], right=True).double() / len(b)
    return ((cdf_a - cdf_b).abs() * both.diff()).sum()


def sliced_wasserstein(samples: torch.Tensor, data: torch.Tensor, directions: int = DIRECTIONS) -> float:
    """How far the distribution of samples (n, 2) is from the data's (m, 2): W1 of their projections onto
    `directions` unit vectors theta_k = (cos k pi / K, sin k pi / K), averaged. Unlike the distance to the
    nearest data point, it sees where the samples are missing: a pile on one spot of the data is far from it."""
    angles = torch.arange(directions, dtype=torch.float64) * math.pi / directions                  # (K,)
    theta = torch.stack([angles.cos(), angles.sin()], dim=1)                                       # (K, 2)
    along_samples, along_data = samples.double() @ theta.T, data.double() @ theta.T                # (n, K), (m, K)
    return float(torch.stack([wasserstein_1d(along_samples[:, k], along_data[:, k])
                              for k in range(directions)]).mean())
