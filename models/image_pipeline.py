"""The text-to-image model, loaded once through diffusers' own StableDiffusionPipeline.from_pretrained; its parts
are handed to core/latent.py.

By default the small model trained here in Stable Diffusion's shape (models/scene_pipeline.py, committed, offline).
`--image-model` (env DLE_IMAGE_MODEL) names a Stable Diffusion hub id instead, which needs --online (a GPU host),
or a local folder written by save_pretrained (the tests build a tiny random one).
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from models.loading import LOAD_LOCK


@dataclass(frozen=True)
class ImagePipeline:
    name: str
    vae: torch.nn.Module                # AutoencoderKL: image <-> latent
    unet: torch.nn.Module               # UNet2DConditionModel: predicts the noise, reads the text by cross-attention
    text_encoder: torch.nn.Module       # CLIP text encoder
    tokenizer: object
    alphas_cumprod: torch.Tensor        # (T,) the checkpoint's own schedule, float32 on the CPU
    scaling: float                      # the VAE's scaling factor s (0.18215 for Stable Diffusion 1.x)
    downsampling: int                   # image side / latent side (8 for Stable Diffusion)
    device: torch.device

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        side = self.unet.config.sample_size
        return self.unet.config.in_channels, side, side

    @property
    def image_side(self) -> int:
        return self.unet.config.sample_size * self.downsampling


def check_image_model(name: str, online: bool) -> None:
    """Refuse a hub id while offline, with a message that says how to allow it (a local folder always works)."""
    if name and not Path(name).is_dir() and not online:
        raise ValueError(f"'{name}' is a hub model, but the app runs offline. Use --online (or DLE_ONLINE=1) to "
                         "allow its download, or give a local folder saved with save_pretrained.")


@lru_cache(maxsize=1)
def _load(name: str, device: torch.device, online: bool) -> ImagePipeline:
    from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline  # by path

    dtype = torch.float16 if device.type == "cuda" else torch.float32
    pipe = StableDiffusionPipeline.from_pretrained(name, dtype=dtype, local_files_only=not online,
                                                   use_safetensors=True, safety_checker=None,
                                                   requires_safety_checker=False)
    prediction = pipe.scheduler.config.get("prediction_type", "epsilon")
    if prediction != "epsilon":
        raise ValueError(f"'{name}' predicts '{prediction}'; the panels read noise-predicting (epsilon) checkpoints "
                         "such as Stable Diffusion 1.x or 2.x base.")
    for part in (pipe.vae, pipe.unet, pipe.text_encoder):
        part.to(device).eval().requires_grad_(False)
    downsampling = 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    return ImagePipeline(shown_name(name), pipe.vae, pipe.unet, pipe.text_encoder, pipe.tokenizer,
                         pipe.scheduler.alphas_cumprod.float().cpu(), float(pipe.vae.config.scaling_factor),
                         downsampling, device)


def load_image_pipeline(name: str, device, online: bool = False) -> ImagePipeline:
    """Load once (thread-safe), then return the cached pipeline."""
    check_image_model(name, online)
    with LOAD_LOCK:
        return _load(name, torch.device(device), online)


BUNDLED_NAME = "the scenes' model trained here"


def image_model_name(settings) -> str:
    """--image-model if given, else the bundled pipeline's folder ("" if it is missing: a clone without it)."""
    from models.scene_pipeline import FOLDER

    if settings.image_model:
        return settings.image_model
    return str(FOLDER) if (FOLDER / "model_index.json").exists() else ""


def default_w(settings) -> float:
    """The guidance weight Text to image starts at. The scenes' model trained here: 3, where it is faithful on
    every background (measured by training/text_to_image_quality.py, the model card: above about 4 its colours on a coloured
    background overshoot toward a brighter neighbour, a green nine on yellow turns teal: the card's "less
    realistic"). Any other pipeline: 6.5, which is diffusers' default guidance_scale of 7.5 (guidance_scale = w + 1;
    the card's typical 7-15 are w = 6-14)."""
    from models.scene_pipeline import DEFAULT_W

    return DEFAULT_W if shown_name(image_model_name(settings)) == BUNDLED_NAME else 6.5


def shown_name(name: str) -> str:
    from models.scene_pipeline import FOLDER

    return BUNDLED_NAME if Path(name) == FOLDER else name


def app_image_pipeline(settings, progress=None) -> ImagePipeline:
    from models.device import pick_device

    name = image_model_name(settings)
    if not name:
        raise ValueError("The bundled text-to-image model is missing (models/checkpoints/scene_pipeline): run "
                         "`python -m training.train_unet`, or start with --image-model.")
    if progress is not None:
        progress(0.1, desc="Loading the text-to-image model (once)…")
    return load_image_pipeline(name, pick_device(settings.device), settings.online)
