"""The trained digit diffusion U-Net, loaded once (lazily) from its committed safetensors checkpoint."""
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from models.train_diffusion import CHECKPOINT, NO_LABEL, DiffusionConfig, build_unet, config_from_metadata

DEFAULT_GUIDANCE = 0.5   # w of the panels and the quality bar (guidance_scale 1.5): the smallest w that got every
                         # digit right (20 a digit); more w costs diversity (README)
DEFAULT_STEPS = 50       # DDIM steps of the guidance sweep
SCHEDULE_LABEL = {"linear": "linear", "scaled_linear": "scaled-linear", "squaredcos_cap_v2": "cosine"}
_lock = threading.Lock()


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
                                "`python -m models.train_diffusion`.")
    with _lock:
        return _load(str(path), str(device))
