"""The class-conditional digit diffusion U-Net: its definition (a diffusers UNet2DModel built from a frozen config)
and its loader, which reads the committed safetensors checkpoint once, lazily. Trained by
training/train_diffusion.py, which imports this definition (never the other way round)."""
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from models.loading import LOAD_LOCK

CHECKPOINTS = Path(__file__).with_name("checkpoints")
CHECKPOINT = CHECKPOINTS / "digit_diffusion" / "model.safetensors"
NO_LABEL = 10            # the extra class embedding used for the unconditional prediction
DEFAULT_GUIDANCE = 0.5   # w of the panels and the quality bar (guidance_scale 1.5): the smallest w that got every
                         # digit right (20 a digit); more w costs diversity (its model card)
DEFAULT_STEPS = 50       # DDIM steps of the guidance sweep
SCHEDULE_LABEL = {"linear": "linear", "scaled_linear": "scaled-linear", "squaredcos_cap_v2": "cosine"}


@dataclass(frozen=True)
class DiffusionConfig:
    image_size: int = 16                      # 8x8 digits upsampled (bilinear) to 16x16
    block_out_channels: tuple = (12, 24, 48)  # U-Net widths at 16x16, 8x8, 4x4: narrow, the CPU budget is per pixel
    layers_per_block: int = 1                 # one ResNet block per level: 0.36 M parameters
    norm_num_groups: int = 4                  # GroupNorm groups (3 channels a group at 16x16)
    num_class_embeds: int = 11                # digits 0..9 plus NO_LABEL
    schedule: str = "squaredcos_cap_v2"       # diffusers' beta_schedule name; chosen by a pilot run (its model card)
    num_train_timesteps: int = 1000           # T, as in the series
    batch_size: int = 64                      # small batches, more updates: CPU time is the budget
    learning_rate: float = 1e-3               # AdamW, constant after a short warm-up (EMA does the averaging)
    warmup_steps: int = 100
    label_dropout: float = 0.15               # fraction of labels replaced by NO_LABEL (classifier-free guidance)
    ema_decay: float = 0.999                  # exponential moving average of the weights: the checkpoint
    steps: int = 8000                         # optimizer steps (stopped earlier by --max-minutes)
    seed: int = 0


def build_unet(config: DiffusionConfig):
    from diffusers.models.unets.unet_2d import UNet2DModel   # by path: thread-safe (tests/test_layout.py)

    return UNet2DModel(
        sample_size=config.image_size, in_channels=1, out_channels=1,
        block_out_channels=tuple(config.block_out_channels), layers_per_block=config.layers_per_block,
        down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3,
        num_class_embeds=config.num_class_embeds, norm_num_groups=config.norm_num_groups)


def config_from_metadata(metadata: dict) -> DiffusionConfig:
    values = json.loads(metadata["config"])
    values["block_out_channels"] = tuple(values["block_out_channels"])
    values.setdefault("norm_num_groups", 8)   # checkpoints written before the field existed used 8
    return DiffusionConfig(**values)


@dataclass(frozen=True)
class DigitDiffusion:
    unet: torch.nn.Module           # diffusers UNet2DModel, eval mode, no gradients; never mutated by a request
    config: DiffusionConfig         # how it was built and trained
    schedule: str                   # the training schedule as core.diffusion.SCHEDULES labels it ("cosine")
    steps_trained: int              # optimizer steps behind these (EMA) weights
    no_label: int = NO_LABEL        # the class id of the unconditional prediction

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())


@lru_cache(maxsize=4)
def _load(path: str, device: str) -> DigitDiffusion:
    from safetensors import safe_open

    with safe_open(path, framework="pt") as checkpoint:
        metadata = checkpoint.metadata()
        state = {name: checkpoint.get_tensor(name) for name in checkpoint.keys()}
    config = config_from_metadata(metadata)
    unet = build_unet(config)
    unet.load_state_dict(state)
    # channels_last: the convolutions (3/4 of a call) run about 13 % faster on the CPU, and cuDNN likes it too
    unet.to(device, memory_format=torch.channels_last).eval().requires_grad_(False)
    return DigitDiffusion(unet, config, SCHEDULE_LABEL[config.schedule], int(metadata["step"]))


def load_digit_diffusion(path: str | Path = CHECKPOINT, device: str = "cpu") -> DigitDiffusion:
    """The model on `device` (the app passes its device, chosen once: a GPU when there is one)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The diffusion checkpoint {path.name} is missing; train it with "
                                "`python -m training.train_diffusion`.")
    with LOAD_LOCK:
        return _load(str(path), str(device))
