"""Captioned scenes made from scikit-learn's real handwritten digits: the data of the small CLIP, VAE and
text-conditioned U-Net trained here in Stable Diffusion's shape.

A scene is a 64x64 RGB canvas with one or two real digits on it, each coloured and sized, on a coloured background;
its caption says what is there in plain English ("a small blue two", "a yellow three on the left and a blue eight on
the right"). The held-out split is by digit image: a test scene only uses digit images no model was trained on.
Everything is a pure function of a seed.
"""
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch

SIDE = 64                                    # the canvas is SIDE x SIDE x 3, as Stable Diffusion's 512x512x3 / 8
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COLOURS = {                                  # name -> RGB in [0, 1]
    "red": (0.90, 0.10, 0.10), "green": (0.10, 0.75, 0.20), "blue": (0.15, 0.30, 0.95),
    "yellow": (0.95, 0.90, 0.10), "white": (1.00, 1.00, 1.00), "purple": (0.60, 0.20, 0.80),
    "orange": (1.00, 0.55, 0.05),
}
BACKGROUNDS = {"black": (0.0, 0.0, 0.0)} | COLOURS
SIZES = {"small": 16, "medium": 22, "large": 30}   # the digit's side in pixels; "medium" is never said
POSITIONS = ("centre", "left", "right")
WORDS = ("a", "an", "on", "the", "and", "background", *DIGITS, *BACKGROUNDS, "small", "large", "left", "right")
TEST_EVERY = 5                               # digit images whose index is a multiple of 5 are held out (360 of 1,797)
MIN_CONTRAST = 0.6                           # a digit's colour and its background differ by at least this (RGB)


@dataclass(frozen=True)
class Thing:
    digit: int            # 0..9
    colour: str           # a key of COLOURS
    size: str             # a key of SIZES
    position: str         # "centre" (alone), "left" or "right"
    sample: int           # index of the handwritten digit image in scikit-learn's 1,797


@dataclass(frozen=True)
class Scene:
    things: tuple[Thing, ...]
    background: str
    caption: str


@lru_cache(maxsize=1)
def digit_bank() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (1797, 8, 8) intensities in [0, 1] and their labels (1797,)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)
    images.setflags(write=False)
    labels = data.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


@lru_cache(maxsize=len(SIZES))
def inks(side: int) -> np.ndarray:
    """Every digit image bilinear-upsampled to side x side: (1797, side, side) in [0, 1], made once per size."""
    images, _ = digit_bank()
    ink = torch.nn.functional.interpolate(torch.tensor(images)[:, None], size=(side, side), mode="bilinear",
                                          align_corners=False)[:, 0].clamp(0, 1).numpy()
    ink.setflags(write=False)
    return ink


@lru_cache(maxsize=2)
def samples_of(split: str) -> tuple[tuple[int, ...], ...]:
    """For each digit 0..9, the indices of its images in the split ('train' or 'test')."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    _, labels = digit_bank()
    held_out = (np.arange(len(labels)) % TEST_EVERY) == 0
    keep = held_out if split == "test" else ~held_out
    return tuple(tuple(int(i) for i in np.flatnonzero(keep & (labels == d))) for d in range(10))


def contrast(a: str, b: str) -> float:
    return float(np.linalg.norm(np.subtract(BACKGROUNDS[a], BACKGROUNDS[b])))


def describe(thing: Thing, say_size: bool, say_colour: bool = True) -> str:
    words = [thing.size if say_size and thing.size != "medium" else "", thing.colour if say_colour else "",
             DIGITS[thing.digit]]
    words = [word for word in words if word]
    return ("an " if words[0][0] in "aeiou" else "a ") + " ".join(words)


def on_background(text: str, background: str) -> str:
    """The caption's last phrase: "a red seven" -> "a red seven on a blue background"."""
    return f"{text} on {'an' if background[0] in 'aeiou' else 'a'} {background} background"


def short_caption(thing: Thing, background: str | None) -> str:
    """A lone digit's caption without its size: "a red seven", with " on a blue background" when a background
    other than black is given (black is the one the scenes' captions may leave unsaid)."""
    text = describe(thing, say_size=False)
    return on_background(text, background) if background not in (None, "black") else text


def caption_of(things: tuple[Thing, ...], background: str, rng: np.random.Generator) -> str:
    """The plain-English caption; optional words (size, a black background, the colour of a lone digit) are said
    only sometimes, so that short prompts ("a red seven", "a seven") are in the training data too."""
    if len(things) == 1:
        text = describe(things[0], say_size=rng.random() < 0.6, say_colour=rng.random() < 0.9)
    else:
        first, second = things if rng.random() < 0.5 else things[::-1]
        text = (f"{describe(first, rng.random() < 0.6)} on the {first.position} and "
                f"{describe(second, rng.random() < 0.6)} on the {second.position}")
    if background != "black" or rng.random() < 0.3:
        text = on_background(text, background)
    return text


def random_scene(rng: np.random.Generator, split: str = "train", n_things: int | None = None) -> Scene:
    """One scene: one digit (centred) or two (left and right), distinct colours, a background that contrasts."""
    n = n_things or (1 if rng.random() < 0.5 else 2)
    background = "black" if rng.random() < 0.5 else str(rng.choice(list(BACKGROUNDS)))
    colours = [c for c in COLOURS if contrast(c, background) >= MIN_CONTRAST]
    chosen = rng.choice(colours, size=n, replace=False)
    bank = samples_of(split)
    things = []
    for colour, position in zip(chosen, ("centre",) if n == 1 else ("left", "right")):
        digit = int(rng.integers(10))
        things.append(Thing(digit, str(colour), str(rng.choice(list(SIZES))), position,
                            int(rng.choice(bank[digit]))))
    things = tuple(things)
    return Scene(things, background, caption_of(things, background, rng))


def placement(thing: Thing, rng: np.random.Generator) -> tuple[int, int]:
    """The digit's top-left corner: a lone digit near the centre, a pair in the left and right halves."""
    side = SIZES[thing.size]
    centre_x = {"centre": 32, "left": 16, "right": 48}[thing.position] + rng.integers(-4, 5)
    centre_y = 32 + rng.integers(-8, 9)
    top = int(np.clip(centre_y - side // 2, 0, SIDE - side))
    left = int(np.clip(centre_x - side // 2, 0, SIDE - side))
    return top, left


def render(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """The scene as (SIDE, SIDE, 3) float32 in [0, 1]: each digit's ink (bilinear-upsampled) is its colour's alpha."""
    canvas = np.broadcast_to(np.float32(BACKGROUNDS[scene.background]), (SIDE, SIDE, 3)).copy()
    for thing in scene.things:
        side = SIZES[thing.size]
        ink = inks(side)[thing.sample]                                                  # (side, side)
        top, left = placement(thing, rng)
        patch = canvas[top:top + side, left:left + side]
        alpha = ink[..., None]                                                          # (side, side, 1)
        canvas[top:top + side, left:left + side] = (1 - alpha) * patch + alpha * np.float32(COLOURS[thing.colour])
    return canvas


def scene_batch(n: int, seed: int, split: str = "train", n_things: int | None = None
                ) -> tuple[torch.Tensor, list[Scene]]:
    """n scenes drawn with one seed: images (n, 3, SIDE, SIDE) in [0, 1] and their scenes (with captions)."""
    rng = np.random.default_rng(seed)
    scenes = [random_scene(rng, split, n_things) for _ in range(n)]
    images = np.stack([render(scene, rng) for scene in scenes]).transpose(0, 3, 1, 2)   # (n, 3, SIDE, SIDE)
    return torch.from_numpy(np.ascontiguousarray(images)), scenes


def digit_twin(scene: Scene, rng: np.random.Generator, split: str = "train") -> Scene:
    """The same scene with one digit changed (another digit, another writer's image) and the caption changed in that
    one word: a hard negative, which only the digit's shape tells apart."""
    k = int(rng.integers(len(scene.things)))
    old = scene.things[k]
    digit = int(rng.choice([d for d in range(10) if d != old.digit]))
    new = replace(old, digit=digit, sample=int(rng.choice(samples_of(split)[digit])))
    parts = scene.caption.split(" and ")                     # a pair's two descriptions, each with its position
    part = 0 if len(parts) == 1 else next(i for i, p in enumerate(parts) if f"on the {old.position}" in p)
    parts[part] = re.sub(rf"\b{DIGITS[old.digit]}\b", DIGITS[digit], parts[part], count=1)
    things = tuple(new if i == k else thing for i, thing in enumerate(scene.things))
    return Scene(things, scene.background, " and ".join(parts))


def twin_batch(n: int, seed: int, split: str = "train") -> tuple[torch.Tensor, list[Scene]]:
    """n scenes in n / 2 pairs that differ in one digit only (CLIP's training batches: without such pairs a small
    CLIP learns the colours and never looks at the shapes)."""
    rng = np.random.default_rng(seed)
    scenes = []
    for _ in range(n // 2):
        scene = random_scene(rng, split)
        scenes += [scene, digit_twin(scene, rng, split)]
    images = np.stack([render(scene, rng) for scene in scenes]).transpose(0, 3, 1, 2)   # (n, 3, SIDE, SIDE)
    return torch.from_numpy(np.ascontiguousarray(images)), scenes


THING = re.compile(r"an? (?:(small|large) )?(?:(\w+) )?(\w+)(?: on the (left|right))?")


def parse_caption(caption: str) -> tuple[list[dict], str | None] | None:
    """A caption of the scenes' grammar read back: [{size, colour, digit, position}] (None for words not said) and
    the background; None if the text is not in the grammar (the judge then has nothing to check)."""
    background = None
    match = re.search(r" on an? (\w+) background$", caption)
    if match:
        background, caption = match.group(1), caption[:match.start()]
    things = []
    for part in caption.split(" and "):
        m = THING.fullmatch(part.strip())
        if not m or m.group(3) not in DIGITS or (m.group(2) and m.group(2) not in COLOURS):
            return None
        size, colour, digit, position = m.groups()
        things.append({"size": size, "colour": colour, "digit": DIGITS.index(digit), "position": position or "centre"})
    if len(things) > 2 or (background and background not in BACKGROUNDS):
        return None
    return things, background


def caption_corpus(n: int = 20_000, seed: int = 0) -> list[str]:
    """Captions alone (no rendering): what the tokenizer is trained on."""
    rng = np.random.default_rng(seed)
    return [random_scene(rng).caption for _ in range(n)]
