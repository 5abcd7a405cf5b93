"""The text-to-image model trained here in Stable Diffusion's own shape: a diffusers StableDiffusionPipeline folder
(vae, unet, text_encoder, tokenizer, scheduler, model_index.json) in models/checkpoints/scene_pipeline, built from
the parts the training scripts write. The app loads it through the same code as a hub checkpoint
(models/image_pipeline.py).

Geometry: a 64x64x3 scene (12,288 numbers) <-> an 8x8x4 latent (256 numbers), 48x smaller: the same downsampling 8
and 4 latent channels as Stable Diffusion's 512x512x3 <-> 64x64x4.
"""
from pathlib import Path

import torch

FOLDER = Path(__file__).parent / "checkpoints" / "scene_pipeline"
DEFAULT_W = 3.0       # the guidance weight Text to image starts at for this model: faithful on every background
                      # there; above about 4 colours on a coloured background overshoot (its model card; models/image_pipeline)


def build_vae() -> torch.nn.Module:
    """diffusers' AutoencoderKL with Stable Diffusion's geometry at a small width: 4 levels (3 halvings = 8x),
    4 latent channels, about 1 M parameters."""
    from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL

    return AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
                         up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(16, 32, 64, 64),
                         layers_per_block=1, latent_channels=4, norm_num_groups=16, sample_size=64)


def build_unet(cross_attention_dim: int) -> torch.nn.Module:
    """diffusers' UNet2DConditionModel on 8x8x4 latents, Stable Diffusion's blocks at a small width: two levels
    whose ResNet blocks are followed by transformer blocks that read the text by cross-attention (queries from the
    latent, keys and values from the CLIP text encoder's token vectors), then one plain level. About 3.3 M
    parameters."""
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

    return UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(48, 96, 96),
                                down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
                                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
                                cross_attention_dim=cross_attention_dim, attention_head_dim=4, norm_num_groups=16)


def build_scheduler():
    """Stable Diffusion 1.x's noise schedule (scaled linear betas 0.00085 -> 0.012 over 1,000 steps) with DDIM,
    spaced as the app's own loop samples (core.diffusion.sampling_timesteps: "trailing", from t = 999, and the last
    step lands on the clean image, ᾱ = 1), so that diffusers' pipeline and the app take the same steps."""
    from diffusers.schedulers.scheduling_ddim import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=True, timestep_spacing="trailing", num_train_timesteps=1000)


def build_pixel_unet(latent_unet_config: dict, image_side: int) -> torch.nn.Module:
    """The same U-Net (blocks, widths, cross-attention) on the image itself (side x side x 3), untrained: what a
    step would cost without the VAE (the Text to image panel's speed comparison and bench/bench_text_to_image)."""
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

    config = {**latent_unet_config, "sample_size": image_side, "in_channels": 3, "out_channels": 3}
    return UNet2DConditionModel.from_config(config)
