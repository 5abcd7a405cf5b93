"""core/diffusion.py against diffusers' own schedulers (DDPMScheduler.add_noise, DDIMScheduler.step) and the
guidance formula diffusers uses (guidance_scale = w + 1)."""
import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

from core.diffusion import (SAMPLER_ETA, SCHEDULES, add_noise, ddim_step, denoising_loss, grid, guided_noise,
                            image_for_noising, loss_across_t, noise_schedule, noise_step_by_step, prediction_loss,
                            sample, sampling_timesteps, signal_to_noise, step_sigma)

NO_LABEL = 10


@pytest.fixture(scope="module")
def tiny_unet():
    """A randomly initialized class-conditional U-Net at 8x8: the same code path as the trained one."""
    torch.manual_seed(0)
    return UNet2DModel(sample_size=8, in_channels=1, out_channels=1, block_out_channels=(8, 16), layers_per_block=1,
                       down_block_types=("DownBlock2D",) * 2, up_block_types=("UpBlock2D",) * 2,
                       num_class_embeds=11, norm_num_groups=4).eval()


def images(n=3, size=8, seed=0):
    return torch.rand((n, 1, size, size), generator=torch.Generator().manual_seed(seed)) * 2 - 1   # (n, 1, H, W)


@pytest.mark.parametrize("label", list(SCHEDULES))
def test_add_noise_equals_diffusers_ddpm_scheduler(label):
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule=SCHEDULES[label])
    betas, alphas_cumprod = noise_schedule(label)
    torch.testing.assert_close(alphas_cumprod, scheduler.alphas_cumprod)
    torch.testing.assert_close(alphas_cumprod, torch.cumprod(1 - betas, 0))
    x0, eps = images(), images(seed=1)
    t = torch.tensor([0, 417, 999])
    torch.testing.assert_close(add_noise(x0, eps, alphas_cumprod, t), scheduler.add_noise(x0, eps, t))
    for step in (0, 250, 999):                                     # a single int t, as the slider sends it
        expected = scheduler.add_noise(x0, eps, torch.tensor([step] * 3))
        torch.testing.assert_close(add_noise(x0, eps, alphas_cumprod, step), expected)


def test_signal_to_noise_falls_through_one():
    _, alphas_cumprod = noise_schedule("cosine")
    snr = signal_to_noise(alphas_cumprod)
    assert snr[0] > 1e3 and snr[-1] < 1e-3 and bool((snr[1:] < snr[:-1]).all())
    assert signal_to_noise(torch.tensor([0.5])).item() == pytest.approx(1.0)


def test_step_by_step_chain_has_the_statistics_of_the_one_jump_formula():
    betas, alphas_cumprod = noise_schedule("linear")
    x0 = images(1, 4)[0]                                              # (1, 4, 4)
    chains = x0.expand(4000, 1, 4, 4).double()                        # (chains, 1, 4, 4)
    t = 300
    x_t = noise_step_by_step(chains, betas.double(), t, torch.Generator().manual_seed(0))
    abar = alphas_cumprod[t].double()
    torch.testing.assert_close(x_t.mean(0), abar.sqrt() * x0.double(), atol=0.05, rtol=0)
    torch.testing.assert_close(x_t.std(0), (1 - abar).sqrt().expand(1, 4, 4), atol=0.03, rtol=0)
    # and the jump itself (with its own noise) has the same moments
    jump = add_noise(chains, torch.randn(chains.shape, generator=torch.Generator().manual_seed(1),
                                         dtype=torch.float64), alphas_cumprod.double(), t)
    torch.testing.assert_close(jump.std(0), x_t.std(0), atol=0.04, rtol=0)


def test_guidance_line_equals_diffusers_formula_with_scale_w_plus_one():
    eps_cond, eps_uncond = images(seed=2), images(seed=3)
    for w in (0.0, 0.5, 1.0, 7.5):
        guidance_scale = w + 1
        expected = eps_uncond + guidance_scale * (eps_cond - eps_uncond)   # pipeline_stable_diffusion's line
        torch.testing.assert_close(guided_noise(eps_cond, eps_uncond, w), expected)
    torch.testing.assert_close(guided_noise(eps_cond, eps_uncond, 0.0), eps_cond)


@pytest.mark.parametrize("steps", [10, 50])
def test_ddim_step_equals_diffusers_ddim_scheduler(steps):
    _, alphas_cumprod = noise_schedule("cosine")
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                              set_alpha_to_one=True, timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    timesteps = sampling_timesteps(steps)
    assert timesteps == [int(t) for t in scheduler.timesteps] and timesteps[0] == 999 and len(timesteps) == steps
    x = images(seed=4)
    for i, t in enumerate(timesteps):
        eps = images(seed=10 + i)
        abar_prev = alphas_cumprod[timesteps[i + 1]] if i + 1 < steps else torch.tensor(1.0)
        mine, x0_hat = ddim_step(x, eps, alphas_cumprod[t], abar_prev)
        reference = scheduler.step(eps, t, x, use_clipped_model_output=True)
        torch.testing.assert_close(x0_hat, reference.pred_original_sample)
        torch.testing.assert_close(mine, reference.prev_sample)
        x = reference.prev_sample


@pytest.mark.parametrize("w", [0.0, 2.0])       # w = 0 skips the unconditional pass: still the same numbers
def test_sampling_loop_equals_a_loop_driven_by_diffusers(tiny_unet, w):
    """sample() for one weight = diffusers' DDIMScheduler.step on eps_uncond + (w+1)(eps_cond - eps_uncond)."""
    _, alphas_cumprod = noise_schedule("cosine")
    timesteps, digit = sampling_timesteps(4), 3
    noise = torch.randn((2, 1, 8, 8), generator=torch.Generator().manual_seed(5))
    mine = sample(tiny_unet, digit, [w], noise, alphas_cumprod, timesteps, NO_LABEL, record=True)
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                              timestep_spacing="trailing")
    scheduler.set_timesteps(4)
    x = noise
    with torch.inference_mode():
        for i, t in enumerate(scheduler.timesteps):
            torch.testing.assert_close(mine.x_t[i], x)
            eps_cond = tiny_unet(x, t, class_labels=torch.full((2,), digit)).sample
            eps_uncond = tiny_unet(x, t, class_labels=torch.full((2,), NO_LABEL)).sample
            eps = eps_uncond + (w + 1) * (eps_cond - eps_uncond)
            torch.testing.assert_close(mine.eps[i], eps, rtol=1e-4, atol=1e-5)
            x = scheduler.step(eps, t, x, use_clipped_model_output=True).prev_sample
    torch.testing.assert_close(mine.final, x.clamp(-1, 1), rtol=1e-4, atol=1e-4)
    assert mine.x_t.shape == mine.x0_hat.shape == (4, 2, 1, 8, 8)


def test_batched_sweep_equals_separate_runs_over_a_single_step(tiny_unet):
    """All weights in one U-Net call = one call per weight, from the same noise (one step: a random U-Net is
    chaotic over many steps, so float rounding alone would make whole runs drift apart)."""
    _, alphas_cumprod = noise_schedule("cosine")
    weights, noise = [0.0, 1.0, 3.0, 8.0], torch.randn((3, 1, 8, 8), generator=torch.Generator().manual_seed(6))
    timesteps = sampling_timesteps(1)
    batched = grid(sample(tiny_unet, 7, weights, noise, alphas_cumprod, timesteps, NO_LABEL).final, len(weights))
    assert batched.shape == (3, 4, 8, 8)
    for k, w in enumerate(weights):
        alone = sample(tiny_unet, 7, [w], noise, alphas_cumprod, timesteps, NO_LABEL).final   # (3, 1, 8, 8)
        torch.testing.assert_close(batched[:, k], alone[:, 0], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(batched[:, 0], batched[:, 3])         # the weights really differ


def test_weight_zero_rows_skip_the_unconditional_pass(tiny_unet):
    rows = []

    def counting_unet(x, t, class_labels):
        rows.append(len(class_labels))
        return tiny_unet(x, t, class_labels=class_labels)

    _, alphas_cumprod = noise_schedule("cosine")
    noise = torch.randn((3, 1, 8, 8), generator=torch.Generator().manual_seed(6))
    sample(counting_unet, 7, [0.0, 1.0, 3.0], noise, alphas_cumprod, sampling_timesteps(2), NO_LABEL)
    assert rows == [3 * 3 + 2 * 3] * 2                 # 9 conditional rows, 6 unconditional (w = 1 and w = 3)


def test_grid_puts_one_weight_per_column():
    final = torch.arange(6 * 4, dtype=torch.float32).reshape(6, 1, 2, 2)   # K = 3 weights, n = 2 samples
    table = grid(final, 3)                                                 # (2, 3, 2, 2)
    torch.testing.assert_close(table[1, 2], final[2 * 2 + 1, 0])


def test_images_of_any_mode_become_grey_in_unit_range():
    rgba = np.zeros((20, 30, 4), dtype=np.uint8)
    rgba[..., 3] = 0                                                       # fully transparent -> white
    grey, note = image_for_noising(rgba)
    assert grey.shape == (20, 30) and np.allclose(grey, 1.0) and "RGBA" in note
    grey, note = image_for_noising(np.full((10, 12), 128, dtype=np.uint8))
    assert np.allclose(grey, 128 / 255) and note == ""
    big, note = image_for_noising(np.zeros((3000, 4000, 3), dtype=np.uint8))
    assert big.shape == (48, 64) and "4000×3000 → 64×48" in note and "grey" in note
    sixteen, _ = image_for_noising(np.full((8, 8), 60000, dtype=np.uint16))
    assert np.allclose(sixteen, 60000 / 65535, atol=1e-6)
    assert image_for_noising(np.full((5, 5), 300.0))[0].max() == 1.0          # floats above 255 are clipped


@pytest.mark.parametrize("bad, words", [(np.zeros((1, 1, 3), dtype=np.uint8), "at least 4×4"),
                                        (None, "not an image"), ("hello.txt", "not an image"),
                                        (np.zeros(10), "not an image"), (np.zeros((8, 8, 2)), "2"),
                                        (np.zeros((0, 5)), "not an image")])
def test_odd_inputs_are_refused_with_a_clear_message(bad, words):
    with pytest.raises(ValueError, match=words):
        image_for_noising(bad)


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="linear, scaled-linear, cosine"):
        noise_schedule("sigmoid")


def points(n=64, seed=0):
    return torch.randn((n, 2), generator=torch.Generator().manual_seed(seed))            # (n, 2)


@pytest.mark.parametrize("clip", [False, True])
def test_ddim_step_with_eta_one_equals_diffusers_ddim_scheduler_with_the_same_noise(clip):
    """eta = 1 over a 50-step schedule: DDIMScheduler.step(eta=1.0, variance_noise=z), like for like in clipping."""
    _, alphas_cumprod = noise_schedule("linear")
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=clip,
                              set_alpha_to_one=True, timestep_spacing="trailing")
    scheduler.set_timesteps(50)
    timesteps = sampling_timesteps(50)
    x = points()
    for i, t in enumerate(timesteps):
        eps, z = points(seed=100 + i), points(seed=200 + i)
        abar_prev = alphas_cumprod[timesteps[i + 1]] if i + 1 < len(timesteps) else torch.tensor(1.0)
        mine, x0_hat = ddim_step(x, eps, alphas_cumprod[t], abar_prev, clip=clip, eta=1.0, z=z)
        reference = scheduler.step(eps, t, x, eta=1.0, variance_noise=z, use_clipped_model_output=clip)
        torch.testing.assert_close(x0_hat, reference.pred_original_sample)
        torch.testing.assert_close(mine, reference.prev_sample, rtol=1e-4, atol=1e-5)
        x = reference.prev_sample


@pytest.mark.parametrize("label", ["linear", "cosine"])
@pytest.mark.parametrize("t", [999, 600, 250, 1, 0])
def test_ddim_step_with_eta_one_on_consecutive_timesteps_is_ddpm(label, t):
    """DDPM's posterior (fixed-small variance): DDPMScheduler.step with a generator that draws the same z, and the
    variance sigma^2 = beta_tilde_t (DDPMScheduler._get_variance); at t = 0 both add no noise."""
    _, alphas_cumprod = noise_schedule(label)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule=SCHEDULES[label], clip_sample=False)
    scheduler.set_timesteps(1000)
    x, eps = points(seed=1), points(seed=2)
    z = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    abar_t, abar_prev = alphas_cumprod[t], alphas_cumprod[t - 1] if t > 0 else torch.tensor(1.0)
    mine, _ = ddim_step(x, eps, abar_t, abar_prev, clip=False, eta=1.0, z=z)
    reference = scheduler.step(eps, t, x, generator=torch.Generator().manual_seed(7)).prev_sample
    torch.testing.assert_close(mine, reference, rtol=1e-4, atol=2e-5)
    sigma_squared = (1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev)
    torch.testing.assert_close(sigma_squared.clamp(min=1e-20), scheduler._get_variance(t), rtol=1e-4, atol=1e-12)


def test_eta_zero_is_the_deterministic_step_and_eta_needs_fresh_noise():
    _, alphas_cumprod = noise_schedule("cosine")
    x, eps = images(seed=4), images(seed=5)
    plain = ddim_step(x, eps, alphas_cumprod[500], alphas_cumprod[480])
    with_eta = ddim_step(x, eps, alphas_cumprod[500], alphas_cumprod[480], eta=0.0, z=images(seed=6))
    assert torch.equal(plain[0], with_eta[0]) and torch.equal(plain[1], with_eta[1])
    with pytest.raises(ValueError, match="pass z"):
        ddim_step(x, eps, alphas_cumprod[500], alphas_cumprod[480], eta=1.0)


def test_the_training_loss_noises_with_diffusers_formula_and_drops_labels():
    """denoising_loss against the same draws made by hand and noised by diffusers' DDPMScheduler.add_noise."""
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    x0, labels = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(1)), torch.arange(6)
    seen = {}

    def predict(x_t, t, classes):
        seen.update(x_t=x_t, t=t, classes=classes)
        return torch.zeros_like(x_t)

    loss = denoising_loss(predict, x0, labels, 10, 0.5, scheduler.alphas_cumprod, torch.Generator().manual_seed(7))
    generator = torch.Generator().manual_seed(7)
    drop = torch.rand(6, generator=generator) < 0.5
    t = torch.randint(0, 1000, (6,), generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    torch.testing.assert_close(seen["x_t"], scheduler.add_noise(x0, eps, t))
    assert torch.equal(seen["t"], t) and torch.equal(seen["classes"], torch.where(drop, 10, labels))
    torch.testing.assert_close(loss, (eps ** 2).mean())          # predicting 0: the loss is the noise's power


# ---- DDPM through sample(), the step's sigma, the loss of one example (the Denoising panel) ----

@pytest.mark.parametrize("steps", [4, 7])       # 7 does not divide 1000: DDPMScheduler steps to the listed timestep
def test_ddpm_sampling_equals_diffusers_ddpm_scheduler_with_the_same_generator(tiny_unet, steps):
    """Every step of sample(eta = 1) = DDPMScheduler.step(generator=...) from the same x_t on the guided noise, the
    starting noise and every z drawn from one generator in the same order (diffusers' DDPMPipeline: the noise
    first, then one z per step). Step by step: a random U-Net amplifies float rounding over a whole run."""
    _, alphas_cumprod = noise_schedule("cosine")
    timesteps, digit, w = sampling_timesteps(steps), 3, 1.5
    generator = torch.Generator().manual_seed(5)
    noise = torch.randn((2, 1, 8, 8), generator=generator)
    mine = sample(tiny_unet, digit, [w], noise, alphas_cumprod, timesteps, NO_LABEL, record=True,
                  eta=SAMPLER_ETA["ddpm"], generator=generator)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                              timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    assert [int(t) for t in scheduler.timesteps] == timesteps
    generator = torch.Generator().manual_seed(5)
    torch.testing.assert_close(mine.x_t[0], torch.randn((2, 1, 8, 8), generator=generator))
    after = [*mine.x_t[1:], mine.final]                                   # what each step returned
    with torch.inference_mode():
        for i, t in enumerate(scheduler.timesteps):
            x = mine.x_t[i]
            eps_cond = tiny_unet(x, t, class_labels=torch.full((2,), digit)).sample
            eps_uncond = tiny_unet(x, t, class_labels=torch.full((2,), NO_LABEL)).sample
            eps = eps_uncond + (w + 1) * (eps_cond - eps_uncond)
            torch.testing.assert_close(mine.eps[i], eps, rtol=1e-4, atol=1e-5)
            out = scheduler.step(eps, t, x, generator=generator)
            torch.testing.assert_close(mine.x0_hat[i], out.pred_original_sample, rtol=1e-4, atol=1e-5)
            # at t = 999 (abar = 2.4e-9) ddim_step's sqrt(1 - abar_prev - sigma^2) is a float32 difference of two
            # numbers near 1: 3e-4 off (float64 agrees with diffusers to 1e-7); at every other t to 1e-5
            atol = 5e-4 if alphas_cumprod[t] < 1e-6 else 1e-5
            torch.testing.assert_close(after[i], out.prev_sample.clamp(-1, 1) if i + 1 == steps else out.prev_sample,
                                       rtol=1e-4, atol=atol)


def test_ddim_and_ddpm_start_from_the_same_noise_and_part(tiny_unet):
    _, alphas_cumprod = noise_schedule("cosine")
    runs = {}
    for sampler, eta in SAMPLER_ETA.items():
        generator = torch.Generator().manual_seed(2)
        noise = torch.randn((1, 1, 8, 8), generator=generator)
        runs[sampler] = sample(tiny_unet, 4, [0.5], noise, alphas_cumprod, sampling_timesteps(5), NO_LABEL,
                               record=True, eta=eta, generator=generator)
    assert torch.equal(runs["ddim"].x_t[0], runs["ddpm"].x_t[0]) and torch.equal(runs["ddim"].x0_hat[0],
                                                                                  runs["ddpm"].x0_hat[0])
    assert not torch.allclose(runs["ddim"].x_t[1], runs["ddpm"].x_t[1])        # DDPM's first z moved it


@pytest.mark.parametrize("t, t_prev", [(999, 949), (599, 549), (49, -1)])
def test_step_sigma_is_ddpms_posterior_standard_deviation(t, t_prev):
    """step_sigma(eta = 1) = sqrt of DDPMScheduler._get_variance over a spaced schedule; eta = 0 adds nothing."""
    _, alphas_cumprod = noise_schedule("cosine")
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", timestep_spacing="trailing")
    scheduler.set_timesteps(20)
    abar_prev = float(alphas_cumprod[t_prev]) if t_prev >= 0 else 1.0
    variance = float(scheduler._get_variance(t))
    assert step_sigma(alphas_cumprod[t], abar_prev) == pytest.approx(variance ** 0.5 if t_prev >= 0 else 0.0,
                                                                      rel=1e-4, abs=1e-6)
    assert step_sigma(alphas_cumprod[t], abar_prev, eta=0.0) == 0.0


def test_prediction_loss_is_the_mse_of_a_direct_computation_with_diffusers_add_noise(tiny_unet):
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    x0, eps = images(n=1), images(n=1, seed=3)

    def predict(x_t, t):
        return tiny_unet(x_t, torch.as_tensor(t), class_labels=torch.full((len(x_t),), 2)).sample

    with torch.inference_mode():
        x_t, eps_hat, loss = prediction_loss(predict, x0, eps, scheduler.alphas_cumprod, 300)
        expected_x_t = scheduler.add_noise(x0, eps, torch.tensor([300]))
        expected_eps = tiny_unet(expected_x_t, 300, class_labels=torch.tensor([2])).sample
    torch.testing.assert_close(x_t, expected_x_t)
    torch.testing.assert_close(eps_hat, expected_eps)
    torch.testing.assert_close(loss, torch.nn.functional.mse_loss(expected_eps, eps).reshape(1))


def test_loss_across_t_equals_one_example_at_a_time(tiny_unet):
    _, alphas_cumprod = noise_schedule("cosine")
    x0, noises, timesteps = images(n=1), images(n=3, seed=9), [0, 250, 999]

    def predict(x_t, t):
        return tiny_unet(x_t, torch.as_tensor(t), class_labels=torch.full((len(x_t),), 5)).sample

    with torch.inference_mode():
        losses = loss_across_t(predict, x0, noises, alphas_cumprod, timesteps)
        assert losses.shape == (3, 3)
        for k, t in enumerate(timesteps):
            for n in range(3):
                _, _, alone = prediction_loss(predict, x0, noises[n:n + 1], alphas_cumprod, t)
                torch.testing.assert_close(losses[k, n], alone[0], rtol=1e-4, atol=1e-6)
