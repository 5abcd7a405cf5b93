"""The committed digit diffusion checkpoint and its referee, the digit classifier: shapes, loading, resumable
training, and the quality bar (samples at the default guidance are the digit that was asked for)."""
import json
from dataclasses import asdict

import pytest
import torch
from safetensors import safe_open

from models.digit_diffusion import DEFAULT_GUIDANCE, load_digit_diffusion
from models.digit_classifier import (CHECKPOINT as CLASSIFIER, build_classifier, judge, load_digit_classifier,
                                     real_diversity)
from models.digit_diffusion import CHECKPOINT, DiffusionConfig, config_from_metadata
from models.digits import digit_images
from training.train_diffusion import train
from training.train_digit_classifier import quality_report, split_indices

QUALITY_PER_DIGIT = 10      # samples per digit in the quality test (fixed seeds)


@pytest.fixture(scope="module")
def diffusion():
    return load_digit_diffusion()


def test_checkpoint_is_small_and_describes_itself(diffusion):
    assert CHECKPOINT.stat().st_size < 6e6
    with safe_open(str(CHECKPOINT), framework="pt") as checkpoint:
        metadata = checkpoint.metadata()
    config = json.loads(metadata["config"])
    assert config["num_class_embeds"] == 11 and config["image_size"] == 16 and 0.1 <= config["label_dropout"] <= 0.2
    assert diffusion.schedule == "cosine" and diffusion.no_label == 10 and diffusion.steps_trained >= 1000
    assert diffusion.parameters == pytest.approx(0.36e6, rel=0.02)
    assert not any(p.requires_grad for p in diffusion.unet.parameters()) and not diffusion.unet.training


def test_loader_is_cached_and_refuses_a_missing_file(diffusion, tmp_path):
    assert load_digit_diffusion() is diffusion
    with pytest.raises(FileNotFoundError, match="python -m training.train_diffusion"):
        load_digit_diffusion(tmp_path / "nothing.safetensors")


def test_a_checkpoint_from_before_norm_groups_were_configurable_still_loads_with_its_8_groups():
    values = {key: value for key, value in asdict(DiffusionConfig(block_out_channels=(32, 64, 64))).items()
              if key != "norm_num_groups"}
    config = config_from_metadata({"config": json.dumps(values)})
    assert config.norm_num_groups == 8 and config.block_out_channels == (32, 64, 64)
    assert config_from_metadata({"config": json.dumps(asdict(DiffusionConfig()))}) == DiffusionConfig()


def test_digits_are_upsampled_to_16_pixels_in_the_models_range():
    images, labels = digit_images()
    assert images.shape == (1797, 1, 16, 16) and labels.shape == (1797,)
    assert images.min() == -1.0 and images.max() <= 1.0 and set(labels.tolist()) == set(range(10))


def test_training_is_resumable(tmp_path):
    """Two steps, stop, one more: the resumed run continues the step count and writes the EMA checkpoint."""
    config = DiffusionConfig(batch_size=4, steps=2, warmup_steps=1)
    out = tmp_path / "tiny.safetensors"
    train(config, tmp_path / "work", out, max_minutes=5, every=1)
    assert torch.load(tmp_path / "work" / "state.pt", weights_only=True)["step"] == 2
    train(DiffusionConfig(batch_size=4, steps=3, warmup_steps=1), tmp_path / "work", out, max_minutes=5, every=1)
    loaded = load_digit_diffusion(out)
    assert loaded.steps_trained == 3


def test_classifier_is_trained_on_real_digits_only_and_is_accurate():
    classifier = load_digit_classifier()
    images, labels = digit_images()
    _, test_index = split_indices()
    accuracy = float((classifier.probabilities(images[test_index]).argmax(-1) == labels[test_index]).float().mean())
    assert accuracy == pytest.approx(classifier.test_accuracy, abs=1e-4) and accuracy >= 0.97
    assert CLASSIFIER.stat().st_size < 100_000
    assert sum(p.numel() for p in build_classifier().parameters()) < 20_000


def test_the_judge_reads_real_digits_as_themselves_and_as_diverse_as_the_real_ones():
    verdict = judge(digit_images()[0][digit_images()[1] == 4][:20], 4)
    assert verdict["accuracy"] == 1.0 and 0.5 < verdict["relative_diversity"] < 1.5
    assert all(d > 0 for d in real_diversity())


@pytest.mark.slow
def test_samples_at_the_default_guidance_reach_the_quality_bar(diffusion):
    """The bar: classified as the asked digit >= 90% on average and >= 75% for every digit; and diverse (the
    samples are not one memorized image per class: their spread is a good fraction of the real digits')."""
    report = quality_report(diffusion, per_digit=QUALITY_PER_DIGIT, w=DEFAULT_GUIDANCE, seed=1)
    per_digit = {row["digit"]: round(row["accuracy"], 2) for row in report["per_digit"]}
    assert report["mean_accuracy"] >= 0.90, per_digit
    assert report["min_accuracy"] >= 0.75, per_digit
    assert report["mean_relative_diversity"] >= 0.5, report["mean_relative_diversity"]
