"""The step-by-step part of the Noising tab (knowledge map: Forward Diffusion): many copies of the image noised
through the chain of small steps that the one-jump formula replaces, compared with the jump: a different path, the
same distribution."""
import torch

from components.diffusion_figures import chain_histogram
from components.errors import keeps_view
from components.formatting import significant
from core.diffusion import add_noise, noise_step_by_step
from explorers.generation.noising.jump import checked, fixed_noise
from models.images import clean_image

CHAIN_VALUES = 65_536        # the step-by-step check runs this many pixel chains in all (enough for a histogram)


@keeps_view
def compare_chain(choice, uploaded, t, schedule, seed):
    """Noise many copies step by step with the per-step betas, and compare with the one-jump formula."""
    t, betas, alphas_cumprod, seed = checked(t, schedule, seed)
    x0, _ = clean_image(choice, uploaded)                                               # (1, 1, h, w)
    chains = max(4, CHAIN_VALUES // x0.numel())
    copies = x0.expand(chains, *x0.shape[1:])                                           # (chains, 1, h, w)
    chain = noise_step_by_step(copies, betas, t, torch.Generator().manual_seed(seed + 1))
    jump = add_noise(copies, fixed_noise(seed, copies.shape), alphas_cumprod, t)
    keep = alphas_cumprod[t].sqrt()
    chain_noise, jump_noise = (chain - keep * copies).numpy(), (jump - keep * copies).numpy()
    std = float((1 - alphas_cumprod[t]).sqrt())
    mean_error = float((chain.mean(0) - keep * x0[0]).abs().mean())
    return (chain_histogram(jump_noise, chain_noise, std, t),
            f"**{chains} copies × {t + 1} small steps** x_s = √(1−β_s)·x_(s−1) + √β_s·ε_s (β from "
            f"{significant(betas[0], 2, latex=False)} to {significant(betas[t], 2, latex=False)}): the noise part "
            f"has standard deviation **{chain_noise.std():.4f}** (chain) vs "
            f"**{jump_noise.std():.4f}** (one jump) vs √(1−ᾱₜ) = **{std:.4f}** (theory); the chains' average "
            f"image differs from √ᾱₜ·x₀ by {mean_error:.3f} per pixel (sampling noise). Different noise, same "
            "distribution: that is why training can jump straight to any t.")
