"""Train the text-conditioned U-Net on the VAE's latents of captioned scenes, then write the whole pipeline folder.

    .venv/bin/python -m training.train_unet                      # needs the VAE and the CLIP first
    .venv/bin/python -m training.train_unet --max-minutes 30     # stop early; run again to resume
    .venv/bin/python -m training.train_unet --steps 22000        # the committed U-Net (token loss from 12,000)

The condition is the frozen CLIP text encoder's token vectors (last_hidden_state, the full padded length, no mask:
exactly what diffusers' StableDiffusionPipeline hands the U-Net). About 10 % of the captions are replaced by the
empty caption, so the one network also learns eps(z_t, t, "") for classifier-free guidance. Latents are
z_0 = s · E(x), noised with Stable Diffusion's own schedule. EMA weights are what is saved.

From step --grounded-from on, the loss also asks each word of a two-digit caption's phrases ("small", "red",
"seven") to be read by the cross-attention on its digit's half of the picture: TokenCompose's token loss. Without
it, the words' maps came out flat (DAAM showed nothing of where a word was drawn) and pairs were often swapped.

At the end (and at each checkpoint) the folder models/checkpoints/scene_pipeline is written in the layout of a
diffusers StableDiffusionPipeline: unet, vae, text_encoder, tokenizer, scheduler, model_index.json. Retraining the
CLIP means retraining this U-Net: it reads that text encoder's vectors.
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from core.cross_attention import grounding_loss, recording_cross_attention
from core.diffusion import denoising_loss
from models.scene_clip import FOLDER as CLIP_FOLDER
from models.scene_pipeline import FOLDER, build_scheduler, build_unet
from models.scenes import scene_batch
from training.loop import Training, run, warmup


@dataclass(frozen=True)
class UnetTraining:
    steps: int = 22_000           # batches of scenes (the committed U-Net's)
    batch_size: int = 128
    learning_rate: float = 4e-4   # AdamW, after a linear warm-up
    warmup_steps: int = 200
    caption_dropout: float = 0.1  # the share of captions replaced by "" (classifier-free guidance)
    reuse: int = 4                # U-Net steps per encoded batch, each with fresh t and noise (the VAE's encoder
                                  # costs several U-Net steps on a CPU)
    ema_decay: float = 0.999
    seed: int = 2
    grounded_from: int = 12_000   # from this step on, TokenCompose's token loss is added (core.cross_attention)
    grounding_weight: float = 0.2 # TokenCompose adds 1e-3 x theirs to Stable Diffusion, whose maps are already
                                  # grounded; here they were flat (each word read about as much on both halves)


def frozen_parts():
    from diffusers import AutoencoderKL
    from transformers import CLIPTextModel, CLIPTokenizer

    vae = AutoencoderKL.from_pretrained(FOLDER / "vae").eval().requires_grad_(False)
    text_encoder = CLIPTextModel.from_pretrained(CLIP_FOLDER).eval().requires_grad_(False)
    tokenizer = CLIPTokenizer.from_pretrained(CLIP_FOLDER, model_max_length=text_encoder.config.max_position_embeddings)
    return vae, text_encoder, tokenizer


@torch.no_grad()
def condition(tokenizer, text_encoder, captions: list[str]) -> torch.Tensor:
    ids = tokenizer(captions, padding="max_length", truncation=True, return_tensors="pt").input_ids     # (B, L)
    return text_encoder(ids).last_hidden_state                                                          # (B, L, d)


def encoded_batch(vae, tokenizer, text_encoder, config: UnetTraining, index: int, generator: torch.Generator):
    """Batch `index` of scenes as latents z_0 = s · E(x) (B, 4, 8, 8), caption token vectors (B, L, d) and the
    grounded words of its two-digit captions."""
    images, scenes = scene_batch(config.batch_size, config.seed * 1_000_003 + index, "train")
    with torch.no_grad():
        z0 = vae.encode(images * 2 - 1).latent_dist.sample(generator) * vae.config.scaling_factor
    captions = [scene.caption for scene in scenes]
    return z0, condition(tokenizer, text_encoder, captions), grounded_words(tokenizer, captions)


def grounded_words(tokenizer, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """In "a [size] colour digit on the left|right and a [size] colour digit on the right|left ...", the words of
    each digit's phrase (size, colour, digit) with its side: (rows, token indices, is-left), three (W,) tensors.
    One-digit captions ground nothing (the digit is in the middle)."""
    rows, tokens, left = [], [], []
    for row, caption in enumerate(captions):
        words = tokenizer.convert_ids_to_tokens(tokenizer(caption).input_ids)
        sides = [i for i, word in enumerate(words) if word in ("left</w>", "right</w>")]
        if len(sides) != 2:
            continue
        starts = (1, sides[0] + 2)                                    # after <|startoftext|>, after "and"
        for start, side in zip(starts, sides):
            phrase = range(start + 1, side - 2)                       # between the article and "on the"
            rows += [row] * len(phrase)
            tokens += list(phrase)
            left += [words[side] == "left</w>"] * len(phrase)
    return torch.tensor(rows, dtype=torch.long), torch.tensor(tokens, dtype=torch.long), torch.tensor(left)


def unet_loss(unet, z0, text, empty, alphas_cumprod, config: UnetTraining, generator: torch.Generator,
              words=None, parts: dict | None = None):
    """core.diffusion.denoising_loss with the text as the condition and the empty caption's vectors as "nothing";
    with `words` (grounded_words), plus grounding_weight x TokenCompose's grounding loss on the cross-attention
    of the captions that were not dropped. parts, if given, receives both terms."""
    kept = {}

    def predict(z_t, t, tokens):
        kept["rows"] = ~(tokens == empty).flatten(1).all(1)                          # captions not dropped
        return unet(z_t, t, encoder_hidden_states=tokens).sample

    if words is None:
        return denoising_loss(predict, z0, text, empty, config.caption_dropout, alphas_cumprod, generator)
    with recording_cross_attention(unet, keep_grad=True) as attention:
        mse = denoising_loss(predict, z0, text, empty, config.caption_dropout, alphas_cumprod, generator)
    rows, tokens, left = words
    use = kept["rows"][rows]
    grounding = grounding_loss(attention.calls, rows[use], tokens[use], left[use])
    if parts is not None:
        parts.update(mse=mse.item(), grounding=grounding.item())
    return mse + config.grounding_weight * grounding


def write_pipeline(ema, vae, text_encoder, tokenizer, out: Path) -> None:
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=ema,
                                   scheduler=build_scheduler(), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(out, safe_serialization=True)


def train(config: UnetTraining, work_dir: Path, out: Path, max_minutes: float, every: int) -> None:
    torch.manual_seed(config.seed)
    vae, text_encoder, tokenizer = frozen_parts()
    unet, ema = build_unet(text_encoder.config.hidden_size), build_unet(text_encoder.config.hidden_size)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    alphas_cumprod = build_scheduler().alphas_cumprod
    optimizer = torch.optim.AdamW(unet.parameters(), lr=config.learning_rate, weight_decay=0.0)
    generator = torch.Generator().manual_seed(config.seed)
    training = Training({"unet": unet, "ema": ema}, optimizer, config.steps, work_dir, generator,
                        ema=(ema, unet, config.ema_decay))
    print(f"U-Net with {sum(p.numel() for p in unet.parameters()) / 1e6:.2f} M parameters", flush=True)
    empty = condition(tokenizer, text_encoder, [""])                                                 # (1, L, d)
    batch, parts = {}, {}

    def loss_at(step: int) -> torch.Tensor:
        if "z0" not in batch or step % config.reuse == 0:          # each encoded batch serves `reuse` steps
            batch["z0"], batch["text"], batch["words"] = encoded_batch(vae, tokenizer, text_encoder, config,
                                                                       step // config.reuse, generator)
        words = batch["words"] if step >= config.grounded_from else None
        return unet_loss(unet, batch["z0"], batch["text"], empty, alphas_cumprod, config, generator, words, parts)

    def shown() -> dict:
        return {name: f"{value:.4f}" for name, value in parts.items()}

    unet.train()
    step = run(training, loss_at, lambda step: warmup(step, config.learning_rate, config.warmup_steps),
               lambda step, final: write_pipeline(ema, vae, text_encoder, tokenizer, out), max_minutes, every,
               after_step=shown)
    print(f"wrote {out} (EMA U-Net, step {step})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=UnetTraining.steps)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/scene_unet_train"))
    parser.add_argument("--out", type=Path, default=FOLDER)
    parser.add_argument("--max-minutes", type=float, default=60.0)
    parser.add_argument("--every", type=int, default=500, help="checkpoint every this many steps")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--grounded-from", type=int, default=UnetTraining.grounded_from,
                        help="the step from which the grounding loss is added")
    parser.add_argument("--grounding-weight", type=float, default=UnetTraining.grounding_weight)
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    config = UnetTraining(steps=options.steps, grounded_from=options.grounded_from,
                          grounding_weight=options.grounding_weight)
    train(config, options.work_dir, options.out, options.max_minutes, options.every)


if __name__ == "__main__":
    main()
