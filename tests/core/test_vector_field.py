"""core/vector_field.py on a tiny random NoisePredictor: the field is the model's prediction put through the stated
formulas, and sampling is diffusers' own loops (DDIMScheduler for DDIM and for DDPM in 50 steps, DDPMScheduler for
DDPM in all 1000)."""
import math

import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler

from core.diffusion import noise_schedule
from core.vector_field import field_at, sample_paths, score
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
    with pytest.raises(ValueError, match="ddpm, ddim"):
        sample_paths(model, None, 0.0, NO_LABEL, noise, alphas_cumprod, 10, "euler", 0)
    with pytest.raises(ValueError, match="1 to 1000"):
        sample_paths(model, None, 0.0, NO_LABEL, noise, alphas_cumprod, 0, "ddim", 0)

