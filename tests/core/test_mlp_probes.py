"""The probes of a trained digit network against direct computations: numpy's corrcoef, the forward pass of
core.mlp, and params broken by hand."""
import numpy as np
import pytest
import torch

from core.mlp import forward, init_params
from core.mlp_probes import (MAX_WEIGHT_NOISE, broken, correlations, mean_digit_images, noise_images, top_outputs,
                             weight_noise)


def test_noise_images_are_seeded_uniform_pixels():
    images = noise_images(500, 3)
    assert images.shape == (500, 64) and images.dtype == torch.float32
    assert 0 <= float(images.min()) and float(images.max()) <= 1 and abs(float(images.mean()) - 0.5) < 0.02
    assert torch.equal(images, noise_images(500, 3)) and not torch.equal(images, noise_images(500, 4))
    assert torch.equal(noise_images(1, 3)[0], images[0])                   # the first picture does not depend on n


def test_the_top_output_is_the_largest_of_the_ten():
    params, x = init_params(1), noise_images(20, 0)
    values, digits = top_outputs(params, x, "sigmoid")
    output = forward(params, x, "sigmoid")[-1]
    for i in range(20):
        assert values[i].item() == pytest.approx(max(output[i].tolist())) and digits[i] == int(output[i].argmax())


def test_mean_digit_images_are_each_digits_average(digits):
    x, y = torch.tensor(digits.x_train), torch.tensor(digits.y_train)
    means = mean_digit_images(x, y)
    assert means.shape == (10, 64)
    for digit in (0, 7):
        np.testing.assert_allclose(means[digit].numpy(), digits.x_train[digits.y_train == digit].mean(axis=0),
                                   rtol=1e-5)


def test_correlations_are_pearsons_r():
    rng = np.random.default_rng(0)
    images, templates = rng.normal(size=(5, 64)), rng.normal(size=(3, 64))
    r = correlations(torch.tensor(images), torch.tensor(templates)).numpy()
    full = np.corrcoef(np.vstack([images, templates]))                    # (8, 8)
    np.testing.assert_allclose(r, full[:5, 5:], rtol=1e-10)
    assert correlations(torch.tensor(images[:1]), torch.tensor(2 * images[:1] + 1)).item() == pytest.approx(1.0)


def test_broken_params_are_the_changes_made_by_hand():
    params = init_params(2)
    noise = weight_noise(params, 9)
    assert {name: value.shape for name, value in noise.items()} == {name: params[name].shape for name in noise}
    got = broken(params, drop_biases=True, sigma=0.4, zero_layer=2, noise=noise)
    by_hand = {"W1": params["W1"] + 0.4 * noise["W1"], "b1": torch.zeros(16), "W2": torch.zeros(16, 16),
               "b2": torch.zeros(16), "W3": params["W3"] + 0.4 * noise["W3"], "b3": torch.zeros(10)}
    for name, value in by_hand.items():
        torch.testing.assert_close(got[name], value)
    assert torch.equal(params["b1"], init_params(2)["b1"])                 # the network given: unchanged
    intact = broken(params)
    assert all(torch.equal(intact[n], params[n]) and intact[n] is not params[n] for n in params)
    torch.testing.assert_close(weight_noise(params, 9)["W2"], noise["W2"])  # seeded


def test_a_zeroed_layer_gives_every_image_the_same_output():
    params = broken(init_params(0), zero_layer=1)
    output = forward(params, noise_images(7, 1), "sigmoid")[-1]
    torch.testing.assert_close(output, output[:1].expand(7, -1))


@pytest.mark.parametrize("kwargs, message", [
    ({"sigma": float("nan")}, "weight noise σ must be a finite number"),
    ({"sigma": MAX_WEIGHT_NOISE + 1}, "between 0 and 3"), ({"sigma": -0.1}, "between 0 and 3"),
    ({"sigma": 0.5}, "needs the noise"), ({"zero_layer": 4}, "layer to zero must be between 0 and 3"),
    ({"zero_layer": 1.5}, "whole number"),
])
def test_bad_breaks_are_refused_in_words(kwargs, message):
    with pytest.raises(ValueError, match=message):
        broken(init_params(0), **kwargs)


@pytest.mark.parametrize("n, seed, message", [(0, 0, "noise images must be between 1"), (10**9, 0, "noise images"),
                                              (5, -1, "seed must be between 0"), (5, float("nan"), "finite")])
def test_bad_noise_requests_are_refused(n, seed, message):
    with pytest.raises(ValueError, match=message):
        noise_images(n, seed)
