"""How good the text-to-image model trained here is, measured by the scenes' judge (models/scene_judge.py) on
seeded samples (the model card, tests, bench):
- the VAE: the judge on held-out scenes and on their reconstructions (digit and colour), and the pixel error;
- text to image: for prompts of one digit, the share of samples in which the judge reads the asked digit and the
  asked colour; for prompts of two, both digits and both colours right; the diversity of the samples (in the scenes'
  CLIP image space: what they show; and in pixels, which guidance's extra contrast inflates); all against w;
- cross-attention: for two-digit prompts, whether each colour word's map has more mass on its digit's half, and on
  the half where that colour was actually drawn (the maps as an explanation of the picture, right or wrong).

    .venv/bin/python -m training.text_to_image_quality
"""
from dataclasses import dataclass

import numpy as np
import torch

from core.cross_attention import cross_attention_maps, more_on_left, recording_cross_attention
from core.diffusion import sampling_timesteps
from core.latent import from_latent, prompt_embeddings, text_sample, to_latent, to_pixels
from core.sample_quality import mean_pairwise_cosine_distance, mean_pairwise_distance
from models.scene_judge import COLOUR_NAMES, SLOTS, faithfulness, read_scenes
from models.scenes import (DIGITS, MIN_CONTRAST, SIZES, Thing, contrast, parse_caption, scene_batch,
                           short_caption)


@dataclass(frozen=True)
class VaeQuality:
    digit_original: float
    digit_reconstructed: float
    colour_original: float
    colour_reconstructed: float
    mean_abs_error: float         # per pixel and channel, in 0..1
    digit_by_size: dict           # size -> (share read in the originals, in the reconstructions)
    colour_by_background: dict    # "black" / "coloured" -> (colour read in the originals, in the reconstructions)
    spike_by_background: dict     # "black" / "coloured" -> decoder_spike of those scenes' reconstructions


def judged(judge, images: torch.Tensor, scenes) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per digit of every scene: whether the judge reads its digit and its colour, and its size."""
    digits, colours = read_scenes(judge, images)
    right_digit, right_colour, sizes = [], [], []
    for i, scene in enumerate(scenes):
        for thing in scene.things:
            slot = SLOTS.index(thing.position)
            right_digit.append(int(digits[i, slot]) == thing.digit)
            right_colour.append(COLOUR_NAMES[int(colours[i, slot])] == thing.colour)
            sizes.append(thing.size)
    return np.array(right_digit), np.array(right_colour), sizes


@torch.no_grad()
def decoder_spike(vae, images: torch.Tensor) -> float:
    """How far the decoder's largest activation stands out where its last GroupNorm (conv_norm_out) reads it: in the
    last up-block's output (full size), per image the largest |value| over channels at each pixel, its max over the
    pixels / its median; the mean over the images. A 16-channel norm in 16 groups removes each channel's mean over
    the image (a uniform background's level), and a decoder trained so put it back through one spike beside each
    digit (25x on coloured backgrounds): the speck. images (B, 3, H, W) in [0, 1], encoded to their latent means."""
    seen = {}
    hook = vae.decoder.up_blocks[-1].register_forward_hook(lambda module, args, out: seen.update(out=out))
    try:
        vae.decode(vae.encode(images.to(vae.device) * 2 - 1).latent_dist.mean)
    finally:
        hook.remove()
    largest = seen["out"].abs().amax(dim=1).flatten(1)
    return float((largest.amax(dim=1) / largest.median(dim=1).values).mean())


def vae_quality(pipe, judge, n: int = 512, seed: int = 31) -> VaeQuality:
    """The judge on held-out scenes and on their VAE reconstructions, overall and per digit size (a small digit is
    16 pixels, two latent cells: the 48x compression costs it most)."""
    images, scenes = scene_batch(n, seed, "test")
    reconstructed = torch.cat([torch.from_numpy(to_pixels(from_latent(pipe.vae, to_latent(
        pipe.vae, chunk.to(pipe.device) * 2 - 1, pipe.scaling), pipe.scaling))).permute(0, 3, 1, 2)
        for chunk in images.split(128)])
    d0, c0, sizes = judged(judge, images, scenes)
    d1, c1, _ = judged(judge, reconstructed, scenes)
    sizes = np.array(sizes)
    by_size = {size: (float(d0[sizes == size].mean()), float(d1[sizes == size].mean()))
               for size in SIZES if (sizes == size).any()}
    black = np.array([scene.background == "black" for scene in scenes for _ in scene.things])
    by_background = {name: (float(c0[keep].mean()), float(c1[keep].mean()))
                     for name, keep in (("black", black), ("coloured", ~black))}
    on_black = torch.tensor([scene.background == "black" for scene in scenes])
    spikes = {name: decoder_spike(pipe.vae, images[keep][:64])
              for name, keep in (("black", on_black), ("coloured", ~on_black))}
    return VaeQuality(float(d0.mean()), float(d1.mean()), float(c0.mean()), float(c1.mean()),
                      float((reconstructed - images).abs().mean()), by_size, by_background, spikes)


def sample_prompt(pipe, prompt: str, w: float, n: int, seed: int, steps: int, record: bool = False):
    """n samples of one prompt at one w: images (n, 3, S, S) in [0, 1], and the DAAM maps (n, L, h, w) if asked."""
    embedded, empty = prompt_embeddings(pipe.tokenizer, pipe.text_encoder, [prompt, ""]).split(1)
    noise = torch.randn((n, *pipe.latent_shape), generator=torch.Generator().manual_seed(seed)).to(pipe.device)
    maps = None
    if record:
        with recording_cross_attention(pipe.unet) as attention:
            run = text_sample(pipe.unet, embedded, empty, [w], noise, pipe.alphas_cumprod, sampling_timesteps(steps))
        maps = torch.stack([cross_attention_maps(attention.calls, pipe.latent_shape[-1], rows=slice(i, i + 1))
                            for i in range(n)])
    else:
        run = text_sample(pipe.unet, embedded, empty, [w], noise, pipe.alphas_cumprod, sampling_timesteps(steps))
    images = torch.from_numpy(to_pixels(from_latent(pipe.vae, run.final, pipe.scaling))).permute(0, 3, 1, 2)
    return images, maps


def one_digit_prompts(k: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"{'an' if c[0] in 'aeiou' else 'a'} {c} {DIGITS[int(rng.integers(10))]}"
            for c in rng.choice(COLOUR_NAMES, size=k)]


def prompts_on_backgrounds(k: int, seed: int) -> list[str]:
    """One digit on a coloured background ("a red seven on a white background"), colours that contrast as in the
    scenes; the other prompts of the report leave the background black."""
    rng = np.random.default_rng(seed)
    prompts = []
    while len(prompts) < k:
        colour, background = rng.choice(COLOUR_NAMES, size=2, replace=False)
        if contrast(colour, background) >= MIN_CONTRAST:
            thing = Thing(int(rng.integers(10)), str(colour), "medium", "centre", 0)
            prompts.append(short_caption(thing, str(background)))
    return prompts


def on_backgrounds_quality(pipe, judge, weights=(0.0, 3.0, 7.5), prompts: int = 8, samples: int = 8,
                           steps: int = 30, seed: int = 9) -> dict:
    """Per w: the share of samples of prompts_on_backgrounds whose digit, and whose colour, the judge reads."""
    table = {}
    for w in weights:
        digit, colour = [], []
        for k, prompt in enumerate(prompts_on_backgrounds(prompts, seed)):
            d, c = faithfulness(judge, sample_prompt(pipe, prompt, w, samples, seed * 1000 + k, steps)[0], prompt)
            digit.append(d.mean()), colour.append(c.mean())
        table[w] = (float(np.mean(digit)), float(np.mean(colour)))
    return table


def two_digit_prompts(k: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    prompts = []
    for _ in range(k):
        left, right = rng.choice(COLOUR_NAMES, size=2, replace=False)
        a, b = (DIGITS[int(d)] for d in rng.integers(10, size=2))
        article = ["an" if c[0] in "aeiou" else "a" for c in (left, right)]
        prompts.append(f"{article[0]} {left} {a} on the left and {article[1]} {right} {b} on the right")
    return prompts


def judge_on_real_pairs(judge, n: int = 1024, seed: int = 77) -> float:
    """What "both digits and both colours right" means for real scenes: the share of real held-out two-digit scenes
    whose four attributes the judge reads right (it misreads real digits too; the U-Net's samples, bolder and more
    alike, it reads more easily)."""
    images, scenes = scene_batch(n, seed, "test", n_things=2)
    digits, colours = judged(judge, images, scenes)[:2]
    return float((digits & colours).reshape(n, 2).all(axis=1).mean())


def colour_words_on_left(maps: torch.Tensor, tokenizer, prompt: str) -> tuple[list[dict], torch.Tensor]:
    """A two-digit prompt's things (parse_caption) and, per sample and thing, whether its colour word's map
    (maps: (n, L, h, w)) has more mass on the left half: (n, things) bools."""
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(prompt).input_ids)
    things, _ = parse_caption(prompt)
    return things, more_on_left(maps[:, [tokens.index(thing["colour"] + "</w>") for thing in things]])


def words_on_their_half(maps: torch.Tensor, tokenizer, prompt: str) -> torch.Tensor:
    """For a two-digit prompt, per sample and colour word: has the word's map more mass on its own digit's half?
    (n, 2) bools."""
    things, on_left = colour_words_on_left(maps, tokenizer, prompt)
    return on_left == torch.tensor([thing["position"] == "left" for thing in things])


def attention_on_its_half(maps: torch.Tensor, tokenizer, prompt: str) -> list[bool]:
    """For a two-digit prompt and each sample: both colour words have more map mass on their own half."""
    return words_on_their_half(maps, tokenizer, prompt).all(dim=1).tolist()


def attention_follows_drawing(maps: torch.Tensor, tokenizer, prompt: str, colours: torch.Tensor) -> list[bool]:
    """Whether the maps explain the picture, right or wrong: for each colour word of a two-digit prompt and each
    sample in which the judge reads that colour on exactly one half (colours: (n, slots) from read_scenes), does the
    word's map have more mass on that half? A swapped pair with swapped maps counts as agreeing."""
    things, on_left = colour_words_on_left(maps, tokenizer, prompt)
    results = []
    for read, left in zip(colours, on_left):
        for thing, word_on_left in zip(things, left.tolist()):
            drawn = [side for side in ("left", "right") if COLOUR_NAMES[int(read[SLOTS.index(side)])] == thing["colour"]]
            if len(drawn) == 1:
                results.append(word_on_left == (drawn[0] == "left"))
    return results


def text_to_image_quality(pipe, judge, weights=(0.0, 3.0, 7.5), prompts: int = 8, samples: int = 8,
                          steps: int = 30, seed: int = 5) -> dict:
    """Per w: one-digit digit and colour accuracy, two-digit all-right accuracy, diversity of one-digit samples
    (RMS pixel distance, and 1 − cos in the scenes' CLIP image space); and the cross-attention check at the
    largest w."""
    from models.scene_clip import load_scene_clip

    clip = load_scene_clip()
    singles, pairs = one_digit_prompts(prompts, seed), two_digit_prompts(prompts, seed + 1)
    table = {}
    for w in weights:
        digit, colour, both, spread, shown = [], [], [], [], []
        for k, prompt in enumerate(singles):
            images, _ = sample_prompt(pipe, prompt, w, samples, seed * 1000 + k, steps)
            d, c = faithfulness(judge, images, prompt)
            digit.append(d.mean()), colour.append(c.mean())
            spread.append(mean_pairwise_distance(images) / np.sqrt(images[0].numel()))
            shown.append(mean_pairwise_cosine_distance(clip.image_embeddings(images)))
        for k, prompt in enumerate(pairs):
            images, _ = sample_prompt(pipe, prompt, w, samples, seed * 2000 + k, steps)
            d, c = faithfulness(judge, images, prompt)
            both.append((d & c).mean())
        table[w] = {"digit": float(np.mean(digit)), "colour": float(np.mean(colour)),
                    "two_digits_all_right": float(np.mean(both)), "diversity": float(np.mean(spread)),
                    "clip_diversity": float(np.mean(shown))}
    on_half, each, follows = [], [], []
    for k, prompt in enumerate(pairs):
        images, maps = sample_prompt(pipe, prompt, max(weights), samples, seed * 3000 + k, steps, record=True)
        words = words_on_their_half(maps, pipe.tokenizer, prompt)
        on_half += words.all(dim=1).tolist()
        each += words.flatten().tolist()
        follows += attention_follows_drawing(maps, pipe.tokenizer, prompt, read_scenes(judge, images)[1])
    return {"per_w": table, "attention_on_its_half": float(np.mean(on_half)),
            "colour_word_on_its_half": float(np.mean(each)),
            "attention_follows_drawing": float(np.mean(follows)) if follows else float("nan"),
            "prompts": prompts, "samples": samples, "steps": steps}


def main() -> None:
    import argparse

    from models.image_pipeline import load_image_pipeline
    from models.scene_judge import load_scene_judge
    from models.scene_pipeline import FOLDER

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(FOLDER), help="a pipeline folder (default: the committed one)")
    pipe, judge = load_image_pipeline(parser.parse_args().folder, "cpu"), load_scene_judge()
    v = vae_quality(pipe, judge)
    print(f"VAE on 512 held-out scenes: the judge reads the digit {v.digit_original:.1%} in the originals, "
          f"{v.digit_reconstructed:.1%} in the reconstructions; colour {v.colour_original:.1%} / "
          f"{v.colour_reconstructed:.1%}; mean |error| {v.mean_abs_error:.3f}; digit by size: " + ", ".join(
              f"{size} {a:.1%} -> {b:.1%}" for size, (a, b) in v.digit_by_size.items()) + "; colour on a black "
          "background {:.1%} -> {:.1%}, on a coloured one {:.1%} -> {:.1%}".format(
              *v.colour_by_background["black"], *v.colour_by_background["coloured"]))
    print("the decoder's largest activation in its last up-block / the median (decoder_spike): {:.1f} on black "
          "backgrounds, {:.1f} on coloured ones".format(v.spike_by_background["black"],
                                                        v.spike_by_background["coloured"]))
    print(f"the judge on 1,024 real held-out pairs: all four attributes right in {judge_on_real_pairs(judge):.1%}")
    q = text_to_image_quality(pipe, judge)
    for w, row in q["per_w"].items():
        print(f"w = {w:g}: one digit: digit {row['digit']:.1%}, colour {row['colour']:.1%}; two digits all right "
              f"{row['two_digits_all_right']:.1%}; diversity {row['clip_diversity']:.3f} (CLIP space), "
              f"{row['diversity']:.3f} (pixels)")
    print(f"cross-attention: both colour words' maps on their digit's half in {q['attention_on_its_half']:.1%} of "
          f"the two-digit samples ({q['prompts']} prompts x {q['samples']} samples, {q['steps']} steps), each colour "
          f"word's in {q['colour_word_on_its_half']:.1%}; on the half where the judge reads that colour drawn in "
          f"{q['attention_follows_drawing']:.1%}")
    for w, (digit, colour) in on_backgrounds_quality(pipe, judge).items():
        print(f"w = {w:g}: one digit on a coloured background (8 prompts x 8): digit {digit:.1%}, colour {colour:.1%}")


if __name__ == "__main__":
    main()
