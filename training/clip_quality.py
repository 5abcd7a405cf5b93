"""How well the scenes' CLIP does on held-out digit images (the model card, tests, bench): zero-shot digit and colour (with
one prompt per class that says the rest of the scene, with a bare prompt, and with CLIP's prompt ensembling), the
full caption among distractors, and retrieval recall@1 and @5 both ways.

    .venv/bin/python -m training.clip_quality
"""
from dataclasses import dataclass

import numpy as np
import torch

from core.clip import recall_at, similarity
from models.scenes import BACKGROUNDS, COLOURS, SIZES, Scene, Thing, describe, scene_batch, short_caption


@dataclass(frozen=True)
class ClipQuality:
    digit: float               # a lone digit: its caption with the right digit word beats the 9 other digits, each
                               # caption saying the rest as in the scene ("a red {digit} on a blue background")
    colour: float              # ... with the right colour word beats the 6 other colours
    digit_bare: float          # the same with bare captions, "a red {digit}" whatever the background: in the
    colour_bare: float         # scenes' captions an unsaid background is black, so on any other every one is false
    digit_ensembled: float     # the same, each class's text embedding the mean over prompt_ensemble's captions
    colour_ensembled: float
    caption: float             # a scene's caption beats 31 captions of other held-out scenes (1 in 32)
    image_to_text: tuple[float, float]      # recall@1, recall@5 in batches of 64 (chance 1/64, 5/64)
    text_to_image: tuple[float, float]
    n: int


def lone(scene: Scene) -> Thing:
    return scene.things[0]


def prompt_ensemble(thing: Thing) -> list[str]:
    """Every caption the scenes' grammar has for a lone `thing` (size unsaid, small or large; no background, or
    each background it can stand on): CLIP's prompt ensembling (Radford et al. 2021, 3.1.4) averages their
    embeddings, so the class is not tied to one phrasing."""
    captions = []
    for size in ("medium", *[s for s in SIZES if s != "medium"]):
        base = describe(Thing(thing.digit, thing.colour, size, "centre", 0), say_size=True)
        captions += [base] + [f"{base} on {'an' if b[0] in 'aeiou' else 'a'} {b} background"
                              for b in BACKGROUNDS if b != thing.colour]
    return captions


def class_embeddings(clip, things: list[Thing], ensemble: bool, background: str | None = None) -> torch.Tensor:
    """(classes, D): one caption's embedding per class, or the mean of the unit embeddings of its ensemble."""
    if not ensemble:
        return clip.text_embeddings([short_caption(t, background) for t in things])
    return torch.stack([torch.nn.functional.normalize(clip.text_embeddings(prompt_ensemble(t)), dim=-1).mean(0)
                        for t in things])


def zero_shot_accuracy(clip, images: torch.Tensor, scenes: list[Scene], vary: str, ensemble: bool = False,
                       say_background: bool = True) -> float:
    """For each lone-digit scene: captions 'a {colour} {digit} on a {background} background' with every digit
    (vary='digit') or every colour (vary='colour'), the rest as in the scene (the background unsaid when
    say_background is False); correct when the true one has the largest similarity."""
    image_embeddings = clip.image_embeddings(images)
    classes, correct = {}, []
    for i, scene in enumerate(scenes):
        thing = lone(scene)
        options = (range(10) if vary == "digit" else list(COLOURS))
        truth = thing.digit if vary == "digit" else thing.colour
        background = scene.background if say_background and not ensemble else None
        key = (thing.colour if vary == "digit" else thing.digit, background)           # what the classes share
        if key not in classes:
            things = [Thing(o, thing.colour, "medium", "centre", 0) if vary == "digit" else
                      Thing(thing.digit, o, "medium", "centre", 0) for o in options]
            classes[key] = class_embeddings(clip, things, ensemble, background)
        scores = similarity(image_embeddings[i:i + 1], classes[key], clip.logit_scale)[0]
        correct.append(list(options)[int(scores.argmax())] == truth)
    return float(np.mean(correct))


def batched_recall(clip, images: torch.Tensor, scenes: list[Scene], batch: int, k: int, transpose: bool) -> float:
    values = []
    for start in range(0, len(scenes) - batch + 1, batch):
        logits = similarity(clip.image_embeddings(images[start:start + batch]),
                            clip.text_embeddings([s.caption for s in scenes[start:start + batch]]), clip.logit_scale)
        values.append(recall_at(logits.T if transpose else logits, k))
    return float(np.mean(values))


def clip_quality(clip, n: int = 512, seed: int = 2024) -> ClipQuality:
    """All figures on held-out digit images (split 'test'), with seeded scenes."""
    lone_images, lone_scenes = scene_batch(n, seed, "test", n_things=1)
    images, scenes = scene_batch(n, seed + 1, "test")
    return ClipQuality(
        digit=zero_shot_accuracy(clip, lone_images, lone_scenes, "digit"),
        colour=zero_shot_accuracy(clip, lone_images, lone_scenes, "colour"),
        digit_bare=zero_shot_accuracy(clip, lone_images, lone_scenes, "digit", say_background=False),
        colour_bare=zero_shot_accuracy(clip, lone_images, lone_scenes, "colour", say_background=False),
        digit_ensembled=zero_shot_accuracy(clip, lone_images, lone_scenes, "digit", ensemble=True),
        colour_ensembled=zero_shot_accuracy(clip, lone_images, lone_scenes, "colour", ensemble=True),
        caption=batched_recall(clip, images, scenes, 32, 1, transpose=False),
        image_to_text=tuple(batched_recall(clip, images, scenes, 64, k, transpose=False) for k in (1, 5)),
        text_to_image=tuple(batched_recall(clip, images, scenes, 64, k, transpose=True) for k in (1, 5)),
        n=n)


def main() -> None:
    from models.scene_clip import load_scene_clip

    quality = clip_quality(load_scene_clip())
    print(f"held-out digit images, {quality.n} scenes")
    print(f"zero-shot digit {quality.digit:.1%} (chance 10 %), colour {quality.colour:.1%} (chance 14 %), "
          f"caption among 32 {quality.caption:.1%}")
    print(f"zero-shot with bare captions ('a red seven' on any background; unsaid means black): digit "
          f"{quality.digit_bare:.1%}, colour {quality.colour_bare:.1%}")
    print(f"zero-shot with prompt ensembling: digit {quality.digit_ensembled:.1%}, colour "
          f"{quality.colour_ensembled:.1%}")
    print(f"image -> caption recall@1 {quality.image_to_text[0]:.1%} @5 {quality.image_to_text[1]:.1%}; "
          f"caption -> image recall@1 {quality.text_to_image[0]:.1%} @5 {quality.text_to_image[1]:.1%} (of 64)")


if __name__ == "__main__":
    main()
