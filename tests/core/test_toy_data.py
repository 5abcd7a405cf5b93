"""core/toy_data.py: the 2-D data sets (shapes, seeds, labels, scale) and points drawn from a picture, checked
against hand-made images and brute-force counts."""
import numpy as np
import pytest
import torch

from core.toy_data import DATASETS, INK_POWER, PLOT_RANGE, _ink_centre, points_from_image, toy_data

THREE = np.zeros((8, 8), dtype=np.float32)     # a hand-made "3": three bars and a right-hand stroke
THREE[[1, 4, 6], 2:6] = 1.0
THREE[1:7, 5] = 1.0


def data(name, n=4000, seed=0):
    return toy_data(name, n, seed, image=THREE if name == "digit 3" else None)


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_set_has_its_shapes_labels_and_scale(name):
    points, labels = data(name)
    assert points.shape == (4000, 2) and points.dtype == torch.float32
    assert labels.shape == (4000,) and labels.dtype == torch.int64
    classes = len(DATASETS[name])
    assert set(labels.tolist()) == (set(range(classes)) if classes else {0})    # every class shows up
    assert 0.8 < float(points.std()) < 1.2                                     # the scale of the noise
    assert torch.allclose(points.mean(0), torch.zeros(2), atol=0.15)           # centred
    assert float((points.abs() > 2.5).float().mean()) < 0.01                   # roughly in [-2, 2]
    assert float(points.abs().max()) < PLOT_RANGE[1]                           # and all of it on the plot


@pytest.mark.parametrize("name", list(DATASETS))
def test_a_seed_gives_the_same_points_and_another_seed_others(name):
    first, second, other = data(name, 100, 3), data(name, 100, 3), data(name, 100, 4)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert not torch.equal(first[0], other[0])


def test_labelled_sets_put_each_class_in_its_own_place():
    points, labels = toy_data("clusters", 3000, 0)
    centres = torch.stack([points[labels == k].mean(0) for k in range(3)])         # (3, 2)
    spreads = torch.stack([points[labels == k].std(0).mean() for k in range(3)])   # (3,)
    assert torch.cdist(centres, centres).add(torch.eye(3) * 9).min() > 1.5         # far apart
    assert spreads[0] < spreads[1] < spreads[2]                                    # three different sizes
    points, labels = toy_data("moons", 3000, 0)
    assert points[labels == 0, 1].mean() > points[labels == 1, 1].mean()         # the upper moon is above


def test_unknown_names_and_missing_images_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="spiral, moons, clusters, digit 3"):
        toy_data("swiss roll", 10, 0)
    with pytest.raises(ValueError, match="digit_image"):
        toy_data("digit 3", 10, 0)
    with pytest.raises(ValueError, match="at least 1"):
        toy_data("moons", 0, 0)


def test_points_land_on_the_ink_with_y_up():
    """Ink only in the top-right and bottom-left pixels of a 4x4 image: every point lands inside one of them, in
    the proportion ink^INK_POWER says (counted)."""
    image = np.zeros((4, 4), dtype=np.float32)
    image[0, 3], image[3, 0] = 1.0, 0.8                                            # row 0 is the top
    points = points_from_image(image, 20_000, torch.Generator().manual_seed(0))    # (n, 2) in [-1, 1]^2
    top_right = (points[:, 0] >= 0.5) & (points[:, 0] <= 1) & (points[:, 1] >= 0.5) & (points[:, 1] <= 1)
    bottom_left = (points[:, 0] >= -1) & (points[:, 0] <= -0.5) & (points[:, 1] >= -1) & (points[:, 1] <= -0.5)
    assert bool((top_right | bottom_left).all())
    expected = 1.0 / (1.0 + 0.8 ** INK_POWER)
    assert float(top_right.float().mean()) == pytest.approx(expected, abs=0.01)
    inside = points[top_right]                                                     # uniform inside the pixel
    torch.testing.assert_close(inside.mean(0), torch.tensor([0.75, 0.75]), atol=0.01, rtol=0)


def test_the_ink_centre_is_the_mean_of_the_points():
    many = points_from_image(THREE, 200_000, torch.Generator().manual_seed(1))
    torch.testing.assert_close(_ink_centre(THREE), many.mean(0), atol=0.01, rtol=0)
    points, _ = toy_data("digit 3", 4000, 0, image=THREE)
    assert points[:, 0].max() > 0.5 and points[:, 1].max() > 1.0                  # the 3 is drawn upright


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros(5), -np.ones((3, 3)), np.full((2, 2), np.nan)])
def test_pictures_without_ink_are_refused(bad):
    with pytest.raises(ValueError, match="some ink"):
        points_from_image(bad, 10, torch.Generator().manual_seed(0))
