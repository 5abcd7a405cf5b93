"""GloVe and the digits: the real bundled data, loaded offline."""
import numpy as np
import pytest
import torch

from models.device import pick_device
from models.digits import N_DIGITS, N_TEST, N_TRAIN


def test_glove_has_400000_words_and_unit_rows(glove):
    assert len(glove.words) == 400_000 and glove.vectors.shape == (400_000, 50)
    assert glove.unit.dtype == np.float32 and glove.unit.flags["F_CONTIGUOUS"]   # the fast layout for queries
    np.testing.assert_allclose(np.linalg.norm(glove.unit[:1000], axis=1), 1.0, rtol=1e-5)
    assert glove.words[glove.index["queen"]] == "queen"


def test_glove_king_minus_man_plus_woman_is_queen(glove):
    v = glove.unit
    target = v[glove.index["king"]] - v[glove.index["man"]] + v[glove.index["woman"]]
    scores = v @ (target / np.linalg.norm(target))
    for word in ("king", "man", "woman"):
        scores[glove.index[word]] = -np.inf
    assert glove.words[int(np.argmax(scores))] == "queen"


def test_digits_split_is_fixed_stratified_and_read_only(digits):
    assert digits.x_train.shape[1] == 64 and len(digits.x_train) + len(digits.x_test) == N_DIGITS == 1797
    assert len(digits.x_test) == N_TEST == 450 and len(digits.x_train) == N_TRAIN   # sliders are built from these
    assert 0.0 <= digits.x_train.min() and digits.x_train.max() <= 1.0
    assert set(np.unique(digits.y_test)) == set(range(10))
    with pytest.raises(ValueError):
        digits.x_train[0, 0] = 1.0
    from models.digits import load_digits_split
    assert load_digits_split() is digits


def test_device_is_chosen_once_and_cpu_here():
    assert pick_device("auto") is pick_device("auto")
    assert pick_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert pick_device("auto") in (torch.device("cpu"), torch.device("mps"))
        with pytest.raises(ValueError, match="no CUDA GPU"):
            pick_device("cuda")
    with pytest.raises(ValueError, match="auto, cpu, cuda or mps"):
        pick_device("tpu")


def test_the_diffusion_endpoints_do_not_expose_the_device(settings):
    import inspect

    import app

    demo = app.create_app(settings)
    for fn in demo.fns.values():
        if fn.api_name in ("cfg_sweep", "denoise"):
            assert "device" not in inspect.signature(fn.fn).parameters, fn.api_name
