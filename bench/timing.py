"""What every benchmark shares: the median wall time of repeated calls (robust to a noisy shared machine), and
waiting for a server to go idle."""
import os
import time
from pathlib import Path

import numpy as np


def median_time(fn, repeats: int = 20) -> float:
    """Seconds, the median of `repeats` calls of fn()."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def wait_idle(pid: int, quiet: float = 3.0, cap: float = 120.0) -> float:
    """Seconds until the server uses under 0.3 of a core for `quiet` s (its background warm-up has loaded the
    models; an idle Gradio server still polls its queue, about 0.1 of a core here)."""
    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")           # utime + stime
    started, samples = time.monotonic(), [cpu()]
    while time.monotonic() - started < cap:
        time.sleep(1)
        samples.append(cpu())
        if len(samples) > quiet and samples[-1] - samples[-1 - int(quiet)] < 0.3 * quiet:
            break
    return time.monotonic() - started
