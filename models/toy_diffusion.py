"""The 2-D toy diffusion models: a tiny noise-predicting MLP per data set of core.toy_data, its cached loader (reads
the committed safetensors checkpoint once, lazily), and the picture "digit 3" is drawn from. Trained by
training/train_toy_diffusion.py, which imports this definition (never the other way round)."""
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.diffusion import SCHEDULES, noise_schedule
from core.toy_data import DATASETS, toy_data
from models.digits import digit_images
from models.loading import LOAD_LOCK

CHECKPOINTS = Path(__file__).with_name("checkpoints")
TRAINING_COMMAND = "python -m training.train_toy_diffusion"


@dataclass(frozen=True)
class ToyConfig:
    dataset: str = "spiral"                   # a name of core.toy_data.DATASETS
    hidden: int = 128                         # width of each hidden layer
    depth: int = 3                            # hidden layers (Linear + SiLU): about 40 k parameters in all
    time_embedding: int = 32                  # sinusoidal features of the timestep t (sin and cos, 16 frequencies)
    class_embedding: int = 16                 # learned vector per class, plus one for "no label"
    label_dropout: float = 0.15               # fraction of labels replaced by "no label" (classifier-free guidance)
    schedule: str = "linear"                  # diffusers' beta_schedule name: with "squaredcos_cap_v2" abar_999 is
                                              # 2e-9 and DDIM's first step blows the error in eps up 600-fold
    num_train_timesteps: int = 1000           # T, as in the series
    train_points: int = 20_000                # one fixed sample of the data set to learn from
    steps: int = 15_000                       # optimizer steps (stopped earlier by --max-minutes): about 50 s
    batch_size: int = 512                     # points per step
    learning_rate: float = 5e-3               # AdamW, cosine-decayed to 0 over `steps` (1e-3: 2.5x worse samples)
    ema_decay: float = 0.995                  # exponential moving average of the weights: the checkpoint
    seed: int = 0                             # data sample, initial weights, noise and timesteps


def checkpoint_path(dataset: str) -> Path:
    """models/checkpoints/toy_diffusion_<name>/model.safetensors ("digit 3" -> toy_diffusion_digit_3)."""
    return CHECKPOINTS / f"toy_diffusion_{dataset.replace(' ', '_')}" / "model.safetensors"


def time_embedding(t: torch.Tensor, size: int) -> torch.Tensor:
    """Transformer-style sinusoidal features of the timesteps t (B,): (B, size), frequencies 1 ... 1/10000."""
    frequencies = torch.exp(-math.log(10_000) * torch.arange(size // 2, device=t.device) / (size // 2))  # (size/2,)
    angles = t.float()[:, None] * frequencies[None]                                # (B, size/2)
    return torch.cat([angles.sin(), angles.cos()], dim=-1)                         # (B, size)


class NoisePredictor(nn.Module):
    """eps_hat(x_t, t, label): an MLP with SiLU on [x, time embedding, class embedding]. The class table has one
    row per class plus "no label" (the last row; the only row of an unlabelled set)."""

    def __init__(self, config: ToyConfig):
        super().__init__()
        self.time_size = config.time_embedding
        self.classes = nn.Embedding(len(DATASETS[config.dataset]) + 1, config.class_embedding)
        layers, width = [], 2 + config.time_embedding + config.class_embedding
        for _ in range(config.depth):
            layers += [nn.Linear(width, config.hidden), nn.SiLU()]
            width = config.hidden
        self.mlp = nn.Sequential(*layers, nn.Linear(width, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        features = [x, time_embedding(t, self.time_size), self.classes(labels)]     # (B, 2), (B, 32), (B, 16)
        return self.mlp(torch.cat(features, dim=-1))                               # (B, 2) the predicted noise


@dataclass(frozen=True)
class ToyDiffusion:
    dataset: str                    # a name of core.toy_data.DATASETS
    network: NoisePredictor         # eval mode, no gradients; never mutated by a request
    class_names: tuple[str, ...]    # empty for an unlabelled set
    no_label: int                   # the class id of the unconditional prediction (= number of classes; 0 if none)
    alphas_cumprod: torch.Tensor    # (T,) the training schedule's abar_t, read-only
    config: ToyConfig               # how it was built and trained
    quality: dict                   # mean nearest-neighbour distance to the data: "ddim_50", "ddpm_50", "data"
    steps_trained: int = 0          # optimizer steps behind these (EMA) weights


def schedule_label(schedule: str) -> str:
    """diffusers' beta_schedule name -> core.diffusion's label ("squaredcos_cap_v2" -> "cosine")."""
    return {name: label for label, name in SCHEDULES.items()}[schedule]


@lru_cache(maxsize=len(DATASETS))
def _load(dataset: str, device: str) -> ToyDiffusion:
    from safetensors import safe_open

    with safe_open(str(checkpoint_path(dataset)), framework="pt") as checkpoint:
        metadata = checkpoint.metadata()
        state = {name: checkpoint.get_tensor(name) for name in checkpoint.keys()}
    config = ToyConfig(**json.loads(metadata["config"]))
    network = NoisePredictor(config)
    network.load_state_dict(state)
    network.to(device).eval().requires_grad_(False)
    _, alphas_cumprod = noise_schedule(schedule_label(config.schedule))
    classes = DATASETS[dataset]
    return ToyDiffusion(dataset, network, classes, len(classes), alphas_cumprod.to(device), config,
                        json.loads(metadata["quality"]), int(metadata["step"]))


def load_toy_diffusion(dataset: str, device="cpu") -> ToyDiffusion:
    """The trained model of one data set, on `device`, loaded once."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown data set {str(dataset)[:30]!r}; choose one of {', '.join(DATASETS)}.")
    if not checkpoint_path(dataset).exists():
        raise FileNotFoundError(f"The toy diffusion checkpoint {checkpoint_path(dataset).name} is missing; train it "
                                f"with `{TRAINING_COMMAND} --dataset '{dataset}'`.")
    with LOAD_LOCK:
        return _load(dataset, str(device))


@lru_cache(maxsize=1)
def digit_image() -> np.ndarray:
    """The mean of scikit-learn's handwritten 3s at 16x16 (models.digits.digit_images, mapped from [-1, 1] to
    [0, 1]), scaled to max 1: (16, 16) float32, row 0 at the top. Read-only: shared by all users."""
    images, labels = digit_images()                                                # (N, 1, 16, 16) in [-1, 1]
    mean = ((images[labels == 3, 0] + 1) / 2).mean(0)                              # (16, 16) in [0, 1]
    image = (mean / mean.max()).numpy()
    image.setflags(write=False)
    return image


def dataset_points(dataset: str, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """core.toy_data.toy_data with the digit's picture filled in: points (n, 2) and labels (n,) of any data set."""
    return toy_data(dataset, n, seed, image=digit_image() if dataset == "digit 3" else None)
