"""Text to image and CLIP, same run:
1. text to image, 8x8x4 latents, 30 DDIM steps, a batch of 4 with guidance (the app's loop, core.latent.text_sample),
   against diffusers' own StableDiffusionPipeline call doing the same work (target: < 2 s);
2. one latent-space U-Net step (batch 2: with and without the prompt) against one step of a pixel-space U-Net of the
   same widths on 64x64x3 (random weights; target: the latent step >= 10x faster): why Stable Diffusion fits on
   consumer GPUs;
3. CLIP similarity of 16 images x 16 captions (both encoders and the matrix) against transformers' own
   CLIPModel forward call on the same inputs (target: < 100 ms).

    .venv/bin/python -m bench.bench_text_to_image
"""
import torch

from bench.timing import median_time
from core.clip import similarity
from core.diffusion import sampling_timesteps
from core.latent import from_latent, prompt_embeddings, text_sample
from models.image_pipeline import load_image_pipeline
from models.scene_clip import load_scene_clip, pixels
from models.scene_pipeline import FOLDER, build_pixel_unet
from models.scenes import scene_batch

PROMPT, W, STEPS, BATCH = "a red seven on the left and a blue two on the right", 7.5, 30, 4


def text_to_image_times(pipe) -> tuple[float, float]:
    from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline

    embedded, empty = prompt_embeddings(pipe.tokenizer, pipe.text_encoder, [PROMPT, ""]).split(1)
    noise = torch.randn((BATCH, *pipe.latent_shape), generator=torch.Generator().manual_seed(0))
    timesteps = sampling_timesteps(STEPS)

    def ours():
        run = text_sample(pipe.unet, embedded, empty, [W], noise, pipe.alphas_cumprod, timesteps)
        return from_latent(pipe.vae, run.final, pipe.scaling)

    reference = StableDiffusionPipeline.from_pretrained(FOLDER, safety_checker=None, requires_safety_checker=False)
    reference.set_progress_bar_config(disable=True)

    def theirs():
        return reference([PROMPT] * BATCH, guidance_scale=W + 1, num_inference_steps=STEPS, latents=noise,
                         output_type="pt")

    return median_time(ours, 5), median_time(theirs, 5)


def step_times(pipe) -> tuple[float, float]:
    latent = torch.randn((2, *pipe.latent_shape))
    text = torch.randn((2, pipe.tokenizer.model_max_length, pipe.unet.config.cross_attention_dim))
    pixel_unet = build_pixel_unet(dict(pipe.unet.config), pipe.image_side).eval()
    image = torch.randn((2, 3, pipe.image_side, pipe.image_side))
    with torch.inference_mode():
        latent_step = median_time(lambda: pipe.unet(latent, torch.tensor(500), encoder_hidden_states=text), 20)
        pixel_step = median_time(lambda: pixel_unet(image, torch.tensor(500), encoder_hidden_states=text), 5)
    return latent_step, pixel_step


def clip_times(clip) -> tuple[float, float]:
    images, scenes = scene_batch(16, 0, "test")
    captions = [scene.caption for scene in scenes]

    def ours():
        return similarity(clip.image_embeddings(images), clip.text_embeddings(captions), clip.logit_scale)

    batch = clip.tokenizer(captions, padding="max_length", truncation=True, return_tensors="pt")

    def theirs():
        with torch.inference_mode():
            return clip.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                              pixel_values=pixels(images)).logits_per_image

    return median_time(ours, 20), median_time(theirs, 20)


def main() -> None:
    pipe = load_image_pipeline(str(FOLDER), "cpu")
    ours, theirs = text_to_image_times(pipe)
    print(f"text to image, {BATCH} images x {STEPS} DDIM steps with guidance, {'x'.join(map(str, pipe.latent_shape))} "
          f"latents, CPU threads {torch.get_num_threads()}: the app's loop {ours:.2f} s, diffusers' "
          f"StableDiffusionPipeline {theirs:.2f} s ({theirs / ours:.2f}x; target < 2 s)")
    latent_step, pixel_step = step_times(pipe)
    print(f"one U-Net step, batch 2: latent 8x8x4 {1000 * latent_step:.1f} ms, pixel 64x64x3 with the same widths "
          f"{1000 * pixel_step:.1f} ms: the latent step is {pixel_step / latent_step:.1f}x faster (target >= 10x)")
    ours, theirs = clip_times(load_scene_clip())
    print(f"CLIP similarity, 16 images x 16 captions: {1000 * ours:.1f} ms; transformers' CLIPModel forward "
          f"{1000 * theirs:.1f} ms ({theirs / ours:.2f}x; target < 100 ms)")


if __name__ == "__main__":
    main()
