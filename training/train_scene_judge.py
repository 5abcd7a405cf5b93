"""Train the scenes' judge (models/scene_judge.py) on the true attributes of train-split scenes; report its accuracy
on held-out digit images.

    .venv/bin/python -m training.train_scene_judge          # a few minutes on one core; seeded
"""
import argparse

import torch
from torch import nn

from models.scene_judge import CHECKPOINT, SLOTS, build_judge, read_scenes
from models.scenes import COLOURS, scene_batch

COLOUR_INDEX = {name: i for i, name in enumerate(COLOURS)}


def targets(scenes) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 3 slots) digit and colour targets; -100 (ignored by the loss) in the slots a scene leaves empty."""
    digits = torch.full((len(scenes), len(SLOTS)), -100)
    colours = torch.full((len(scenes), len(SLOTS)), -100)
    for i, scene in enumerate(scenes):
        for thing in scene.things:
            digits[i, SLOTS.index(thing.position)] = thing.digit
            colours[i, SLOTS.index(thing.position)] = COLOUR_INDEX[thing.colour]
    return digits, colours


def judge_loss(judge, images, scenes) -> torch.Tensor:
    logits = judge(images)                                                              # (B, 3, 17)
    digits, colours = targets(scenes)
    return (nn.functional.cross_entropy(logits[..., :10].reshape(-1, 10), digits.flatten()) +
            nn.functional.cross_entropy(logits[..., 10:].reshape(-1, len(COLOURS)), colours.flatten()))


def accuracy(judge, n: int = 1024, seed: int = 777) -> tuple[float, float]:
    """Digit and colour accuracy over the filled slots of n held-out scenes."""
    images, scenes = scene_batch(n, seed, "test")
    digits, colours = read_scenes(judge.eval(), images)
    true_digits, true_colours = targets(scenes)
    filled = true_digits >= 0
    return (float((digits == true_digits)[filled].float().mean()),
            float((colours == true_colours)[filled].float().mean()))


def main() -> None:
    from safetensors.torch import save_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=0)
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(3)
    judge = build_judge()
    optimizer = torch.optim.Adam(judge.parameters(), lr=2e-3)
    for step in range(options.steps):
        judge.train()
        images, scenes = scene_batch(128, 3_000_000 + step, "train")
        loss = judge_loss(judge, images, scenes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 250 == 0:
            print(f"step {step} loss {loss.item():.3f}", flush=True)
    digit, colour = accuracy(judge)
    print(f"held-out scenes: digit {digit:.1%}, colour {colour:.1%}", flush=True)
    CHECKPOINT.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in judge.state_dict().items()}, str(CHECKPOINT),
              metadata={"digit_accuracy": f"{digit:.4f}", "colour_accuracy": f"{colour:.4f}"})


if __name__ == "__main__":
    main()
