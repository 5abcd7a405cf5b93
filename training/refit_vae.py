"""Refit the scenes' VAE with 4 channels per GroupNorm group, inside the latent space it already has.

    .venv/bin/python -m training.train_vae                 # first: the VAE whose latents the U-Net reads (16 groups)
    .venv/bin/python -m training.refit_vae                 # then: about 34 min on two cores; --max-minutes to stop
                                                           # early, run again to resume

Why: train_vae's VAE normalizes its 16-channel blocks in 16 groups, one channel per group, so the decoder's last
GroupNorm (conv_norm_out, no residual path around it) removes each channel's mean over the image, and with it a
uniform background's level. The decoder learned to put it back with one huge activation beside each digit (max /
median 25x in the last up-block), which shows on a coloured background as a many-coloured speck: the "droplet"
StyleGAN2 traced to normalization. With norm_num_groups = 4 (four channels per group) there is no such spike.

How (TAESD's recipe for a new autoencoder of Stable Diffusion's latents): a fresh VAE with the new setting, whose
encoder learns to give the teacher's posterior (its mean and log-variance, by mean squared error) in the first
encoder_steps batches and is then locked, and whose decoder learns, in every batch, to rebuild the scene from the
teacher's latent samples with train_vae's decoder loss (stroke-weighted L1 + L2 and the worst pixels). The latent
space, the scaling factor and so the U-Net trained on it stay valid. Seeded, resumable, time-limited. The teacher
(read from --teacher, by default the pipeline's own VAE) must still have its 16 groups: once refit, the 16-group VAE
of the committed pipeline is in git history (commit ecdab8b) or made again by train_vae.
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from models.scene_pipeline import FOLDER
from models.scenes import scene_batch
from training.loop import Training, phased_cosine, run
from training.train_vae import VaeTraining, lock_encoder, reconstruction_loss, stroke_weights


@dataclass(frozen=True)
class RefitTraining:
    steps: int = 9000             # batches in all: the decoder learns in every one
    encoder_steps: int = 2000     # the encoder learns the teacher's posterior in the first ones, then is locked
    norm_num_groups: int = 4
    batch_size: int = 32
    learning_rate: float = 1e-3   # AdamW peak, after a linear warm-up, then cosine decay to 10 % (the encoder's
    warmup_steps: int = 100       # over its own encoder_steps)
    logvar_weight: float = 0.1    # the encoder's loss: |mean - teacher's|² + this x |log-variance - teacher's|²
    stroke_weight: float = VaeTraining.stroke_weight
    worst_weight: float = VaeTraining.worst_weight
    worst_pixels: int = VaeTraining.worst_pixels
    seed: int = 2


def load_teacher(folder: Path, norm_num_groups: int):
    from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL

    teacher = AutoencoderKL.from_pretrained(folder).eval().requires_grad_(False)
    if teacher.config.norm_num_groups == norm_num_groups:
        raise SystemExit(f"{folder} already has norm_num_groups = {norm_num_groups}: refit from the VAE that "
                         "training.train_vae writes (or the one in git history, commit ecdab8b)")
    return teacher


def student_of(teacher, norm_num_groups: int):
    """A fresh AutoencoderKL of the teacher's shape and scaling factor, but with norm_num_groups groups."""
    from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL

    return AutoencoderKL.from_config({**teacher.config, "norm_num_groups": norm_num_groups})


def encoder_loss(student, teacher_posterior, x: torch.Tensor, logvar_weight: float) -> torch.Tensor:
    """How far the student's posterior q(z|x) is from the teacher's: mean squared error of the means, plus
    logvar_weight x that of the log-variances."""
    posterior = student.encode(x).latent_dist
    return ((posterior.mean - teacher_posterior.mean).pow(2).mean()
            + logvar_weight * (posterior.logvar - teacher_posterior.logvar).pow(2).mean())


def refit_loss(student, teacher, config: RefitTraining, step: int, generator: torch.Generator) -> torch.Tensor:
    images, scenes = scene_batch(config.batch_size, config.seed * 1_000_003 + step, "train")
    x = images * 2 - 1
    with torch.no_grad():
        posterior = teacher.encode(x).latent_dist
    reconstruction = student.decode(posterior.sample(generator)).sample
    loss = reconstruction_loss(reconstruction, x, stroke_weights(images, scenes, config.stroke_weight),
                               config.worst_weight, config.worst_pixels)
    if step < config.encoder_steps:
        loss = loss + encoder_loss(student, posterior, x, config.logvar_weight)
    return loss


def train(config: RefitTraining, teacher_folder: Path, work_dir: Path, out: Path, max_minutes: float,
          every: int) -> None:
    teacher = load_teacher(teacher_folder, config.norm_num_groups)
    torch.manual_seed(config.seed)
    student = student_of(teacher, config.norm_num_groups)
    encoder = [*student.encoder.parameters(), *student.quant_conv.parameters()]
    decoder = [*student.decoder.parameters(), *student.post_quant_conv.parameters()]
    optimizer = torch.optim.AdamW([{"params": encoder}, {"params": decoder}], lr=config.learning_rate,
                                  weight_decay=0.0)
    generator = torch.Generator().manual_seed(config.seed)
    training = Training({"vae": student}, optimizer, config.steps, work_dir, generator)

    def before_step(step: int) -> None:
        if step >= config.encoder_steps and student.encoder.training:
            lock_encoder(student)

    def rates(step: int) -> list[float]:
        peak, warm = config.learning_rate, config.warmup_steps
        return [phased_cosine(min(step, config.encoder_steps - 1), peak, warm, config.encoder_steps, config.steps),
                phased_cosine(step, peak, warm, config.steps, config.steps)]

    def checkpoint(step: int, final: bool) -> None:
        if final:
            student.eval().save_pretrained(out, safe_serialization=True)

    student.train()
    step = run(training, lambda step: refit_loss(student, teacher, config, step, generator), rates, checkpoint,
               max_minutes, every, before_step)
    print(f"wrote {out} (step {step}, norm_num_groups {config.norm_num_groups}, scaling factor "
          f"{student.config.scaling_factor:.4f} as the teacher's)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=RefitTraining.steps)
    parser.add_argument("--teacher", type=Path, default=FOLDER / "vae")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/scene_vae_refit"))
    parser.add_argument("--out", type=Path, default=FOLDER / "vae")
    parser.add_argument("--max-minutes", type=float, default=60.0)
    parser.add_argument("--every", type=int, default=500, help="checkpoint every this many steps")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    train(RefitTraining(steps=options.steps), options.teacher, options.work_dir, options.out, options.max_minutes,
          options.every)


if __name__ == "__main__":
    main()
