"""The captioned scenes: every caption says what its image shows, the held-out split shares no digit image with the
training split, and the same seed draws the same scenes."""
import numpy as np
import pytest

from models.scenes import (BACKGROUNDS, COLOURS, DIGITS, SIDE, SIZES, TEST_EVERY, WORDS, digit_bank, parse_caption,
                           random_scene, render, samples_of, scene_batch)


def said(caption: str) -> tuple[list[tuple], str | None]:
    """A caption read back by the scenes' own parser: [(size, colour, digit word, position or None)], background."""
    parsed = parse_caption(caption)
    assert parsed is not None, caption
    things, background = parsed
    return [(t["size"], t["colour"], DIGITS[t["digit"]], None if t["position"] == "centre" else t["position"])
            for t in things], background


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_caption_matches_its_scene(split):
    rng = np.random.default_rng(7)
    for _ in range(500):
        scene = random_scene(rng, split)
        told, background = said(scene.caption)
        assert background in (None, scene.background)
        if background is None:
            assert scene.background == "black"          # only a black background goes unsaid
        assert len(told) == len(scene.things)
        by_position = {thing.position: thing for thing in scene.things}
        for size, colour, digit, position in told:
            thing = by_position[position or "centre"]
            assert DIGITS[thing.digit] == digit
            assert colour in (None, thing.colour)
            assert size in (None, thing.size) and thing.size != "medium" or size is None
            if len(told) == 2:
                assert colour is not None                # a pair always says both colours
        assert set(scene.caption.split()) <= set(WORDS)


def test_held_out_split_is_by_digit_image():
    train = {i for digit in samples_of("train") for i in digit}
    test = {i for digit in samples_of("test") for i in digit}
    assert not train & test and len(train | test) == len(digit_bank()[1]) == 1797
    assert all(i % TEST_EVERY == 0 for i in test)
    rng = np.random.default_rng(0)
    assert all(t.sample in test for _ in range(200) for t in random_scene(rng, "test").things)
    with pytest.raises(ValueError, match="split"):
        samples_of("validation")


def test_render_paints_the_digits_in_their_colours_on_the_background():
    rng = np.random.default_rng(3)
    for _ in range(50):
        scene = random_scene(rng, "train")
        image = render(scene, np.random.default_rng(1))                                 # (64, 64, 3)
        assert image.shape == (SIDE, SIDE, 3) and 0 <= image.min() and image.max() <= 1
        corner_free = np.isclose(image, BACKGROUNDS[scene.background], atol=1e-6).all(axis=2)
        assert corner_free.mean() > 0.5                  # most of the canvas is the background
        for thing in scene.things:                       # the digit's colour is there, nearly at full strength
            assert np.linalg.norm(image - np.float32(COLOURS[thing.colour]), axis=2).min() < 0.15


def test_pairs_sit_in_their_halves():
    rng = np.random.default_rng(5)
    for _ in range(30):
        scene = random_scene(rng, "train", n_things=2)
        image = render(scene, np.random.default_rng(2))
        for thing in scene.things:
            distance = np.linalg.norm(image - np.float32(COLOURS[thing.colour]), axis=2)
            near = distance < distance.min() + 0.1
            columns = np.flatnonzero(near.any(axis=0))
            middle = columns.mean()
            assert (middle < SIDE / 2) == (thing.position == "left")


def test_same_seed_same_scenes():
    a, scenes_a = scene_batch(16, 11)
    b, scenes_b = scene_batch(16, 11)
    c, _ = scene_batch(16, 12)
    assert (a == b).all() and scenes_a == scenes_b and not (a == c).all()
    assert a.shape == (16, 3, SIDE, SIDE)
    assert set(SIZES) == {"small", "medium", "large"}


def test_a_digit_twin_differs_in_one_digit_and_one_word():
    from models.scenes import digit_twin, twin_batch

    rng = np.random.default_rng(9)
    for _ in range(300):
        scene = random_scene(rng, "train")
        twin = digit_twin(scene, rng)
        changed = [(a, b) for a, b in zip(scene.things, twin.things) if a != b]
        assert len(changed) == 1 and changed[0][0].digit != changed[0][1].digit
        assert changed[0][0].position == changed[0][1].position and changed[0][0].colour == changed[0][1].colour
        words, twin_words = scene.caption.split(), twin.caption.split()
        assert sum(a != b for a, b in zip(words, twin_words)) == 1 and len(words) == len(twin_words)
        told, _ = said(twin.caption)                     # the twin's caption still says what the twin shows
        by_position = {thing.position: thing for thing in twin.things}
        assert all(DIGITS[by_position[position or "centre"].digit] == digit for _, _, digit, position in told)
    images, scenes = twin_batch(8, 1)
    assert images.shape == (8, 3, SIDE, SIDE) and len(scenes) == 8


@pytest.mark.parametrize("text", ["a red cat", "three red sevens", "a red seven and a blue two and a green one",
                                  "a purple seven on a tartan background", "", "🙂"])
def test_text_outside_the_grammar_is_not_parsed(text):
    assert parse_caption(text) is None
