"""What a learner feels: from the key that applies a typed value (Enter in a slider's box) to the moment plotly has
the new figure, in Chromium against the running app, for four interactions. Each is set against the handler itself,
called in this process with the same inputs (the part of the wait that is the science); the rest is the round trip,
the queue and the drawing.

    .venv/bin/python -m bench.bench_browser_latency        # starts the app on a free port; needs /usr/bin/chromium

The target (issue #20) is < 300 ms to the changed figure on this machine. Not part of `make test` (no wall-clock
limits in tests).
"""
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPEATS = 7

# (panel, the slider's elem id, the figure's elem id, values typed in turn, a script that waits for the panel)
INTERACTIONS = [
    ("neuron", "neuron-bias", "neuron-plane", ["1", "-1"], "#neuron-formula"),
    ("descent", "descent-eta", "descent-contour", ["0.2", "0.1"], "#descent-formula"),
    ("noising", "noising-t", "noising-noised", ["400", "250"], "#noising-formula"),
    ("attention", "attention-head", "attention-pattern", ["2", "1"], "#attention-formula"),
]

START_WATCH = """([plotId]) => {
    window.__latency = null;
    window.__last = null;
    const plot = () => document.querySelector(`#${plotId} .js-plotly-plot`);
    const before = plot() && plot().data;
    const seen = new Map([...document.querySelectorAll('.js-plotly-plot')].map((p) => [p.closest('[id]').id, p.data]));
    const started = {t: null};
    document.addEventListener("keydown", (e) => { if (e.key === "Enter" && started.t === null) started.t = performance.now(); },
                              {capture: true, once: true});
    const check = () => {
      const p = plot();
      if (started.t !== null) {
        if (window.__latency === null && p && p.data !== before && p._fullLayout) window.__latency = performance.now() - started.t;
        for (const q of document.querySelectorAll('.js-plotly-plot')) {       // any figure of the page redrawn
          const id = q.closest('[id]').id;
          if (q._fullLayout && q.data !== seen.get(id)) { seen.set(id, q.data); window.__last = performance.now() - started.t; }
        }
      }
      if (started.t === null || performance.now() - started.t < 3000) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def handler_times() -> dict:
    """The handlers alone, in this process, with the same inputs the page sends (median of REPEATS calls)."""
    import torch

    from bench.timing import median_time
    from explorers.generation.noising import noised_view
    from explorers.learning.descent.toy import update_toy
    from explorers.structure.neuron import update
    from explorers.transformers.attention.heads import PRESETS, view
    from models.settings import Settings

    settings = Settings(cache_dir=str(REPO / ".cache"))
    torch.set_num_threads(2)
    times = {
        "neuron": median_time(lambda: update(2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, 1.0, "sigmoid"), REPEATS),
        "descent": median_time(lambda: update_toy("bowl", 1.6, 1.2, 0.2, 0.0, 30, 0), REPEATS),
        "noising": median_time(lambda: noised_view("digit 3", None, 400, "cosine", 0), REPEATS),
    }
    prompt = next(iter(PRESETS.values()))                            # the panel's opening prompt
    view(settings, prompt, 0, 2, 16, [])                             # the pass is cached, as in the page
    times["attention"] = median_time(lambda: view(settings, prompt, 0, 2, 16, []), REPEATS)
    return times


def browser_times(url: str) -> dict:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for panel, slider, plot, values, ready in INTERACTIONS:
            page.goto(f"{url}/?panel={panel}")
            expect(page.locator(f"#{plot} .js-plotly-plot")).to_be_visible()
            expect(page.locator(ready)).to_be_visible()
            page.wait_for_timeout(3000)                              # the opening events settle
            box = page.locator(f"#{slider} input[type=number]")
            samples, last = [], []
            for k in range(REPEATS + 1):
                page.evaluate(START_WATCH, [plot])
                box.fill(values[k % len(values)])
                box.press("Enter")
                page.wait_for_function("() => window.__latency !== null")
                page.wait_for_timeout(3000)                          # the other figures of the update, if any
                samples.append(page.evaluate("() => window.__latency") / 1000)
                last.append(page.evaluate("() => window.__last") / 1000)
            results[panel] = statistics.median(samples[1:]), statistics.median(last[1:])   # the first warms up
        browser.close()
    return results


@contextmanager
def running_app():
    """The app in a subprocess on a free port, offline; yields its URL once it answers."""
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), HF_HUB_OFFLINE="1", DLE_CACHE_DIR=str(REPO / ".cache"))
    app = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/config", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        app.terminate()
        app.wait(timeout=30)


def main() -> None:
    with running_app() as url:
        felt = browser_times(url)
    handlers = handler_times()
    for panel, slider, plot, _, _ in INTERACTIONS:
        first, last = felt[panel]
        print(f"{panel}: Enter in #{slider} to the new #{plot} in Chromium {first * 1000:.0f} ms (target "
              f"< 300 ms {'✓' if first < 0.3 else '✗'}), to the last figure redrawn {last * 1000:.0f} ms; the handler "
              f"alone {handlers[panel] * 1000:.1f} ms; {first / handlers[panel]:.1f}x the handler")


if __name__ == "__main__":
    main()
