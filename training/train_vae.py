"""Train the scenes' VAE (diffusers AutoencoderKL, 64x64x3 <-> 8x8x4) on captioned scenes.

    .venv/bin/python -m training.train_vae                      # about 50 + 58 min on one core of this CPU
    .venv/bin/python -m training.train_vae --max-minutes 10     # stop early; run again to resume
    .venv/bin/python -m training.train_vae --steps 2400         # the joint phase only

The loss is Stable Diffusion's VAE loss without its learned perceptual and adversarial terms (no weights for them
install offline): |x - x̂| + (x - x̂)² per pixel, plus a small KL term (1e-6 x the sum over the latent) that keeps
the latent close to a Gaussian. In the decoder's own phase each pixel's error is weighted by how far the pixel is
from the background (1 + stroke_weight x that distance): a digit's thin strokes are a few percent of the pixels,
and an even loss let their colour blend into a coloured background (a red seven on white came back orange); and a
term on each image's worst pixels (worst_weight x their mean error) sharpens the strokes' edges. At
the end the scaling factor s = 1 / std(latent) is measured on 2,048 scenes and written into the config, as Stable
Diffusion's 0.18215 was. Seeded, resumable, time-limited.
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from models.scene_pipeline import FOLDER, build_vae
from models.scenes import BACKGROUNDS, scene_batch
from training.loop import Training, phased_cosine, run


@dataclass(frozen=True)
class VaeTraining:
    steps: int = 6400             # batches of scenes in all (4,000 of them the decoder's alone)
    joint_steps: int = 2400       # the first ones train encoder and decoder; after them the encoder is locked and
                                  # only the decoder learns (as Stable Diffusion's ft-MSE decoder was made): the
                                  # latents, and so the U-Net trained on them, stay valid
    batch_size: int = 32
    learning_rate: float = 1e-3   # AdamW peak, after a linear warm-up, then cosine decay to 10 %
    warmup_steps: int = 100
    kl_weight: float = 1e-6       # Stable Diffusion's KL weight
    stroke_weight: float = 10.0   # decoder phase: a pixel's error counts 1 + this x its distance from the background
    worst_weight: float = 0.05    # decoder phase: + this x the mean error of each image's worst_pixels worst pixels
    worst_pixels: int = 32
    seed: int = 1


def vae_loss(vae, x: torch.Tensor, kl_weight: float, generator: torch.Generator,
             weight: torch.Tensor | None = None, worst_weight: float = 0.0, worst_pixels: int = 32) -> torch.Tensor:
    """x (B, 3, 64, 64) in [-1, 1] -> reconstruction (L1 + L2 per pixel; a weighted mean when weight (B, 1, 64, 64)
    is given) + kl_weight x KL(q(z|x) || N(0, I)) + worst_weight x the mean error of each image's worst_pixels
    worst pixels."""
    posterior = vae.encode(x).latent_dist
    reconstruction = vae.decode(posterior.sample(generator)).sample
    return (reconstruction_loss(reconstruction, x, weight, worst_weight, worst_pixels)
            + kl_weight * posterior.kl().mean())


def reconstruction_loss(reconstruction: torch.Tensor, x: torch.Tensor, weight: torch.Tensor | None = None,
                        worst_weight: float = 0.0, worst_pixels: int = 32) -> torch.Tensor:
    """L1 + L2 per pixel (a weighted mean when weight (B, 1, H, W) is given) + worst_weight x the mean error of each
    image's worst_pixels worst pixels."""
    error = reconstruction - x
    per_pixel = error.abs() + error.pow(2)
    loss = per_pixel.mean() if weight is None else (weight * per_pixel).mean() / weight.mean()
    if worst_weight:
        loss = loss + worst_weight * per_pixel.sum(dim=1).flatten(1).topk(worst_pixels, dim=1).values.mean()
    return loss


def stroke_weights(images: torch.Tensor, scenes, stroke_weight: float) -> torch.Tensor:
    """images (B, 3, H, W) in [0, 1] -> (B, 1, H, W): 1 on the background, up to 1 + stroke_weight on a digit's
    stroke (its largest channel difference from the scene's background colour)."""
    background = torch.tensor([BACKGROUNDS[scene.background] for scene in scenes], dtype=images.dtype)
    return 1 + stroke_weight * (images - background[:, :, None, None]).abs().amax(dim=1, keepdim=True)


def lock_encoder(vae) -> None:
    """Phase 2: the encoder (and its quant_conv) stop learning and stay in eval mode; the decoder goes on."""
    for module in (vae.encoder, vae.quant_conv):
        module.requires_grad_(False).eval()


@torch.no_grad()
def scaling_factor(vae, n: int = 2048, seed: int = 12345) -> float:
    images, _ = scene_batch(n, seed, "train")
    latents = torch.cat([vae.encode(chunk * 2 - 1).latent_dist.mean for chunk in images.split(256)])
    return float(1.0 / latents.std())


def train(config: VaeTraining, work_dir: Path, out: Path, max_minutes: float, every: int) -> None:
    torch.manual_seed(config.seed)
    vae = build_vae()
    optimizer = torch.optim.AdamW(vae.parameters(), lr=config.learning_rate, weight_decay=0.0)
    generator = torch.Generator().manual_seed(config.seed)
    training = Training({"vae": vae}, optimizer, config.steps, work_dir, generator)
    print(f"VAE with {sum(p.numel() for p in vae.parameters()) / 1e6:.2f} M parameters", flush=True)

    def before_step(step: int) -> None:
        if step >= config.joint_steps and vae.encoder.training:
            lock_encoder(vae)

    def loss_at(step: int) -> torch.Tensor:
        images, scenes = scene_batch(config.batch_size, config.seed * 1_000_003 + step, "train")
        if step < config.joint_steps:
            return vae_loss(vae, images * 2 - 1, config.kl_weight, generator)
        return vae_loss(vae, images * 2 - 1, config.kl_weight, generator,
                        stroke_weights(images, scenes, config.stroke_weight), config.worst_weight, config.worst_pixels)

    def checkpoint(step: int, final: bool) -> None:
        if final:
            vae.eval()
            vae.register_to_config(scaling_factor=scaling_factor(vae))
            vae.save_pretrained(out, safe_serialization=True)

    vae.train()
    step = run(training, loss_at, lambda step: phased_cosine(step, config.learning_rate, config.warmup_steps,
                                                             config.joint_steps, config.steps),
               checkpoint, max_minutes, every, before_step)
    print(f"wrote {out} (step {step}, scaling factor {vae.config.scaling_factor:.4f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=VaeTraining.steps,
                        help=f"batches in all; beyond {VaeTraining.joint_steps} only the decoder learns")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/scene_vae_train"))
    parser.add_argument("--out", type=Path, default=FOLDER / "vae")
    parser.add_argument("--max-minutes", type=float, default=40.0)
    parser.add_argument("--every", type=int, default=200, help="checkpoint every this many steps")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    train(VaeTraining(steps=options.steps), options.work_dir, options.out, options.max_minutes, options.every)


if __name__ == "__main__":
    main()
