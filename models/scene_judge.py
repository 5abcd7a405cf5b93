"""The judge of the text-to-image model: a small CNN trained on the scenes' true attributes (never on generated
images, never by CLIP), which reads the digit and the colour in each slot of a 64x64 scene (a lone digit in the
centre, a pair on the left and the right). It measures the VAE's reconstructions and the samples' faithfulness to
their prompt (training/text_to_image_quality.py reports both; the Guidance tab reads its samples with it).
"""
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.loading import LOAD_LOCK
from models.scenes import COLOURS, parse_caption

CHECKPOINT = Path(__file__).with_name("checkpoints") / "scene_judge" / "model.safetensors"
SLOTS = ("centre", "left", "right")
N_COLOURS = len(COLOURS)
COLOUR_NAMES = list(COLOURS)       # the judge's colour index -> its name


def build_judge() -> nn.Module:
    """(B, 3, 64, 64) in [0, 1] -> (B, 3 slots, 10 digits + 7 colours) logits; 297,507 parameters."""
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


def faithfulness(judge, images: torch.Tensor, prompt: str) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: every asked digit read right, every asked colour read right."""
    things, _ = parse_caption(prompt)
    digits, colours = read_scenes(judge, images)
    digit_ok = np.ones(len(images), bool)
    colour_ok = np.ones(len(images), bool)
    for thing in things:
        slot = SLOTS.index(thing["position"])
        digit_ok &= (digits[:, slot] == thing["digit"]).numpy()
        if thing["colour"]:
            colour_ok &= (colours[:, slot] == COLOUR_NAMES.index(thing["colour"])).numpy()
    return digit_ok, colour_ok
