"""A guidance sweep's settings, checked once, whatever it asks for (a digit of the digit model, or a text prompt of
a Stable Diffusion model): the weights w, the samples per weight, the DDIM steps and the seed. The sweep itself is
core/diffusion.guided_ddim: every w of the sweep shares one batched U-Net call per step."""
from core.checks import MAX_SEED, finite_list, quote, whole
from core.diffusion import MAX_GUIDANCE as MAX_W     # the one maximum of w, stated beside the guidance formula

MAX_WEIGHTS = 10       # columns of the grid
MAX_SAMPLES = 8        # rows of the grid (samples per weight)
MAX_STEPS = 50         # DDIM steps; the batch is 2 x weights x samples images per step


def checked_weights(weights) -> tuple[float, ...]:
    """1 to MAX_WEIGHTS finite weights in [0, MAX_W]; a text such as '0, 0.5, 1' is read first."""
    if isinstance(weights, str):
        parts = [p for p in weights.replace(";", ",").replace(" ", ",").split(",") if p]
        try:
            weights = [float(p) for p in parts[:MAX_WEIGHTS + 1]]
        except ValueError:
            raise ValueError(f"Weights are numbers separated by commas, e.g. 0, 1, 3; got {quote(weights)}.") from None
    values = finite_list("weights", weights)
    if not 1 <= len(values) <= MAX_WEIGHTS:
        raise ValueError(f"Give 1 to {MAX_WEIGHTS} guidance weights, got {len(values)}.")
    for w in values:
        if not 0 <= w <= MAX_W:
            raise ValueError(f"Each guidance weight w must be between 0 and {MAX_W:g}, got {w:g}.")
    return tuple(values)


def checked_sweep(weights, samples, steps, seed) -> tuple[tuple[float, ...], int, int, int]:
    """(weights, samples per weight, steps, seed), each checked, or a ValueError that names the bad one."""
    return (checked_weights(weights), whole("samples per weight", samples, 1, MAX_SAMPLES),
            whole("steps", steps, 1, MAX_STEPS), whole("seed", seed, 0, MAX_SEED))
