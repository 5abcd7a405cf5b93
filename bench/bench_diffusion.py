"""Diffusion panels, same run:
1. the default guidance sweep (8 weights x 4 samples x 50 DDIM steps) with all weights in one batched U-Net call
   per step, against sampling each weight separately from the same noise (target: < 3 s, >= 1.8x faster);
2. one move of the noising slider (the panel's whole handler: add_noise, formula, x_t figure, curves) against a
   plain DDPMScheduler.add_noise call (target: < 50 ms per move).

    .venv/bin/python -m bench.bench_diffusion
"""
import torch
from diffusers import DDPMScheduler

from bench.timing import median_time
from core.diffusion import noise_schedule, sample, sampling_timesteps
from explorers.generation.guidance import DEFAULT_WEIGHTS
from explorers.generation.noising import noised_view
from models.digit_diffusion import DEFAULT_STEPS, load_digit_diffusion

SAMPLES = 4
SWEEP_REPEATS = 3
SLIDER_REPEATS = 30


def main() -> None:
    model = load_digit_diffusion()
    _, alphas_cumprod = noise_schedule(model.schedule)
    timesteps = sampling_timesteps(DEFAULT_STEPS)
    noise = torch.randn((SAMPLES, 1, 16, 16), generator=torch.Generator().manual_seed(0))   # (n, 1, H, W)

    def batched():
        return sample(model.unet, 3, list(DEFAULT_WEIGHTS), noise, alphas_cumprod, timesteps, model.no_label).final

    def per_weight():
        return torch.cat([sample(model.unet, 3, [w], noise, alphas_cumprod, timesteps, model.no_label).final
                          for w in DEFAULT_WEIGHTS])

    difference = float((batched() - per_weight()).abs().max())
    t_batched, t_separate = median_time(batched, SWEEP_REPEATS), median_time(per_weight, SWEEP_REPEATS)
    print(f"guidance sweep, {len(DEFAULT_WEIGHTS)} weights x {SAMPLES} samples x {DEFAULT_STEPS} DDIM steps, CPU "
          f"threads {torch.get_num_threads()}: batched {t_batched:.2f} s, per-w {t_separate:.2f} s; "
          f"per-w / batched = {t_separate / t_batched:.2f}x (target >= 1.8x, batched < 3 s); "
          f"max |batched - per-w| = {difference:.1e}")

    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    x0, eps = torch.rand((1, 1, 64, 64)) * 2 - 1, torch.randn((1, 1, 64, 64))
    moves = iter(range(10**9))

    def plain():
        scheduler.add_noise(x0, eps, torch.tensor([next(moves) % 1000]))

    def slider_move():
        noised_view("astronaut", None, next(moves) % 1000, "cosine", 0)

    plain(), slider_move()
    t_plain, t_move = median_time(plain, SLIDER_REPEATS), median_time(slider_move, SLIDER_REPEATS)
    print(f"noising slider, 64x64 photo: one move {t_move * 1000:.1f} ms (target < 50 ms), plain "
          f"DDPMScheduler.add_noise {t_plain * 1000:.2f} ms; move / plain = {t_move / t_plain:.0f}x "
          "(the rest is the formula and two plotly figures)")


if __name__ == "__main__":
    main()
