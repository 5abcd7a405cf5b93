"""The vector-field panel's speed targets, each against a baseline measured in the same run:
- a slider move (t or w) redraws a 25 x 25 arrow field: the whole handler (formula, cloud, arrows) against the same
  field computed point by point (one network call per arrow);
- 500 paths x 50 DDIM steps: our loop (core.diffusion.guided_ddim) against diffusers' DDIMScheduler driving the
  same network step by step.

    .venv/bin/python -m bench.bench_vector_field
"""
import torch

from bench.timing import median_time
from core.vector_field import sample_paths
from explorers.generation.vector_field import field_view, grid_points
from models.toy_diffusion import load_toy_diffusion


def main() -> None:
    model = load_toy_diffusion("moons")
    grid, _ = grid_points(25)
    points = torch.from_numpy(grid)
    ts = iter(range(10, 10_000, 7))

    def slider_move():
        field_view("moons", next(ts) % 1000, 0, 3.0, 25)

    def point_by_point():
        t = next(ts) % 1000
        with torch.inference_mode():
            for x in points:
                model.network(x[None], torch.tensor([t]), torch.tensor([model.no_label]))

    slider_move()
    ours, naive = median_time(slider_move, 15), median_time(point_by_point, 5)
    print(f"vector field slider move, 25 x 25 arrows, guided (two fields): handler {ours * 1000:.1f} ms "
          f"(target < 50 ms); point by point {naive * 1000:.1f} ms; {naive / ours:.1f}x")

    noise = torch.randn((500, 2), generator=torch.Generator().manual_seed(0))

    def our_paths():
        sample_paths(model.network, None, 0.0, model.no_label, noise, model.alphas_cumprod, 50, "ddim", 0)

    def diffusers_paths():
        from diffusers import DDIMScheduler

        scheduler = DDIMScheduler(num_train_timesteps=len(model.alphas_cumprod), timestep_spacing="trailing",
                                  beta_schedule=model.config.schedule, clip_sample=False)
        scheduler.set_timesteps(50)
        x = noise.clone()
        labels = torch.full((len(x),), model.no_label)
        with torch.inference_mode():
            for t in scheduler.timesteps:
                eps = model.network(x, torch.full((len(x),), int(t)), labels)
                x = scheduler.step(eps, t, x).prev_sample

    ours, library = median_time(our_paths, 10), median_time(diffusers_paths, 10)
    print(f"500 paths x 50 DDIM steps: ours {ours * 1000:.1f} ms (target < 200 ms); diffusers' DDIMScheduler loop "
          f"{library * 1000:.1f} ms; ours / diffusers = {ours / library:.2f}")


if __name__ == "__main__":
    main()
