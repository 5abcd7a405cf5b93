"""The committed 2-D toy diffusion checkpoints: small, self-describing, cached, and good (DDIM samples land as close
to the data as a second sample of the data does, within 3x); the digit picture; a short training run."""
import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from core.diffusion import noise_schedule
from core.sample_quality import nearest_neighbour_distance
from core.toy_data import DATASETS
from core.vector_field import sample_paths
from models import toy_diffusion
from models.toy_diffusion import (ToyConfig, checkpoint_path, dataset_points, digit_image, load_toy_diffusion,
                                  time_embedding)
from training.train_toy_diffusion import train_and_save


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_each_checkpoint_loads_small_and_describes_itself(dataset):
    model = load_toy_diffusion(dataset)
    assert checkpoint_path(dataset).stat().st_size < 1e6
    assert load_toy_diffusion(dataset) is model                                   # cached
    assert model.dataset == dataset == model.config.dataset and model.class_names == DATASETS[dataset]
    assert model.no_label == len(DATASETS[dataset]) and model.steps_trained >= 1000
    assert set(model.quality) == {"ddim_50", "ddpm_50", "data"}
    assert model.quality["ddim_50"] < 2 * model.quality["data"]                   # measured at training time
    assert 10_000 < sum(p.numel() for p in model.network.parameters()) < 100_000
    assert not model.network.training and not any(p.requires_grad for p in model.network.parameters())
    torch.testing.assert_close(model.alphas_cumprod, noise_schedule("linear")[1])
    with torch.inference_mode():
        eps = model.network(torch.zeros(5, 2), torch.full((5,), 10), torch.full((5,), model.no_label))
    assert eps.shape == (5, 2)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_ddim_samples_land_near_the_data(dataset):
    """1,000 unconditional DDIM samples in 50 steps, fixed seeds: their mean distance to the nearest of 2,000 data
    points is within 3x that of 1,000 fresh data points."""
    model = load_toy_diffusion(dataset)
    reference, _ = dataset_points(dataset, 2000, 20)
    noise = torch.randn((1000, 2), generator=torch.Generator().manual_seed(21))
    samples = sample_paths(model.network, None, 0.0, model.no_label, noise, model.alphas_cumprod, 50, "ddim", 0).final
    floor = nearest_neighbour_distance(dataset_points(dataset, 1000, 22)[0], reference)
    assert nearest_neighbour_distance(samples, reference) < 3 * floor


def test_labels_steer_the_samples_to_their_class():
    """Conditional samples of each cluster (w = 0) land nearest to that cluster's own points."""
    model = load_toy_diffusion("clusters")
    points, labels = dataset_points("clusters", 3000, 30)
    noise = torch.randn((300, 2), generator=torch.Generator().manual_seed(31))
    for label in range(3):
        samples = sample_paths(model.network, label, 0.0, model.no_label, noise, model.alphas_cumprod, 50, "ddim",
                               0).final
        nearest = labels[torch.cdist(samples, points).argmin(1)]                   # (300,) class of the nearest
        assert float((nearest == label).float().mean()) > 0.9


def test_unknown_and_missing_models_are_refused(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="spiral, moons, clusters, digit 3"):
        load_toy_diffusion("swiss roll")
    monkeypatch.setattr(toy_diffusion, "CHECKPOINTS", tmp_path)
    with pytest.raises(FileNotFoundError, match="python -m training.train_toy_diffusion --dataset 'digit 3'"):
        load_toy_diffusion("digit 3")


def test_the_digit_picture_is_the_mean_three():
    from sklearn.datasets import load_digits

    image = digit_image()
    assert image.shape == (16, 16) and image.dtype == np.float32 and not image.flags.writeable
    assert image.min() >= 0 and image.max() == 1.0
    digits = load_digits()
    pooled = image.reshape(8, 2, 8, 2).mean((1, 3)).flatten()                      # back to 8x8
    likeness = [np.corrcoef(pooled, digits.images[digits.target == d].mean(0).flatten())[0, 1] for d in range(10)]
    assert int(np.argmax(likeness)) == 3 and likeness[3] > 0.95


def test_time_embedding_is_sines_and_cosines_of_t():
    features = time_embedding(torch.tensor([0, 7]), 32)                           # (2, 32)
    assert features.shape == (2, 32)
    torch.testing.assert_close(features[0], torch.cat([torch.zeros(16), torch.ones(16)]))
    assert features[1, 0] == pytest.approx(np.sin(7.0)) and features[1, 16] == pytest.approx(np.cos(7.0))


def test_a_short_training_run_writes_a_checkpoint_with_its_figures(tmp_path):
    config = ToyConfig(dataset="moons", steps=20, batch_size=16, train_points=200)
    out = tmp_path / "toy_diffusion_moons" / "model.safetensors"          # a folder of its own, as committed
    result = train_and_save(config, max_minutes=1.0, out=out)
    with safe_open(str(out), framework="pt") as checkpoint:
        metadata = checkpoint.metadata()
    assert ToyConfig(**json.loads(metadata["config"])) == config and metadata["step"] == "20"
    quality = json.loads(metadata["quality"])
    assert set(quality) == {"ddim_50", "ddpm_50", "data"} and quality["data"] == result["data"]
