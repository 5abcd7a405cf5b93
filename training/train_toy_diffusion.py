"""Train the 2-D toy diffusion models (one tiny MLP per data set of core.toy_data) and measure their samples.

    .venv/bin/python -m training.train_toy_diffusion                         # all four sets, about a minute each
    .venv/bin/python -m training.train_toy_diffusion --dataset moons --max-minutes 0.5

Seeded; not resumable (a set takes about a minute: run it again). Denoising score matching: noise a data point to a
random t, predict the noise, mean squared error; labelled sets replace a fraction of their labels by "no label", so
one network learns eps(x_t, t, class) and eps(x_t, t, nothing) for classifier-free guidance. Writes the EMA weights
as models/checkpoints/toy_diffusion_<name>/model.safetensors with the config and the measured sample quality.
"""
import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from core.diffusion import denoising_loss, noise_schedule
from core.sample_quality import nearest_neighbour_distance
from core.toy_data import DATASETS
from core.vector_field import sample_paths
from models.toy_diffusion import NoisePredictor, ToyConfig, checkpoint_path, dataset_points, schedule_label

QUALITY_SAMPLES = 2_000      # samples per sampler, and data points to compare them with
QUALITY_STEPS = 50           # DDIM and DDPM steps of the measurement
QUALITY_SEED = 1_000         # the data reference; QUALITY_SEED + 1: the data's own second sample; + 2: the noise


def training_step(network, alphas_cumprod, x0, labels, no_label: int, config: ToyConfig, generator):
    """One denoising-score-matching step on a batch of points x0 (B, 2) (core.diffusion.denoising_loss)."""
    return denoising_loss(network, x0, labels, no_label, config.label_dropout, alphas_cumprod, generator)


def train(config: ToyConfig, max_minutes: float) -> tuple[NoisePredictor, int, float]:
    """The EMA network after config.steps AdamW steps (or fewer, when the time runs out), the steps taken, the
    final running loss."""
    torch.manual_seed(config.seed)
    points, labels = dataset_points(config.dataset, config.train_points, config.seed)      # (P, 2), (P,)
    no_label = len(DATASETS[config.dataset])
    _, alphas_cumprod = noise_schedule(schedule_label(config.schedule))
    network, ema = NoisePredictor(config), NoisePredictor(config)
    ema.load_state_dict(network.state_dict())
    ema.requires_grad_(False)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.steps)
    generator = torch.Generator().manual_seed(config.seed)
    started, running, step = time.time(), None, 0
    while step < config.steps and time.time() - started < max_minutes * 60:
        batch = torch.randint(0, len(points), (config.batch_size,), generator=generator)
        loss = training_step(network, alphas_cumprod, points[batch], labels[batch], no_label, config, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step(), schedule.step()
        decay = min(config.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), network.parameters()):
                p_ema.lerp_(p, 1 - decay)
        running = loss.item() if running is None else 0.99 * running + 0.01 * loss.item()
        step += 1
    return ema.eval(), step, running


def measure_quality(network, config: ToyConfig, n: int = QUALITY_SAMPLES) -> dict[str, float]:
    """Mean nearest-neighbour distance to a fresh data sample of n points: for n unconditional samples with DDIM and
    with DDPM (QUALITY_STEPS steps each), and for a second fresh data sample (the floor)."""
    no_label = len(DATASETS[config.dataset])
    _, alphas_cumprod = noise_schedule(schedule_label(config.schedule))
    data, _ = dataset_points(config.dataset, n, QUALITY_SEED)
    noise = torch.randn((n, 2), generator=torch.Generator().manual_seed(QUALITY_SEED + 2))   # (n, 2)
    quality = {}
    for sampler in ("ddim", "ddpm"):
        paths = sample_paths(network, None, 0.0, no_label, noise, alphas_cumprod, QUALITY_STEPS, sampler,
                             QUALITY_SEED + 3)
        quality[f"{sampler}_{QUALITY_STEPS}"] = nearest_neighbour_distance(paths.final, data)
    quality["data"] = nearest_neighbour_distance(dataset_points(config.dataset, n, QUALITY_SEED + 1)[0], data)
    return quality


def save(network, config: ToyConfig, step: int, quality: dict, path: Path) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: value.detach().contiguous().clone() for name, value in network.state_dict().items()}
    metadata = {"config": json.dumps(asdict(config)), "step": str(step), "quality": json.dumps(quality)}
    save_file(tensors, str(path), metadata=metadata)


def train_and_save(config: ToyConfig, max_minutes: float, out: Path) -> dict:
    started = time.time()
    network, step, loss = train(config, max_minutes)
    seconds = time.time() - started
    quality = measure_quality(network, config)
    save(network, config, step, quality, out)
    figures = ", ".join(f"{name} {value:.4f}" for name, value in quality.items())
    print(f"{config.dataset}: {step} steps in {seconds:.0f} s, loss {loss:.4f}; nearest-neighbour distance "
          f"{figures}; wrote {out} ({out.stat().st_size / 1e3:.0f} KB)", flush=True)
    return {"seconds": seconds, "steps": step, "loss": loss, **quality}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=list(DATASETS), help="one data set (default: all of them)")
    parser.add_argument("--max-minutes", type=float, default=3.0, help="time budget per data set")
    parser.add_argument("--steps", type=int, default=ToyConfig.steps)
    parser.add_argument("--schedule", default=ToyConfig.schedule, choices=["linear", "squaredcos_cap_v2"])
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where to write each set's folder (default: models/checkpoints)")
    options = parser.parse_args()
    for dataset in [options.dataset] if options.dataset else list(DATASETS):
        config = ToyConfig(dataset=dataset, steps=options.steps, schedule=options.schedule)
        out = checkpoint_path(dataset)                       # <checkpoints>/toy_diffusion_<name>/model.safetensors
        if options.out_dir:
            out = options.out_dir / out.parent.name / out.name
        train_and_save(config, options.max_minutes, out)


if __name__ == "__main__":
    main()
