"""Diffusion, the science (knowledge map: Forward Diffusion, U-Net Denoising, Classifier-Free Guidance).

Forward: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, one jump to any noise level.
Reverse: a U-Net predicts the noise in x_t; DDIM turns that prediction into a step toward a clean image.
Guidance: eps_hat = (w + 1) eps_cond - w eps_uncond (diffusers' guidance_scale is w + 1).

Timesteps follow diffusers' convention: t = 0 ... T-1, and alphas_cumprod[t] = prod_{s <= t} (1 - beta_s).
Images live in [-1, 1] (the model's range); background is -1.
"""
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

T = 1000                       # training timesteps, as in the series
SCHEDULES = {"linear": "linear", "scaled-linear": "scaled_linear", "cosine": "squaredcos_cap_v2"}  # label -> diffusers
MAX_NOISING_SIDE = 64          # an image for the noising slider is shrunk to at most this many pixels a side
MIN_IMAGE_SIDE = 4             # smaller uploads are refused: nothing to see


def noise_schedule(schedule: str) -> tuple[torch.Tensor, torch.Tensor]:
    """diffusers' own betas (T,) and alphas_cumprod (T,) for a schedule label. Read-only: shared by all users."""
    if not isinstance(schedule, str) or schedule not in SCHEDULES:
        raise ValueError(f"Unknown schedule {str(schedule)[:30]!r}; choose one of {', '.join(SCHEDULES)}.")
    return _noise_schedule(schedule)


@lru_cache(maxsize=len(SCHEDULES))
def _noise_schedule(schedule: str) -> tuple[torch.Tensor, torch.Tensor]:
    from diffusers.schedulers.scheduling_ddpm import DDPMScheduler   # by path: see tests/test_layout.py

    scheduler = DDPMScheduler(num_train_timesteps=T, beta_schedule=SCHEDULES[schedule])
    return scheduler.betas.clone(), scheduler.alphas_cumprod.clone()


def _per_sample(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B,) or () -> broadcastable against like (B, C, H, W)."""
    return values.reshape(-1, *[1] * (like.dim() - 1)) if values.dim() else values


def add_noise(x0: torch.Tensor, eps: torch.Tensor, alphas_cumprod: torch.Tensor, t) -> torch.Tensor:
    """The shortcut formula: jump straight from the clean x0 to noise level t (an int or a (B,) tensor)."""
    abar = _per_sample(alphas_cumprod[t].to(x0.dtype), x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * eps


def signal_to_noise(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """SNR(t) = abar_t / (1 - abar_t): the signal's variance over the noise's."""
    return alphas_cumprod / (1 - alphas_cumprod)


def denoising_loss(predict, x0: torch.Tensor, labels: torch.Tensor, no_label: int, label_dropout: float,
                   alphas_cumprod: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The training objective (denoising score matching): noise each clean x0 (B, ...) to a random t with the
    shortcut formula, predict the noise, mean squared error. A fraction label_dropout of the labels becomes
    no_label, so one network learns eps(x_t, t, class) and eps(x_t, t, nothing) for classifier-free guidance.
    labels: class numbers (B,) with no_label a number, or text embeddings (B, L, d) with no_label the empty
    prompt's (1, L, d). predict(x_t, t, labels) -> eps_hat. Draws, in this order: the dropout, t, eps."""
    B = x0.shape[0]
    drop = torch.rand(B, generator=generator) < label_dropout
    nothing = torch.as_tensor(no_label, dtype=labels.dtype).expand_as(labels)
    labels = torch.where(drop.view(B, *[1] * (labels.dim() - 1)), nothing, labels)       # (B,) or (B, L, d)
    t = torch.randint(0, len(alphas_cumprod), (B,), generator=generator)                  # (B,)
    eps = torch.randn(x0.shape, generator=generator)                                      # (B, ...)
    x_t = add_noise(x0, eps, alphas_cumprod, t)                                           # (B, ...)
    return torch.nn.functional.mse_loss(predict(x_t, t, labels), eps)


def noise_step_by_step(x0: torch.Tensor, betas: torch.Tensor, t: int, generator: torch.Generator) -> torch.Tensor:
    """The chain the shortcut replaces: t + 1 small steps x_s = sqrt(1 - beta_s) x_{s-1} + sqrt(beta_s) eps_s.

    Each step draws fresh noise, so the result is a different sample than the one-jump formula's, with the same
    distribution: mean sqrt(abar_t) x0 and standard deviation sqrt(1 - abar_t) in every pixel.
    """
    x = x0.clone()
    for s in range(t + 1):
        eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = (1 - betas[s]).sqrt() * x + betas[s].sqrt() * eps
    return x


MAX_GUIDANCE = 20.0     # the largest w of every panel and endpoint (guidance_scale 21): room past Stable Diffusion's
                        # typical guidance_scale 7-15 (w 6-14); above it the digits only saturate and the toy clusters overshoot their class


def guided_noise(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, w) -> torch.Tensor:
    """Classifier-free guidance, exactly as the knowledge map writes it (diffusers: guidance_scale = w + 1)."""
    return (w + 1) * eps_cond - w * eps_uncond


def sampling_timesteps(steps: int) -> list[int]:
    """The DDIM schedule of `steps` timesteps from T - 1 down ("trailing" spacing: start from pure noise)."""
    from diffusers.schedulers.scheduling_ddim import DDIMScheduler   # by path: see tests/test_layout.py

    scheduler = DDIMScheduler(num_train_timesteps=T, timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    return [int(t) for t in scheduler.timesteps]


def ddim_step(x_t: torch.Tensor, eps: torch.Tensor, abar_t, abar_prev, clip: bool = True, eta: float = 0.0,
              z: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One DDIM step: guess the clean image, then re-noise it to the previous level.

    eta = 0 is deterministic DDIM; eta = 1 is DDPM's posterior (fixed-small variance), which adds sigma z of fresh
    noise z (the DDIM paper's formula 16, diffusers' DDIMScheduler.step with eta and variance_noise=z):
        sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev)
        x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps + sigma z
    With clip, the noise is re-derived from the clipped guess (GLIDE's way; diffusers' DDIMScheduler.step with
    use_clipped_model_output=True), so x_prev stays at its noise level. Keeping the raw eps instead would carry a
    large guided eps (w of 1 and more) into every later step, and the samples burn out into noise.
    """
    abar_t, abar_prev = torch.as_tensor(abar_t).to(x_t.device), torch.as_tensor(abar_prev).to(x_t.device)
    x0_hat = (x_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()            # predicted clean image
    if clip:
        x0_hat = x0_hat.clamp(-1, 1)                                      # images live in [-1, 1]
        eps = (x_t - abar_t.sqrt() * x0_hat) / (1 - abar_t).sqrt()        # the noise that this x0_hat implies
    sigma = eta * ((1 - abar_prev) / (1 - abar_t)).sqrt() * (1 - abar_t / abar_prev).sqrt()   # 0 for DDIM
    # for DDPM (eta = 1) 1 - abar_prev - sigma^2 is a difference of near-equal numbers when abar_t is tiny: float32
    # can take it just below 0, and its square root would be NaN
    x_prev = abar_prev.sqrt() * x0_hat + (1 - abar_prev - sigma ** 2).clamp(min=0).sqrt() * eps   # same direction
    if eta != 0:
        if z is None:
            raise ValueError("ddim_step with eta > 0 adds fresh noise: pass z, shaped like x_t.")
        x_prev = x_prev + sigma * z                                       # DDPM: a random kick of size sigma
    return x_prev, x0_hat


@dataclass(frozen=True)
class Trajectory:
    final: torch.Tensor                 # (K * n, ...): column-major blocks, weight k owns rows k*n ... k*n+n-1
    timesteps: list[int]                # the S timesteps visited, T-1 first
    x_t: torch.Tensor | None = None     # (S, K * n, ...) the input of each step (record=True)
    eps: torch.Tensor | None = None     # (S, K * n, ...) the guided noise prediction at each step
    x0_hat: torch.Tensor | None = None  # (S, K * n, ...) the predicted clean sample at each step


@torch.inference_mode()
def guided_ddim(predict, weights, noise: torch.Tensor, alphas_cumprod: torch.Tensor, timesteps: list[int],
                clip: bool = True, record: bool = False, eta: float = 0.0,
                generator: torch.Generator | None = None) -> Trajectory:
    """Guided DDIM sampling for all guidance weights at once, whatever the condition is and whatever the samples
    are (images (n, 1, H, W), latents, points (n, 2)).

    predict(x_cond (K*n, ...), x_uncond (G, ...), t) -> (eps_cond, eps_uncond): the model's noise predictions with
    and without the condition, in one batched call per step. noise (n, ...) is the same starting noise for every
    weight, so the columns of the grid differ only by w. clip: images live in [-1, 1] (a latent does not).
    eta = 0: DDIM, deterministic; eta = 1: DDPM, fresh noise z at every step drawn from `generator` (on its device).
    """
    weights = torch.as_tensor(weights, dtype=noise.dtype, device=noise.device)   # (K,)
    K, n = len(weights), noise.shape[0]
    x = noise.repeat(K, *[1] * (noise.dim() - 1))                         # (K*n, ...)
    w = weights.repeat_interleave(n).reshape(-1, *[1] * (noise.dim() - 1))   # (K*n, 1, ...)
    guided = (w.flatten() != 0).nonzero().flatten()                       # w = 0 needs no unconditional pass
    seen = {"x_t": [], "eps": [], "x0_hat": []}
    for i, t in enumerate(timesteps):
        abar_t = alphas_cumprod[t]
        abar_prev = alphas_cumprod[timesteps[i + 1]] if i + 1 < len(timesteps) else torch.tensor(1.0)
        eps_cond, eps_guided = predict(x, x[guided], t)                   # (K*n, ...), (G, ...)
        eps_uncond = eps_cond.clone()                                     # (w = 0 rows: multiplied by 0 anyway)
        eps_uncond[guided] = eps_guided
        eps = guided_noise(eps_cond, eps_uncond, w)                       # eps_hat = (w+1) eps_cond - w eps_uncond
        z = None
        if eta != 0:                                                      # DDPM: fresh noise z at every step
            device = x.device if generator is None else generator.device
            z = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=device).to(x.device)   # (K*n, ...)
        x_prev, x0_hat = ddim_step(x, eps, abar_t, abar_prev, clip, eta, z)
        if record:
            seen["x_t"].append(x), seen["eps"].append(eps), seen["x0_hat"].append(x0_hat)
        x = x_prev
    stacked = {name: torch.stack(values) for name, values in seen.items()} if record else {}
    return Trajectory(final=x.clamp(-1, 1) if clip else x, timesteps=list(timesteps), **stacked)


def sample(unet, digit: int, weights, noise: torch.Tensor, alphas_cumprod: torch.Tensor, timesteps: list[int],
           no_label: int, record: bool = False, eta: float = 0.0,
           generator: torch.Generator | None = None) -> Trajectory:
    """The digit model's guided sampling: the condition is a class label, "no label" is one extra class.
    unet(x, t, class_labels=...) returns an object with .sample (diffusers' UNet2DModel). eta = 0: DDIM; eta = 1:
    DDPM, its fresh noise z drawn from `generator` (guided_ddim)."""
    def predict(x_cond, x_uncond, t):
        labels = torch.cat([torch.full((len(x_cond),), digit), torch.full((len(x_uncond),), no_label)])
        eps = unet(torch.cat([x_cond, x_uncond]), torch.tensor(t), class_labels=labels.to(x_cond.device)).sample
        return eps[:len(x_cond)], eps[len(x_cond):]

    return guided_ddim(predict, weights, noise, alphas_cumprod, timesteps, clip=True, record=record, eta=eta,
                       generator=generator)


SAMPLER_ETA = {"ddim": 0.0, "ddpm": 1.0}   # a sampler of the digit U-Net -> its eta (DDIM paper, formula 16)


def step_sigma(abar_t, abar_prev, eta: float = 1.0) -> float:
    """The size of the fresh noise one step adds (ddim_step's sigma): 0 for DDIM (eta = 0); for DDPM (eta = 1) the
    standard deviation of its posterior q(x_prev | x_t, x_0), sqrt(beta_tilde) (DDPMScheduler's "fixed_small")."""
    abar_t, abar_prev = float(abar_t), float(abar_prev)
    return eta * ((1 - abar_prev) / (1 - abar_t)) ** 0.5 * (1 - abar_t / abar_prev) ** 0.5


def prediction_loss(predict, x0: torch.Tensor, eps: torch.Tensor, alphas_cumprod: torch.Tensor,
                    t) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One training example made by hand, with the noise eps known: noise the clean x0 (B, ...) to level t (an int
    or (B,)) with the shortcut formula, ask predict(x_t, t) for the noise, and score it as training does (the mean
    over pixels of (eps_hat - eps)^2, denoising_loss's mse_loss). Returns x_t, eps_hat (B, ...) and the loss (B,)."""
    x_t = add_noise(x0, eps, alphas_cumprod, t)                           # (B, ...)
    eps_hat = predict(x_t, t)                                             # (B, ...)
    loss = ((eps_hat - eps) ** 2).flatten(1).mean(1)                      # (B,)
    return x_t, eps_hat, loss


def loss_across_t(predict, x0: torch.Tensor, noises: torch.Tensor, alphas_cumprod: torch.Tensor,
                  timesteps) -> torch.Tensor:
    """The training loss of one clean image x0 (1, ...) at each of the K timesteps for each of the N noises
    (N, ...), in one batch of K * N: (K, N)."""
    K, N = len(timesteps), len(noises)
    t = torch.as_tensor(list(timesteps), device=x0.device).repeat_interleave(N)   # (K*N,): t_0 N times, t_1 ...
    eps = noises.repeat(K, *[1] * (noises.dim() - 1))                     # (K*N, ...): the N noises at every t
    _, _, loss = prediction_loss(predict, x0.expand_as(eps), eps, alphas_cumprod, t)
    return loss.reshape(K, N)


def grid(final: torch.Tensor, K: int) -> torch.Tensor:
    """(K * n, 1, H, W) from sample() -> (n, K, H, W): row = starting noise, column = guidance weight."""
    n = final.shape[0] // K
    return final.reshape(K, n, *final.shape[-2:]).transpose(0, 1)


def image_for_noising(image) -> tuple[np.ndarray, str]:
    """Any picture (grey (H, W), RGB or RGBA (H, W, 3|4), any dtype) -> grey (h, w) in [0, 1], at most
    MAX_NOISING_SIDE a side, and a note saying what was converted (empty if nothing was)."""
    from PIL import Image

    array = np.asarray(image) if image is not None else None
    if array is None or array.dtype == object or array.ndim not in (2, 3) or array.size == 0:
        raise ValueError("That is not an image: upload a PNG or JPEG photo (grey, RGB or RGBA).")
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ValueError(f"An image has 1, 3 or 4 colour channels, this one has {array.shape[2]}.")
    if min(array.shape[:2]) < MIN_IMAGE_SIDE:
        raise ValueError(f"The image is {array.shape[1]}×{array.shape[0]} pixels; upload one at least "
                         f"{MIN_IMAGE_SIDE}×{MIN_IMAGE_SIDE}.")
    values = np.nan_to_num(array.astype(np.float64), posinf=0.0, neginf=0.0)
    if np.issubdtype(array.dtype, np.integer):
        values = values / np.iinfo(array.dtype).max                       # uint8 / 255, uint16 / 65535
    elif values.max() > 1.0:
        values = values / 255.0                                           # floats in 0..255
    values = np.clip(values, 0, 1)
    notes = []
    if values.ndim == 3:
        if values.shape[2] == 4:
            alpha = values[..., 3:]
            values = values[..., :3] * alpha + (1 - alpha)                # transparent parts on white
            notes.append("RGBA → transparent parts on white")
        if values.shape[2] == 3:
            values = values @ np.array([0.299, 0.587, 0.114])               # (H, W) luminance
            notes.append("colour → grey")
        else:
            values = values[..., 0]
    h, w = values.shape
    if max(h, w) > MAX_NOISING_SIDE:
        scale = MAX_NOISING_SIDE / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        values = np.asarray(Image.fromarray((values * 255).astype(np.uint8)).resize(size, Image.BILINEAR)) / 255.0
        notes.append(f"{w}×{h} → {size[0]}×{size[1]} pixels")
    return values.astype(np.float32), "; ".join(notes)
