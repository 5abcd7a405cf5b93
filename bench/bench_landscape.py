"""Speed of the gradient-descent panel, each against a baseline measured in the same run.

1. The real network's loss landscape: a 41 x 41 grid over the full digits training set (1,347 examples) for the
   64-16-16-10 network. Baselines: the naive per-point loop (set the weights, evaluate the whole set, as the
   reference `loss-landscape` code does), a plain `torch.func.vmap` of the same cost, and the arithmetic floor
   (the plain forward pass's FLOPs at this CPU's fp32 matmul rate, measured here). Goal: >= 4x faster than the
   loop, within 5x of the floor.
2. A toy-surface slider move, handled server-side (path + figures + table + formula). Goal: < 50 ms.
"""
import time

import torch

from bench import timing
from core.loss_landscape import axis, forward_flops, landscape_grid, moved, random_directions
from core.mlp import cost
from models.digit_network import load_digit_network
from models.digits import load_digits_split

GRID, EXTENT, REPEATS = 41, 1.0, 5


def median_time(fn, repeats: int = REPEATS) -> float:
    fn()                                                                       # warm up
    return timing.median_time(fn, repeats)


def matmul_rate() -> float:
    """fp32 FLOP/s of a large square matmul: the best this CPU does with torch's threads."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    return 2 * 1024 ** 3 / min(median_time(lambda: a @ b, 3) for _ in range(3))


def bench_grid(activation: str) -> None:
    data = load_digits_split()
    x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)                # (N, 64), (N,)
    params = load_digit_network(activation).params
    d1, d2 = random_directions(params, seed=0)
    alphas = axis(GRID, EXTENT)

    def naive(points=alphas):
        with torch.inference_mode():
            return torch.tensor([[float(cost(moved(params, d1, d2, float(a), float(b)), x, y, activation))
                                  for a in points] for b in points])

    def plain_vmap():
        grid_b, grid_a = torch.meshgrid(alphas, alphas, indexing="ij")
        a, b = grid_a.reshape(-1), grid_b.reshape(-1)                                # (P,)
        stacked = {n: params[n] + a.view(-1, *[1] * params[n].dim()) * d1[n]
                   + b.view(-1, *[1] * params[n].dim()) * d2[n] for n in params}     # (P, ...) per tensor
        with torch.inference_mode():
            return torch.func.vmap(lambda p: cost(p, x, y, activation))(stacked).reshape(GRID, GRID)

    def ours():
        return landscape_grid(params, d1, d2, x, y, activation, alphas, alphas)

    naive(alphas[:5])                                                          # warm up on a few points
    start = time.perf_counter()
    looped = naive()
    t_naive = time.perf_counter() - start                                      # one run: it is the slow one
    difference = float((ours() - looped).abs().max())
    t_vmap = median_time(plain_vmap, 3)
    t_ours = median_time(ours)
    flops = forward_flops(len(x), GRID * GRID)
    floor = flops / matmul_rate()
    print(f"loss landscape {GRID}x{GRID}, {len(x)} examples, {activation}, CPU threads {torch.get_num_threads()}:\n"
          f"  naive per-point loop {t_naive * 1000:.0f} ms | plain vmap {t_vmap * 1000:.0f} ms | "
          f"ours (batched, stacked weights) {t_ours * 1000:.0f} ms | arithmetic floor {flops / 1e9:.1f} GFLOP "
          f"at the measured matmul rate = {floor * 1000:.0f} ms\n"
          f"  ours vs naive loop: {t_naive / t_ours:.1f}x faster (goal >= 4x); vs plain vmap: "
          f"{t_vmap / t_ours:.1f}x faster; ours / floor = {t_ours / floor:.1f}x (goal <= 5x); "
          f"max |ours - loop| = {difference:.1e}")


def bench_slider() -> None:
    """The whole handler of a toy-surface slider move, its science alone, and the neuron sandbox's slider handler
    (two plotly figures too) as the baseline: most of the time is plotly building figures."""
    from core.landscape import descend_surface
    from explorers.learning.descent.toy import update_toy
    from explorers.structure.neuron import update as neuron_update

    args = ("rosenbrock", -1.5, 2.5, 0.001, 0.9, 200, 200)
    t_panel = median_time(lambda: update_toy(*args), 20)
    t_path = median_time(lambda: descend_surface(*args[:-1]), 20)
    t_neuron = median_time(lambda: neuron_update(2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.0, -0.5, "sigmoid"), 20)
    print(f"toy-surface slider move (Rosenbrock, 200 steps with momentum): whole handler {t_panel * 1000:.1f} ms "
          f"(goal < 50 ms), of which the descent itself {t_path * 1000:.2f} ms; the neuron sandbox's slider handler "
          f"{t_neuron * 1000:.1f} ms; ours / neuron = {t_panel / t_neuron:.2f}")


if __name__ == "__main__":
    bench_grid("sigmoid")
    bench_grid("relu")
    bench_slider()
