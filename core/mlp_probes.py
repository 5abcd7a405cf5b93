"""Probes of a trained digit network (core/mlp.py), each a measurement the series makes in words:

    noise        x ~ U[0, 1]^64, a picture of nothing: how sure is the largest output a_j = σ(z_j)?
    templates    r(w, m) = Pearson correlation of a first-layer neuron's 64 weights w with a mean digit image m
    breaking     b = 0 (drop the biases), W ← W + σ ε with ε ~ N(0, 1) (noise on the weights), W^(k) = 0, b^(k) = 0

All pure: the params given are never changed (a broken network is a new dict).
"""
import torch

from core.checks import MAX_SEED, in_range, whole
from core.mlp import LAYER_SIZES, forward

N_LAYERS = len(LAYER_SIZES) - 1      # weight layers 1..3
MAX_NOISE_IMAGES = 10_000
MAX_WEIGHT_NOISE = 3.0               # σ; the trained weights' sizes (root mean square) are 0.7 to 2.4


def noise_images(n, seed) -> torch.Tensor:
    """n pictures of uniform noise, every pixel in [0, 1] like the digits' ink: (n, 64) float32."""
    n = whole("noise images", n, 1, MAX_NOISE_IMAGES)
    generator = torch.Generator().manual_seed(whole("seed", seed, 0, MAX_SEED))
    return torch.rand(n, LAYER_SIZES[0], generator=generator)


def top_outputs(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image of x (n, 64): the largest output a_j (n,) and its digit j (n,)."""
    with torch.no_grad():
        top = forward(params, x.to(params["W1"].dtype), activation)[-1].max(dim=-1)    # over the 10 outputs
    return top.values, top.indices


def mean_digit_images(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The average image of each digit 0..9: (10, 64). x: (N, 64), y: (N,)."""
    return torch.stack([x[y == digit].mean(dim=0) for digit in range(LAYER_SIZES[-1])])


def correlations(images: torch.Tensor, templates: torch.Tensor) -> torch.Tensor:
    """Pearson r between every image (n, 64) and every template (m, 64): (n, m), each in [−1, 1]."""
    a = images.double() - images.double().mean(dim=1, keepdim=True)
    b = templates.double() - templates.double().mean(dim=1, keepdim=True)
    return (a @ b.T) / (a.norm(dim=1)[:, None] * b.norm(dim=1)[None, :])


def weight_noise(params: dict[str, torch.Tensor], seed) -> dict[str, torch.Tensor]:
    """ε ~ N(0, 1), one number per weight (no biases): {W1: (16, 64), W2: (16, 16), W3: (10, 16)}, seeded."""
    generator = torch.Generator().manual_seed(whole("seed", seed, 0, MAX_SEED))
    return {f"W{l}": torch.randn(params[f"W{l}"].shape, generator=generator, dtype=params[f"W{l}"].dtype)
            for l in range(1, N_LAYERS + 1)}


def broken(params: dict[str, torch.Tensor], drop_biases: bool = False, sigma=0.0, zero_layer=0,
           noise: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """A broken copy of params: biases dropped, W ← W + σ ε on every weight (ε = noise, from weight_noise), and
    layer zero_layer (1..3; 0 = none) zeroed, weights and biases."""
    sigma = in_range("weight noise σ", sigma, 0, MAX_WEIGHT_NOISE)
    zero_layer = whole("layer to zero", zero_layer, 0, N_LAYERS)
    if sigma > 0 and noise is None:
        raise ValueError("Noise on the weights needs the noise ε itself (core.mlp_probes.weight_noise).")
    changed = {}
    for name, value in params.items():
        layer = int(name[1:])
        if name.startswith("W"):
            value = value + sigma * noise[name] if sigma > 0 else value                # W + σ ε
        elif drop_biases:
            value = torch.zeros_like(value)                                            # b = 0
        if layer == zero_layer:
            value = torch.zeros_like(value)
        changed[name] = value.clone()
    return changed
