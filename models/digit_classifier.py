"""The judge of the diffusion panels: a small CNN trained on the real 16x16 digits only, never on samples (trained
by training/train_digit_classifier.py, committed as a 40 KB safetensors checkpoint). "Is this sample the digit that
was asked for?" (accuracy and confidence), beside the samples' diversity compared with the real data's."""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from core.sample_quality import mean_pairwise_distance, verdict
from models.digits import digit_images
from models.loading import LOAD_LOCK

CHECKPOINT = Path(__file__).with_name("checkpoints") / "digit_classifier_16" / "model.safetensors"


def build_classifier() -> nn.Sequential:
    """(B, 1, 16, 16) in [-1, 1] -> (B, 10) logits; 9,930 parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # (B, 16, 8, 8)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (B, 32, 4, 4)
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 4 * 4, 10))       # (B, 10)


@dataclass(frozen=True)
class DigitClassifier:
    model: nn.Sequential
    test_accuracy: float   # on the 450 held-out real digits

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 1, 16, 16) in [-1, 1] -> (B, 10)."""
        with torch.inference_mode():
            return self.model(images.float().clamp(-1, 1)).softmax(-1)


@lru_cache(maxsize=1)
def _load() -> DigitClassifier:
    from safetensors import safe_open

    model = build_classifier()
    with safe_open(str(CHECKPOINT), framework="pt") as checkpoint:
        model.load_state_dict({name: checkpoint.get_tensor(name) for name in checkpoint.keys()})
        accuracy = float(checkpoint.metadata()["test_accuracy"])
    model.eval().requires_grad_(False)
    return DigitClassifier(model, accuracy)


def load_digit_classifier() -> DigitClassifier:
    with LOAD_LOCK:
        return _load()


@lru_cache(maxsize=1)
def real_diversity() -> tuple[float, ...]:
    """The real data's mean pairwise distance within each class 0..9 (the reference for the samples')."""
    images, labels = digit_images()
    return tuple(mean_pairwise_distance(images[labels == d]) for d in range(10))


def judge(images: torch.Tensor, digit: int) -> dict:
    """Accuracy and mean confidence for the asked digit, and diversity (absolute and relative to real data)."""
    return verdict(load_digit_classifier().probabilities(images), images, digit, real_diversity()[digit])
