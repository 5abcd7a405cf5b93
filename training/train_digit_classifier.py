"""Train the judge of the diffusion panels (models/digit_classifier.py) on the real 16x16 digits, and use it to
measure a diffusion checkpoint and the noise schedules.

    .venv/bin/python -m training.train_digit_classifier      # trains in a few seconds, seeded; writes the checkpoint
    .venv/bin/python -m training.train_digit_classifier --evaluate models/checkpoints/digit_diffusion/model.safetensors
    .venv/bin/python -m training.train_digit_classifier --schedules
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.digit_classifier import CHECKPOINT, build_classifier, judge, load_digit_classifier
from models.digit_diffusion import DEFAULT_GUIDANCE, DEFAULT_STEPS, load_digit_diffusion
from models.digits import SPLIT_SEED, TEST_FRACTION, digit_images

SEED = 0
EPOCHS = 40


def split_indices() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    _, labels = digit_images()           # the same held-out split as models/digits.py (same seed, stratified)
    return train_test_split(np.arange(len(labels)), test_size=TEST_FRACTION, random_state=SPLIT_SEED,
                            stratify=labels.numpy())


def shifted(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random shifts of up to 1 pixel (filled with background), so the judge does not insist on exact centring."""
    dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=generator))
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), value=-1.0)                       # (B, 1, 18, 18)
    return padded[:, :, 1 + dy:1 + dy + x.shape[2], 1 + dx:1 + dx + x.shape[3]]


def train(epochs: int = EPOCHS, seed: int = SEED) -> tuple[nn.Sequential, float]:
    torch.manual_seed(seed)
    images, labels = digit_images()                                                     # (N, 1, 16, 16), (N,)
    train_index, test_index = split_indices()
    x, y = images[train_index], labels[train_index]
    model = build_classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        permutation = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 64):
            batch = permutation[start:start + 64]
            loss = nn.functional.cross_entropy(model(shifted(x[batch], generator)), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(images[test_index]).argmax(-1) == labels[test_index]).float().mean().item()
    return model, accuracy


def quality_report(diffusion, per_digit: int = 20, w: float | None = None, steps: int | None = None,
                   seed: int = 0) -> dict:
    """Sample per_digit images of each digit at guidance w (default: the panel's default) and judge them."""
    from core.diffusion import grid, noise_schedule, sample, sampling_timesteps

    w = DEFAULT_GUIDANCE if w is None else w
    _, alphas_cumprod = noise_schedule(diffusion.schedule)
    timesteps = sampling_timesteps(DEFAULT_STEPS if steps is None else steps)
    rows, images = [], []
    for digit in range(10):
        size = diffusion.config.image_size
        noise = torch.randn((per_digit, 1, size, size), generator=torch.Generator().manual_seed(seed * 100 + digit))
        final = sample(diffusion.unet, digit, [w], noise, alphas_cumprod, timesteps, diffusion.no_label).final
        rows.append({"digit": digit, **judge(final, digit)})
        images.append(grid(final, 1)[:, 0])                                            # (per_digit, H, W)
    accuracies = [row["accuracy"] for row in rows]
    return {"w": w, "steps": len(timesteps), "per_digit": rows, "samples": torch.stack(images),   # (10, n, H, W)
            "mean_accuracy": float(np.mean(accuracies)), "min_accuracy": float(np.min(accuracies)),
            "mean_relative_diversity": float(np.mean([row["relative_diversity"] for row in rows]))}


def save_sample_grid(samples: torch.Tensor, path: Path, columns: int = 10, scale: int = 4) -> None:
    """(10, n, H, W) samples in [-1, 1] -> a PNG: one row per digit, white digits on black, 1-pixel gaps."""
    from PIL import Image

    digits, n, H, W = samples.shape
    columns = min(columns, n)
    canvas = np.full((digits * (H + 1) - 1, columns * (W + 1) - 1), 40, dtype=np.uint8)
    for d in range(digits):
        for c in range(columns):
            tile = ((samples[d, c].clamp(-1, 1) + 1) * 127.5).round().numpy().astype(np.uint8)
            canvas[d * (H + 1):d * (H + 1) + H, c * (W + 1):c * (W + 1) + W] = tile
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).resize((canvas.shape[1] * scale, canvas.shape[0] * scale), Image.NEAREST).save(path)


def recognizable_until(schedules=("linear", "scaled_linear", "squaredcos_cap_v2"), threshold: float = 0.5) -> dict:
    """The schedule measurement: the classifier's accuracy on x_t (real digits, one noise draw) against t.

    Training time spent on timesteps where the digit is already gone (accuracy near chance, 10%) teaches the
    model little about shapes; a schedule that keeps the digit readable over more of the 1,000 steps is preferred.
    Returns, per schedule, the last t at which accuracy is still >= threshold and the accuracy curve.
    """
    from diffusers import DDPMScheduler

    images, labels = digit_images()                                                     # (N, 1, 16, 16)
    eps = torch.randn(images.shape, generator=torch.Generator().manual_seed(0))
    classifier, steps = load_digit_classifier(), list(range(0, 1000, 25))
    result = {}
    for schedule in schedules:
        abar = DDPMScheduler(num_train_timesteps=1000, beta_schedule=schedule).alphas_cumprod
        curve = [float((classifier.probabilities(abar[t].sqrt() * images + (1 - abar[t]).sqrt() * eps)
                        .argmax(-1) == labels).float().mean()) for t in steps]
        last = max((t for t, a in zip(steps, curve) if a >= threshold), default=0)
        result[schedule] = {"readable_until_t": last, "accuracy": dict(zip(steps, curve))}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--schedules", action="store_true", help="measure how long digits stay readable per schedule")
    parser.add_argument("--evaluate", type=Path, help="judge the samples of this diffusion checkpoint")
    parser.add_argument("--per-digit", type=int, default=20)
    parser.add_argument("--w", type=float, default=None, help="guidance weight (default: the panel's)")
    parser.add_argument("--grid", type=Path, help="with --evaluate: save the sample grid here (PNG)")
    options = parser.parse_args()
    from safetensors.torch import save_file

    if options.evaluate:
        diffusion = load_digit_diffusion(options.evaluate)
        report = quality_report(diffusion, options.per_digit, options.w)
        print(f"checkpoint {options.evaluate} (step {diffusion.steps_trained}), w = {report['w']:g}, "
              f"{report['steps']} DDIM steps, {options.per_digit} samples per digit")
        for row in report["per_digit"]:
            print(f"  digit {row['digit']}: accuracy {row['accuracy']:.0%}, confidence {row['confidence']:.2f}, "
                  f"diversity {row['diversity']:.2f} ({row['relative_diversity']:.2f} of the real data's)")
        print(f"mean accuracy {report['mean_accuracy']:.1%}, lowest {report['min_accuracy']:.0%}, "
              f"mean relative diversity {report['mean_relative_diversity']:.2f}")
        if options.grid:
            save_sample_grid(report["samples"], options.grid)
            print(f"sample grid -> {options.grid}")
        return

    if options.schedules:
        for schedule, row in recognizable_until().items():
            curve = " ".join(f"{t}:{a:.2f}" for t, a in list(row["accuracy"].items())[::4])
            print(f"{schedule:>18}: accuracy >= 50% until t = {row['readable_until_t']}; {curve}")
        return

    model, accuracy = train()
    options.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(options.out),
              metadata={"test_accuracy": f"{accuracy:.4f}", "seed": str(SEED), "epochs": str(EPOCHS)})
    print(f"held-out accuracy on real 16x16 digits: {accuracy:.1%} -> {options.out}")


if __name__ == "__main__":
    main()
