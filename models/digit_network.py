"""The trained digit network (the 64-16-16-10 network of core/mlp.py), loaded once from its committed safetensors
checkpoint. training/train_digit_network.py writes the checkpoints."""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from safetensors import safe_open

from core.mlp import HIDDEN_ACTIVATIONS
from models.loading import LOAD_LOCK

CHECKPOINTS = Path(__file__).with_name("checkpoints")


@dataclass(frozen=True)
class DigitNetwork:
    activation: str                        # the hidden layers' activation: sigmoid or relu
    params: dict[str, torch.Tensor]        # W1 (16, 64), b1, W2 (16, 16), b2, W3 (10, 16), b3; read-only
    test_accuracy: float                   # on the held-out split, measured when it was trained


def checkpoint_path(activation: str) -> Path:
    """Written by training/train_digit_network.py, committed: 6 KB each."""
    return CHECKPOINTS / f"digit_mlp_{activation}" / "model.safetensors"


@lru_cache(maxsize=len(HIDDEN_ACTIVATIONS))
def _load(activation: str) -> DigitNetwork:
    path = checkpoint_path(activation)
    with safe_open(str(path), framework="pt") as checkpoint:
        params = {name: checkpoint.get_tensor(name).requires_grad_(False) for name in checkpoint.keys()}
        accuracy = float(checkpoint.metadata()["test_accuracy"])
    return DigitNetwork(activation, params, accuracy)


def load_digit_network(activation: str = "sigmoid") -> DigitNetwork:
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"Unknown activation {str(activation)[:30]!r}; the digit network comes as sigmoid or relu.")
    with LOAD_LOCK:
        return _load(activation)
