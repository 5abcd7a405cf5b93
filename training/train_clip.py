"""Train the small CLIP on captioned scenes with CLIP's symmetric contrastive loss (InfoNCE, learned temperature).

    .venv/bin/python -m training.train_clip                      # about 25 min on one core of this CPU
    .venv/bin/python -m training.train_clip --max-minutes 10     # stop early; run again to resume
    .venv/bin/python -m training.train_clip --steps 9000         # then 6,000 more steps with the text tower locked

Seeded (batch k is twin_batch(seed + k): pairs of scenes that differ in one digit only), resumable (the state is
saved to --work-dir), time-limited; writes the model with save_pretrained (safetensors) and the tokenizer into
models/checkpoints/scene_clip. Only train-split digit images are seen; training/clip_quality.py measures it on
the held-out ones.
"""
import argparse
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from models.caption_tokenizer import load_tokenizer, write_tokenizer
from models.scene_clip import FOLDER, build_clip, pixels, write_preprocessor
from models.scenes import twin_batch
from training.loop import Training, phased_cosine, run


@dataclass(frozen=True)
class ClipTraining:
    steps: int = 3000             # batches of scenes in all
    joint_steps: int = 3000       # the first ones train both towers; after them the text tower is locked (LiT's
                                  # idea, the other way round): the U-Net reads that text encoder, so it stays valid
    batch_size: int = 128         # the N of the N x N similarity matrix
    learning_rate: float = 1e-3   # AdamW peak of each phase, after a linear warm-up, then cosine decay to 10 %
    warmup_steps: int = 150
    weight_decay: float = 0.1
    seed: int = 0


def learning_rate(config: ClipTraining, step: int) -> float:
    """Phase 1 (both towers) and phase 2 (text locked) each warm up, then decay along a cosine over their length."""
    return phased_cosine(step, config.learning_rate, config.warmup_steps, config.joint_steps, config.steps)


def lock_text(model) -> None:
    """Phase 2: the text encoder and its projection stop learning; the image side and τ go on."""
    for module in (model.text_model, model.text_projection):
        module.requires_grad_(False)


def clip_step(model, tokenizer, config: ClipTraining, step: int) -> torch.Tensor:
    """The loss of one batch: CLIPModel's own symmetric cross-entropy over the N x N similarity matrix."""
    images, scenes = twin_batch(config.batch_size, config.seed * 1_000_003 + step, "train")
    text = tokenizer([scene.caption for scene in scenes], padding="max_length", truncation=True,
                     return_tensors="pt")
    return model(input_ids=text.input_ids, attention_mask=text.attention_mask, pixel_values=pixels(images),
                 return_loss=True).loss


def train(config: ClipTraining, work_dir: Path, out: Path, max_minutes: float, every: int) -> None:
    torch.manual_seed(config.seed)
    tokenizer = load_tokenizer(write_tokenizer(work_dir / "tokenizer"))
    model = build_clip(tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    training = Training({"model": model}, optimizer, config.steps, work_dir)
    print(f"CLIP with {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters", flush=True)

    def before_step(step: int) -> None:
        if step >= config.joint_steps and model.text_projection.weight.requires_grad:
            lock_text(model)

    def after_step() -> dict:
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))                                  # CLIP's cap of 100
        return {"scale": f"{model.logit_scale.exp().item():.1f}"}

    def checkpoint(step: int, final: bool) -> None:
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        write_preprocessor(out)

    model.train()
    step = run(training, lambda step: clip_step(model, tokenizer, config, step), partial(learning_rate, config),
               checkpoint, max_minutes, every, before_step, after_step, precision=3)
    print(f"wrote {out} (step {step})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=ClipTraining.steps,
                        help=f"batches in all; beyond {ClipTraining.joint_steps} the text tower is locked")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/scene_clip_train"))
    parser.add_argument("--out", type=Path, default=FOLDER)
    parser.add_argument("--max-minutes", type=float, default=40.0)
    parser.add_argument("--every", type=int, default=250, help="checkpoint every this many steps")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    train(ClipTraining(steps=options.steps), options.work_dir, options.out, options.max_minutes, options.every)


if __name__ == "__main__":
    main()
