"""The hub path of the Generation panels (core/latent.py, models/image_pipeline.py) on a tiny random Stable
Diffusion pipeline saved to a temp dir and loaded by the app's own loader: against diffusers' own pipeline,
scheduler and prompt encoder."""
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler, StableDiffusionPipeline

from core.diffusion import add_noise, sampling_timesteps
from core.latent import from_latent, prompt_embeddings, text_sample, to_latent
from models.image_pipeline import check_image_model, load_image_pipeline
from tests.tiny_pipeline import PROMPT, tiny_pipeline


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def image_model(folder):
    return load_image_pipeline(str(folder), "cpu")


@pytest.fixture(scope="module")
def reference(folder):
    return StableDiffusionPipeline.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)


def test_a_hub_id_needs_online_and_a_local_folder_does_not(folder):
    with pytest.raises(ValueError, match="--online"):
        check_image_model("stable-diffusion-v1-5/stable-diffusion-v1-5", online=False)
    check_image_model("stable-diffusion-v1-5/stable-diffusion-v1-5", online=True)
    check_image_model(str(folder), online=False)


def test_the_loader_reads_the_checkpoints_own_schedule_and_sizes(image_model, reference):
    torch.testing.assert_close(image_model.alphas_cumprod, reference.scheduler.alphas_cumprod.float())
    assert image_model.scaling == reference.vae.config.scaling_factor
    assert image_model.downsampling == reference.vae_scale_factor == 2        # 2 VAE blocks here, 4 (8x) in SD
    assert image_model.latent_shape == (4, 8, 8) and image_model.image_side == 16


def test_latent_round_trip_shapes_and_the_encoder_mean(image_model, reference):
    images = torch.rand((2, 3, 16, 16), generator=torch.Generator().manual_seed(1)) * 2 - 1
    latents = to_latent(image_model.vae, images, image_model.scaling)
    assert latents.shape == (2, *image_model.latent_shape)
    with torch.inference_mode():
        expected = reference.vae.encode(images).latent_dist.mean * reference.vae.config.scaling_factor
        decoded = reference.vae.decode(latents / reference.vae.config.scaling_factor).sample.clamp(-1, 1)
    torch.testing.assert_close(latents, expected)
    torch.testing.assert_close(from_latent(image_model.vae, latents, image_model.scaling), decoded)


def test_latent_noising_equals_the_checkpoints_ddpm_scheduler(image_model, folder):
    scheduler = DDPMScheduler.from_pretrained(folder, subfolder="scheduler")
    latents = torch.randn((2, 4, 8, 8), generator=torch.Generator().manual_seed(2))
    eps = torch.randn(latents.shape, generator=torch.Generator().manual_seed(3))
    for t in (0, 250, 999):
        torch.testing.assert_close(add_noise(latents, eps, image_model.alphas_cumprod, t),
                                   scheduler.add_noise(latents, eps, torch.tensor([t])), rtol=1e-5, atol=1e-5)


def test_prompt_embeddings_equal_the_pipelines_encoder(image_model, reference):
    with torch.inference_mode():
        positive, negative = reference.encode_prompt(PROMPT, "cpu", 1, True, negative_prompt="")
    ours = prompt_embeddings(image_model.tokenizer, image_model.text_encoder, [PROMPT, ""])
    torch.testing.assert_close(ours[:1], positive)
    torch.testing.assert_close(ours[1:], negative)


def test_text_guided_sampling_equals_the_stable_diffusion_pipeline(image_model, reference):
    """Our loop, guidance line eps_uncond + (w+1)(eps_cond - eps_uncond) and DDIM steps = diffusers' own pipeline
    with guidance_scale = w + 1 and a DDIM scheduler of the same spacing."""
    w, steps = 2.0, 4
    noise = torch.randn((1, 4, 8, 8), generator=torch.Generator().manual_seed(4))
    prompt, empty = prompt_embeddings(image_model.tokenizer, image_model.text_encoder, [PROMPT, ""]).split(1)
    ours = text_sample(image_model.unet, prompt, empty, [w], noise, image_model.alphas_cumprod,
                       sampling_timesteps(steps)).final
    reference.scheduler = DDIMScheduler.from_config(reference.scheduler.config, timestep_spacing="trailing",
                                                    set_alpha_to_one=True, clip_sample=False, steps_offset=0)
    with torch.inference_mode():
        theirs = reference(PROMPT, num_inference_steps=steps, guidance_scale=w + 1, latents=noise.clone(),
                           output_type="latent", negative_prompt="").images
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


def test_the_batched_text_sweep_equals_separate_runs_over_a_single_step(image_model):
    weights = [0.0, 1.0, 4.0]
    noise = torch.randn((2, 4, 8, 8), generator=torch.Generator().manual_seed(5))
    prompt, empty = prompt_embeddings(image_model.tokenizer, image_model.text_encoder, [PROMPT, ""]).split(1)
    timesteps = sampling_timesteps(1)
    batched = text_sample(image_model.unet, prompt, empty, weights, noise, image_model.alphas_cumprod, timesteps)
    table = batched.final.reshape(len(weights), 2, 4, 8, 8)
    for k, w in enumerate(weights):
        alone = text_sample(image_model.unet, prompt, empty, [w], noise, image_model.alphas_cumprod, timesteps)
        # one step from t = 999 divides by sqrt(abar) ~ 0.07 and latents are not clipped: rounding grows ~15x
        torch.testing.assert_close(table[k], alone.final, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(table[0], table[2], atol=1e-2)
