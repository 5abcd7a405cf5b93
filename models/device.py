"""The device every model runs on, chosen once."""
from functools import lru_cache

import torch


@lru_cache(maxsize=None)
def pick_device(preference: str = "auto") -> torch.device:
    """'auto' takes cuda, then Apple's mps, then cpu; an explicit name must be available."""
    preference = preference.lower()
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference not in ("cpu", "cuda", "mps"):
        raise ValueError(f"Unknown device '{preference}'; use auto, cpu, cuda or mps.")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA GPU is visible; use auto or cpu.")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise ValueError("--device mps was asked for, but Apple's MPS is not available; use auto or cpu.")
    return torch.device(preference)

