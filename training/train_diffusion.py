"""Train the class-conditional digit diffusion U-Net on scikit-learn's digits (upsampled to 16x16).

    .venv/bin/python -m training.train_diffusion                       # about 20 min on a 2-core CPU
    .venv/bin/python -m training.train_diffusion --max-minutes 10      # stop early; run again to resume

Seeded; resumable (the full training state is saved to --work-dir every few hundred steps); writes the EMA
weights as a small safetensors checkpoint. The app only loads the committed checkpoint; it never trains.
Classifier-free guidance needs an unconditional model too: a fraction of the labels is replaced by the extra
"no label" class 10 during training, so one network learns both eps(x_t, t, digit) and eps(x_t, t, nothing).
"""
import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from core.diffusion import denoising_loss
from models.digit_diffusion import CHECKPOINT, NO_LABEL, DiffusionConfig, build_unet
from models.digits import digit_images
from training.loop import Training, run, warmup


def make_scheduler(config: DiffusionConfig):
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.schedule)


def training_step(unet, scheduler, x0, labels, config: DiffusionConfig, generator: torch.Generator):
    """One denoising-score-matching step on a batch of digits (core.diffusion.denoising_loss)."""
    def predict(x_t, t, classes):
        return unet(x_t, t, class_labels=classes).sample                                 # (B, 1, H, W)

    return denoising_loss(predict, x0, labels, NO_LABEL, config.label_dropout, scheduler.alphas_cumprod, generator)


def save_ema(ema, config: DiffusionConfig, step: int, path: Path, extra: dict | None = None) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: value.detach().contiguous().clone() for name, value in ema.state_dict().items()}
    metadata = {"config": json.dumps(asdict(config)), "step": str(step), **(extra or {})}
    save_file(tensors, str(path), metadata=metadata)


def train(config: DiffusionConfig, work_dir: Path, out: Path, max_minutes: float, every: int) -> None:
    torch.manual_seed(config.seed)
    x_all, y_all = digit_images(config.image_size)                                       # (N, 1, 16, 16), (N,)
    unet, ema = build_unet(config), build_unet(config)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    scheduler = make_scheduler(config)
    optimizer = torch.optim.AdamW(unet.parameters(), lr=config.learning_rate, weight_decay=0.0)
    generator = torch.Generator().manual_seed(config.seed)
    training = Training({"unet": unet, "ema": ema}, optimizer, config.steps, work_dir, generator,
                        ema=(ema, unet, config.ema_decay), extra_state={"config": asdict(config)})
    n_params = sum(p.numel() for p in unet.parameters())
    print(f"U-Net with {n_params / 1e6:.2f} M parameters, schedule {config.schedule}", flush=True)

    def loss_at(step: int) -> torch.Tensor:
        batch = torch.randint(0, len(x_all), (config.batch_size,), generator=generator)
        return training_step(unet, scheduler, x_all[batch], y_all[batch], config, generator)

    step = run(training, loss_at, lambda step: warmup(step, config.learning_rate, config.warmup_steps),
               lambda step, final: save_ema(ema, config, step, out), max_minutes, every, bar_interval=20)
    print(f"wrote {out} (EMA weights, step {step})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", default=DiffusionConfig.schedule,
                        choices=["linear", "scaled_linear", "squaredcos_cap_v2"])
    parser.add_argument("--steps", type=int, default=DiffusionConfig.steps)
    parser.add_argument("--batch-size", type=int, default=DiffusionConfig.batch_size)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/digit_diffusion_train"))
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--max-minutes", type=float, default=45.0)
    parser.add_argument("--every", type=int, default=200, help="checkpoint every this many steps")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    np.random.seed(0)
    config = replace(DiffusionConfig(), schedule=options.schedule, steps=options.steps, batch_size=options.batch_size)
    train(config, options.work_dir, options.out, options.max_minutes, options.every)


if __name__ == "__main__":
    main()
