"""What every benchmark shares: the median wall time of repeated calls (robust to a noisy shared machine)."""
import time

import numpy as np


def median_time(fn, repeats: int = 20) -> float:
    """Seconds, the median of `repeats` calls of fn()."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
