"""The judge of the text-to-image model: a small CNN trained on the scenes' true attributes (never on generated
images, never by CLIP), which reads the digit and the colour in each slot of a 64x64 scene (a lone digit in the
centre, a pair on the left and the right). It measures the VAE's reconstructions and the samples' faithfulness to
their prompt (models/text_to_image_quality.py).
"""
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from models.loading import LOAD_LOCK
from models.scenes import COLOURS

CHECKPOINT = Path(__file__).with_name("checkpoints") / "scene_judge.safetensors"
SLOTS = ("centre", "left", "right")
N_COLOURS = len(COLOURS)


def build_judge() -> nn.Module:
    """(B, 3, 64, 64) in [0, 1] -> (B, 3 slots, 10 digits + 7 colours) logits; about 0.2 M parameters."""
    return nn.Sequential(
        nn.Conv2d(3, 24, 3, stride=2, padding=1), nn.ReLU(),                 # (B, 24, 32, 32)
        nn.Conv2d(24, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),          # (B, 48, 16, 16)
        nn.Conv2d(48, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),          # (B, 64, 8, 8)
        nn.Conv2d(64, 96, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),          # (B, 96, 4, 4)
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(96 * 16, 128), nn.ReLU(),
        nn.Linear(128, len(SLOTS) * (10 + N_COLOURS)), nn.Unflatten(1, (len(SLOTS), 10 + N_COLOURS)))


@lru_cache(maxsize=1)
def _load() -> nn.Module:
    from safetensors.torch import load_file

    model = build_judge()
    model.load_state_dict(load_file(str(CHECKPOINT)))
    return model.eval().requires_grad_(False)


def load_scene_judge() -> nn.Module:
    with LOAD_LOCK:
        return _load()


@torch.inference_mode()
def read_scenes(judge: nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """images (B, 3, 64, 64) in [0, 1] -> the digit (B, 3 slots) and the colour index (B, 3 slots) the judge reads."""
    logits = judge(images.float().clamp(0, 1))                                         # (B, 3, 17)
    return logits[..., :10].argmax(-1), logits[..., 10:].argmax(-1)
