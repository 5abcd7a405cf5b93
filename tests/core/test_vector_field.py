"""core/vector_field.py on a tiny random NoisePredictor: the field is the model's prediction put through the stated
formulas, sampling is diffusers' own loops (DDIMScheduler for DDIM and for DDPM in 50 steps, DDPMScheduler for
DDPM in all 1000, and DDPMScheduler minus its own noise for DDPM without it), and the sliced Wasserstein distance is
a brute-force loop over directions and matchings (and scipy's W1)."""
import itertools
import math

import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler

from core.diffusion import ddim_step, noise_schedule, sampling_timesteps
from core.vector_field import (field_at, posterior_mean, posterior_std, sample_paths, score, sliced_wasserstein,
                               wasserstein_1d)
from models.toy_diffusion import NoisePredictor, ToyConfig

NO_LABEL = 2                                   # "moons" has 2 classes; class 2 is "no label"


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return NoisePredictor(ToyConfig(dataset="moons", hidden=16, depth=2)).eval()


@pytest.fixture(scope="module")
def alphas_cumprod():
    return noise_schedule("linear")[1]


def points(n=32, seed=0):
    return torch.randn((n, 2), generator=torch.Generator().manual_seed(seed))            # (n, 2)


def predict(model, x, t, label):
    return model(x, torch.full((len(x),), t), torch.full((len(x),), label))


def test_the_field_is_the_prediction_through_the_formulas(model, alphas_cumprod):
    x, t, w = points(), 400, 1.5
    field = field_at(model, x, t, 0, w, NO_LABEL, alphas_cumprod)
    with torch.inference_mode():
        cond, uncond = predict(model, x, t, 0), predict(model, x, t, NO_LABEL)
    torch.testing.assert_close(field["cond"], cond, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(field["uncond"], uncond, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(field["guided"], (w + 1) * cond - w * uncond, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(field["score"], -field["guided"] / math.sqrt(1 - alphas_cumprod[t].item()))
    assert all(value.shape == (32, 2) for value in field.values())


def test_the_implicit_classifier_is_the_difference_of_two_scores_and_guidance_adds_it(model, alphas_cumprod):
    """grad log p_t(c | x) = s_cond - s_uncond = -(eps_cond - eps_uncond) / sqrt(1 - abar_t), from the network called
    by hand; the guided score is s_uncond + (w + 1) times it, to float precision."""
    x, t, w = points(), 250, 3.0
    field = field_at(model, x, t, 1, w, NO_LABEL, alphas_cumprod)
    with torch.inference_mode():
        cond, uncond = predict(model, x, t, 1), predict(model, x, t, NO_LABEL)
    root = math.sqrt(1 - alphas_cumprod[t].item())
    s_cond, s_uncond = -cond / root, -uncond / root
    torch.testing.assert_close(field["classifier"], -(cond - uncond) / root, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(field["score"], s_uncond + (w + 1) * (s_cond - s_uncond), rtol=1e-5, atol=1e-5)
    s_uncond_of_field = score(field["uncond"], alphas_cumprod[t])
    torch.testing.assert_close(field["score"], s_uncond_of_field + (w + 1) * field["classifier"], rtol=1e-5, atol=1e-5)
    unconditional = field_at(model, x, t, None, w, NO_LABEL, alphas_cumprod)
    assert torch.equal(unconditional["classifier"], torch.zeros_like(x))          # no class: nothing to classify


def test_without_a_label_every_arrow_is_the_unconditional_one_in_one_call(model, alphas_cumprod):
    calls = []

    def counting(x, t, labels):
        calls.append(len(x))
        return model(x, t, labels)

    field = field_at(counting, points(), 999, None, 4.0, NO_LABEL, alphas_cumprod)
    assert calls == [64]                                                   # one batched call
    for name in ("cond", "guided"):
        torch.testing.assert_close(field[name], field["uncond"])
    with pytest.raises(ValueError, match="0 ... 1, or None"):
        field_at(model, points(), 10, 5, 1.0, NO_LABEL, alphas_cumprod)
    with pytest.raises(ValueError, match="0 to 999"):
        field_at(model, points(), 1000, 0, 1.0, NO_LABEL, alphas_cumprod)


def test_score_points_toward_the_data_of_a_gaussian():
    """For data N(0, I) the noised marginal is N(0, I) too, and its score is exactly -x; the ideal eps is
    sqrt(1 - abar) x."""
    x, abar = points(), torch.tensor(0.3)
    torch.testing.assert_close(score((1 - abar).sqrt() * x, abar), -x)


def ddim_reference(model, label, w, noise, steps, eta, seed):
    """diffusers' DDIMScheduler driving the same model with eps_uncond + (w+1)(eps_cond - eps_uncond)."""
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False,
                              set_alpha_to_one=True, timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    generator, x, seen = torch.Generator().manual_seed(seed), noise, []
    with torch.inference_mode():
        for t in scheduler.timesteps:
            seen.append(x)
            cond, uncond = predict(model, x, int(t), label), predict(model, x, int(t), NO_LABEL)
            eps = uncond + (w + 1) * (cond - uncond)
            x = scheduler.step(eps, t, x, eta=eta, generator=generator if eta else None).prev_sample
    return torch.stack(seen), x


@pytest.mark.parametrize("steps", [1, 10, 50])
@pytest.mark.parametrize("sampler, eta", [("ddim", 0.0), ("ddpm", 1.0)])
def test_sampling_is_diffusers_ddim_scheduler(model, alphas_cumprod, steps, sampler, eta):
    noise = points(16, seed=3)
    mine = sample_paths(model, 1, 2.0, NO_LABEL, noise, alphas_cumprod, steps, sampler, seed=11)
    x_t, final = ddim_reference(model, 1, 2.0, noise, steps, eta, seed=11)
    assert mine.x_t.shape == (steps, 16, 2) and mine.final.shape == (16, 2)
    torch.testing.assert_close(mine.x_t, x_t, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(mine.final, final, rtol=1e-4, atol=1e-4)


def test_ddpm_in_all_1000_steps_is_diffusers_ddpm_scheduler(model, alphas_cumprod):
    noise = points(16, seed=4)
    mine = sample_paths(model, None, 0.0, NO_LABEL, noise, alphas_cumprod, 1000, "ddpm", seed=5)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    scheduler.set_timesteps(1000)
    generator, x = torch.Generator().manual_seed(5), noise
    with torch.inference_mode():
        for t in scheduler.timesteps:
            x = scheduler.step(predict(model, x, int(t), NO_LABEL), t, x, generator=generator).prev_sample
    torch.testing.assert_close(mine.final, x, rtol=1e-3, atol=1e-3)


def test_ddim_repeats_and_ddpm_repeats_only_with_its_seed(model, alphas_cumprod):
    noise = points(16, seed=6)

    def run(sampler, seed):
        return sample_paths(model, 0, 1.0, NO_LABEL, noise, alphas_cumprod, 20, sampler, seed).final

    assert torch.equal(run("ddim", 0), run("ddim", 1))                    # DDIM: the seed plays no part
    assert torch.equal(run("ddpm", 0), run("ddpm", 0))
    assert not torch.allclose(run("ddpm", 0), run("ddpm", 1))
    assert not torch.allclose(run("ddpm", 0), run("ddim", 0))


def test_unconditional_sampling_ignores_w_and_bad_samplers_are_refused(model, alphas_cumprod):
    noise = points(8, seed=7)
    plain = sample_paths(model, None, 0.0, NO_LABEL, noise, alphas_cumprod, 10, "ddim", 0)
    ignored = sample_paths(model, None, 5.0, NO_LABEL, noise, alphas_cumprod, 10, "ddim", 0)
    assert torch.equal(plain.final, ignored.final)
    _, reference = ddim_reference(model, NO_LABEL, 0.0, noise, 10, 0.0, 0)
    torch.testing.assert_close(plain.final, reference, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="ddpm, ddim, ddpm-no-noise"):
        sample_paths(model, None, 0.0, NO_LABEL, noise, alphas_cumprod, 10, "euler", 0)
    with pytest.raises(ValueError, match="1 to 1000"):
        sample_paths(model, None, 0.0, NO_LABEL, noise, alphas_cumprod, 0, "ddim", 0)



def ddpm_without_its_noise(model, label, w, noise, steps, seed):
    """diffusers' DDPMScheduler driving the same guided prediction, each prev_sample with its own variance noise
    sigma_t z taken off again (z drawn from a copy of the generator it draws from, in the same call)."""
    from diffusers.utils.torch_utils import randn_tensor

    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False,
                              timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    assert scheduler.timesteps.tolist() == sampling_timesteps(steps)             # the same steps as the panel's
    generator, x, seen = torch.Generator().manual_seed(seed), noise, []
    with torch.inference_mode():
        for t in scheduler.timesteps:
            seen.append(x)
            cond, uncond = predict(model, x, int(t), label), predict(model, x, int(t), NO_LABEL)
            twin = torch.Generator().set_state(generator.get_state())
            z = randn_tensor(x.shape, generator=twin, dtype=x.dtype)
            sigma = scheduler._get_variance(int(t)) ** 0.5 if t > 0 else 0.0
            x = scheduler.step(uncond + (w + 1) * (cond - uncond), t, x, generator=generator).prev_sample - sigma * z
    return torch.stack(seen), x


@pytest.mark.parametrize("steps", [1, 10, 50, 1000])
def test_ddpm_without_its_noise_is_ddpm_schedulers_step_minus_its_noise(model, alphas_cumprod, steps):
    noise = points(16, seed=12)
    mine = sample_paths(model, 0, 1.5, NO_LABEL, noise, alphas_cumprod, steps, "ddpm-no-noise", seed=3)
    x_t, final = ddpm_without_its_noise(model, 0, 1.5, noise, steps, seed=3)
    assert mine.x_t.shape == (steps, 16, 2)
    torch.testing.assert_close(mine.x_t, x_t, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(mine.final, final, rtol=1e-4, atol=1e-4)
    again = sample_paths(model, 0, 1.5, NO_LABEL, noise, alphas_cumprod, steps, "ddpm-no-noise", seed=99)
    assert torch.equal(mine.final, again.final)                                   # no noise: the seed plays no part


def test_the_posterior_mean_is_ddims_step_at_eta_1_without_its_kick(alphas_cumprod):
    """DDPM's mean and sigma_t are the DDIM step's at eta = 1 with z = 0 (the DDIM paper's formula 16): the same
    step, written from x0_hat and x_t rather than from x0_hat and eps."""
    x_t, eps = points(8, seed=1), points(8, seed=2)
    for t, prev in [(999, 979), (500, 400), (19, None)]:
        abar_t = alphas_cumprod[t]
        abar_prev = alphas_cumprod[prev] if prev is not None else torch.tensor(1.0)
        expected, x0_hat = ddim_step(x_t, eps, abar_t, abar_prev, clip=False, eta=1.0, z=torch.zeros_like(x_t))
        torch.testing.assert_close(posterior_mean(x_t, x0_hat, abar_t, abar_prev), expected, rtol=1e-5, atol=1e-5)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", timestep_spacing="trailing")
    scheduler.set_timesteps(50)
    assert posterior_std(alphas_cumprod[999], alphas_cumprod[979]) == pytest.approx(
        float(scheduler._get_variance(999)) ** 0.5, rel=1e-5)
    assert posterior_std(alphas_cumprod[19], torch.tensor(1.0)) == 0.0             # the last step adds nothing


def brute_w1(a: list[float], b: list[float]) -> float:
    """W1 between two equally many points by trying every matching: the cheapest mean distance."""
    return min(sum(abs(x - y) for x, y in zip(a, order)) / len(a) for order in itertools.permutations(b))


def test_sliced_wasserstein_is_a_loop_over_directions_and_matchings():
    samples, data = points(6, seed=20), points(6, seed=21) * 2 + 1
    directions = 8
    brute = 0.0
    for k in range(directions):
        c, s = math.cos(k * math.pi / directions), math.sin(k * math.pi / directions)
        along = [[c * x + s * y for x, y in cloud.tolist()] for cloud in (samples, data)]
        brute += brute_w1(*along) / directions
    assert sliced_wasserstein(samples, data, directions) == pytest.approx(brute, rel=1e-9)
    assert sliced_wasserstein(data, data) == 0.0
    shifted = sliced_wasserstein(data + torch.tensor([3.0, 0.0]), data, directions)
    assert shifted == pytest.approx(3 * sum(abs(math.cos(k * math.pi / directions)) for k in range(directions))
                                    / directions)                                 # a shift by 3 along x


def test_w1_of_unequal_samples_is_scipys():
    from scipy.stats import wasserstein_distance

    for n, m, seed in [(5, 9, 0), (300, 2000, 1), (1, 7, 2)]:
        a, b = points(n, seed)[:, 0], points(m, seed + 50)[:, 1] * 0.5 + 0.3
        assert float(wasserstein_1d(a, b)) == pytest.approx(wasserstein_distance(a.numpy(), b.numpy()), rel=1e-9)


def test_a_pile_on_the_data_is_near_every_point_of_it_but_far_as_a_distribution():
    """What the panel shows: samples all on one data point have no distance to the nearest data point, and yet
    a sliced Wasserstein distance as large as the data's spread."""
    from core.sample_quality import nearest_neighbour_distance

    data = points(400, seed=30)
    pile = data[:1].repeat(100, 1)
    assert nearest_neighbour_distance(pile, data) == 0.0
    assert sliced_wasserstein(pile, data) > 0.5 > sliced_wasserstein(points(400, seed=31), data)
