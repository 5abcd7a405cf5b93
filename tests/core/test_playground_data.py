"""The playground's data: TensorFlow Playground's four sets against their rules, the split, the learner's own points
and CSVs, each bad one refused in words."""
import math

import pytest
import torch

from core.playground_data import (DATASETS, EXTENT, MAX_CSV_BYTES, MAX_NOISE, MAX_POINTS, checked_points,
                                  make_dataset, read_csv, split)


@pytest.mark.parametrize("name", DATASETS)
def test_data_sets_are_seeded_on_the_plane_with_two_balanced_classes(name):
    points, labels = make_dataset(name, 0.2, 3)
    again, _ = make_dataset(name, 0.2, 3)
    other, _ = make_dataset(name, 0.2, 4)
    assert points.shape == (500, 2) and labels.shape == (500,)
    assert torch.equal(points, again) and not torch.equal(points, other)
    assert bool((points.abs() <= EXTENT).all()) and set(labels.tolist()) == {0, 1}
    assert 0.35 < labels.float().mean() < 0.65


def test_noise_free_labels_follow_each_sets_rule():
    points, labels = make_dataset("circle", 0, 0)
    assert torch.equal(labels, (points.norm(dim=1) < 2.5).long())
    points, labels = make_dataset("xor", 0, 0)
    assert torch.equal(labels, (points[:, 0] * points[:, 1] >= 0).long())
    assert bool((points.abs() >= 0.3).all())                   # the gap along both axes
    points, labels = make_dataset("spiral", 0, 0)
    radius = points.norm(dim=1)
    angle = torch.atan2(points[:, 0], points[:, 1])             # x = r sin t, y = r cos t
    turn = radius / 5 * 1.75 * 2 * math.pi + math.pi * labels  # t for that radius
    assert torch.allclose(torch.cos(angle - turn)[radius > 0.1], torch.ones(int((radius > 0.1).sum())), atol=1e-4)


def test_the_split_is_disjoint_and_complete():
    points, labels = make_dataset("gaussians", 0.1, 0)
    data = split(points, labels, 0.3, 0)
    assert (len(data.train_labels), len(data.test_labels)) == (150, 350)
    together = torch.cat([data.train_points, data.test_points])
    assert sorted(map(tuple, together.tolist())) == sorted(map(tuple, points.tolist()))


def test_a_good_csv_is_read_with_or_without_a_header():
    points, labels = read_csv("x,y,label\n1.5,-2,0\n-3,4,1\n0,0,2\n5,5,1\n".encode())
    assert points.tolist() == [[1.5, -2.0], [-3.0, 4.0], [0.0, 0.0], [5.0, 5.0]] and labels.tolist() == [0, 1, 2, 1]
    assert read_csv(b"\xef\xbb\xbf1,1,0\n2,2,1\n\n3,3,0\n4,4,1\n")[1].tolist() == [0, 1, 0, 1]   # a BOM, a blank row


@pytest.mark.parametrize("data, message", [
    (b"", "no rows"),
    (b"x,y,label\n", "no rows"),
    (b"1,1,0\n2,2\n3,3,1\n4,4,0\n", "Row 2"),
    (b"1,1,0\nnan,2,1\n3,3,1\n4,4,0\n", "Row 2 .* finite numbers"),
    (b"1,1,0\n2,2,1\n3,3,0.5\n4,4,0\n", "Row 3 .* whole number"),
    (b"1,1,0\n2,2,0\n3,3,0\n4,4,0\n", "at least two classes"),
    (b"1,1,0\n2,2,3\n3,3,1\n4,4,0\n", "Labels must be 0, 1 or 2"),
    (b"1,1,0\n2,2,2\n3,3,2\n4,4,0\n", "numbered from 0"),
    (b"1,1,0\n9,2,1\n3,3,1\n4,4,0\n", "between -6 and 6"),
    (b"1,1,0\n2,2,1\n", "at least 4 points"),
    ("1,1,0\n2,2,1\n3,3,0\n4,4,\u00e9\n".encode(), "Row 4"),
    (b"\xff\xfe\x00\x01binary", "not a text CSV"),
    (("1,1,0\n" * (MAX_POINTS + 1)).encode(), "at most 2,000"),
    (("1.25,-2.5,1\n" * 100_000).encode(), "bytes; at most"),
])
def test_bad_csvs_are_refused_in_words(data, message):
    with pytest.raises(ValueError, match=message):
        read_csv(data)


def test_too_many_clicked_points_are_refused():
    with pytest.raises(ValueError, match="At most 2,000 points"):
        checked_points([[0, 0]] * (MAX_POINTS + 1), [0, 1] * (MAX_POINTS // 2) + [0])


def test_the_gaussians_widen_with_the_noise_as_in_playground():
    for noise in (0.0, 0.1, 0.2):                 # variance 0.5 .. 4 over noise 0 .. 0.5 (at 0.2, a few points clamp)
        points, labels = make_dataset("gaussians", noise, 1, n=20_000)
        centres = torch.where(labels[:, None] == 1, 2.0, -2.0)
        variance = 0.5 + (4 - 0.5) * noise / MAX_NOISE
        assert float((points - centres).var()) == pytest.approx(variance, rel=0.03)


def test_noise_flips_labels_near_the_border_only():
    points, clean = make_dataset("circle", 0.0, 5)
    _, noisy = make_dataset("circle", MAX_NOISE, 5)
    flipped = noisy != clean
    assert 0 < int(flipped.sum()) < len(clean) // 2
    radius = points.norm(dim=1)
    assert float(radius[flipped].sub(2.5).abs().mean()) < float(radius[~flipped].sub(2.5).abs().mean())


@pytest.mark.parametrize("args, message", [
    (("moons", 0.1, 0), "^Unknown data set 'moons'; choose one of circle, xor, gaussians, spiral.$"),
    (("xor", 0.6, 0), "^noise must be between 0 and 0.5, got 0.6.$"),
    (("xor", math.nan, 0), "noise must be a finite number"),
    (("xor", 0.1, -1), "seed must be between 0 and 2,147,483,647"),
    (("xor", 0.1, 1.5), "seed must be a whole number"),
])
def test_bad_data_settings_are_refused_in_words(args, message):
    with pytest.raises(ValueError, match=message):
        make_dataset(*args)


def test_the_split_keeps_a_point_on_each_side_and_counts_the_classes():
    points, labels = torch.zeros(3, 2), torch.tensor([0, 2, 1])
    high = split(points, labels, 0.9, 0)
    assert (len(high.train_labels), len(high.test_labels), high.n_classes) == (2, 1, 3)
    low = split(points[:2], labels[:2], 0.1, 0)
    assert (len(low.train_labels), len(low.test_labels)) == (1, 1)
    assert split(points, torch.tensor([0, 0, 0]), 0.5, 0).n_classes == 2       # at least two outputs
    assert torch.equal(split(points, labels, 0.5, 4).train_labels, split(points, labels, 0.5, 4).train_labels)


@pytest.mark.parametrize("n, share, message", [(1, 0.5, "At least 2 points are needed"),
                                               (10, 0.95, "training share must be between 0.1 and 0.9"),
                                               (10, 0.0, "training share must be between 0.1 and 0.9")])
def test_a_split_without_room_for_both_sides_is_refused(n, share, message):
    with pytest.raises(ValueError, match=message):
        split(torch.zeros(n, 2), torch.zeros(n, dtype=torch.int64), share, 0)


def test_clicked_points_come_back_as_tensors():
    points, labels = checked_points([[0, 0], [1.5, -6], [6, 6], [-1, 2]], [0, 1, 0, 1])
    assert points.dtype == torch.float32 and labels.dtype == torch.int64
    assert points.tolist() == [[0, 0], [1.5, -6], [6, 6], [-1, 2]] and labels.tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize("points, labels, message", [
    ([[0, 0], [1, 1]], [0, 1, 0], "^2 points but 3 labels.$"),
    ([[0, 0], [1, math.nan], [2, 2], [3, 3]], [0, 1, 0, 1], "between -6 and 6"),
    ([[0, 0], [1, 7], [2, 2], [3, 3]], [0, 1, 0, 1], "between -6 and 6"),
    ([[0, 0], [1, 1], [2, 2], [3, 3]], [0, -1, 0, 1], "Labels must be 0, 1 or 2"),
    ([[0, 0], [1, 1], [2, 2], [3, 3]], [1, 1, 2, 2], "numbered from 0 .* found 1, 2"),
    ([], [], "at least two classes, .* found none"),
    ([[0, 0], [1, 1], [2, 2]], [0, 1, 0], "^Add at least 4 points"),
])
def test_bad_clicked_points_are_refused_in_words(points, labels, message):
    with pytest.raises(ValueError, match=message):
        checked_points(points, labels)


def test_a_csv_just_under_the_byte_limit_is_read():
    row = b"1.25,-2.5,1\n0,0,0\n"
    data = row * min(MAX_POINTS // 2, MAX_CSV_BYTES // len(row))
    assert len(read_csv(data)[0]) == 2 * (len(data) // len(row))
