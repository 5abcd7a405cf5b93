"""Latent diffusion (knowledge map: Latent Diffusion): Stable Diffusion noises and denoises a small latent, not the
image. The VAE's encoder maps a 512x512x3 image to a 64x64x4 latent (48x fewer numbers), diffusion runs there, and
the decoder maps the result back to pixels. The text prompt reaches the U-Net through cross-attention on the text
encoder's token embeddings; "no prompt" is the empty prompt's embeddings.

    z_0 = s · E(x)        z_t = sqrt(abar_t) z_0 + sqrt(1 - abar_t) eps        x = D(z / s)     (s: the VAE's scaling)

The guided sampling loop is core/diffusion.guided_ddim, the same one the digit model uses; only the condition
differs (token embeddings instead of a class label) and a latent is not clipped to [-1, 1].
"""
import numpy as np
import torch

from core.diffusion import Trajectory, guided_ddim


@torch.inference_mode()
def to_latent(vae, images: torch.Tensor, scaling: float) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] -> (B, C, H/f, W/f): the mean of the VAE encoder's distribution, times s."""
    return vae.encode(images).latent_dist.mean * scaling


@torch.inference_mode()
def from_latent(vae, latents: torch.Tensor, scaling: float) -> torch.Tensor:
    """(B, C, h, w) -> (B, 3, h*f, w*f) in [-1, 1]."""
    return vae.decode(latents / scaling).sample.clamp(-1, 1)


def to_pixels(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> (B, H, W, 3) in [0, 1], as numpy for the figures."""
    return ((images.float().cpu().permute(0, 2, 3, 1) + 1) / 2).clamp(0, 1).numpy()


@torch.inference_mode()
def prompt_embeddings(tokenizer, text_encoder, prompts: list[str]) -> torch.Tensor:
    """(B, L, d) token embeddings of each prompt, padded to the tokenizer's full length as Stable Diffusion does."""
    ids = tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids                                       # (B, L)
    return text_encoder(ids.to(text_encoder.device))[0]


def text_sample(unet, prompt: torch.Tensor, empty: torch.Tensor, weights, noise: torch.Tensor,
                alphas_cumprod: torch.Tensor, timesteps: list[int], record: bool = False) -> Trajectory:
    """Guided DDIM in latent space for all weights at once. prompt, empty: (1, L, d) embeddings of the prompt and
    of the empty prompt; noise (n, C, h, w)."""
    def predict(x_cond, x_uncond, t):
        condition = torch.cat([prompt.expand(len(x_cond), -1, -1), empty.expand(len(x_uncond), -1, -1)])
        eps = unet(torch.cat([x_cond, x_uncond]), torch.tensor(t, device=x_cond.device),
                   encoder_hidden_states=condition).sample
        return eps[:len(x_cond)], eps[len(x_cond):]

    return guided_ddim(predict, weights, noise, alphas_cumprod, timesteps, clip=False, record=record)
