"""Page weight as a visitor feels it: how long a page takes from navigation until it stops changing, for the app's
first page, a full deep link of one panel per section and a tour step into another section, against a bare Gradio
page (bench/bare_app.py: one small plotly figure and one slider, the app's theme) measured in the same run.

    .venv/bin/python -m bench.bench_page_load [--rounds 3] [--only bare,first,neuron,...,tour] [--app-dir DIR]

Every load is in a fresh browser context (no cache) with Debian's Chromium; the median over the rounds is reported.
- Config: the page's HTML embeds its config (`window.gradio_config = {...};`, Gradio 6.31 does not fetch /config
  for it; the run counts /config requests to check): its bytes and number of components, for "/".
- Settled: an init script's MutationObserver notes performance.now() of the last change of the document, ignoring
  what is not seen: Gradio's progress timers (.progress-text, .eta-bar, .timer, .meta-text, .progress-level), the
  insides of a hidden status tracker (Gradio empties it after the event), .sr-only text, aria-* and role
  attributes, and <head> (plotly adds and removes its style elements there).
  A page is settled when a plotly figure is drawn (a `.js-plotly-plot` with `_fullLayout`; required wherever the
  page's config holds a gr.Plot), no status tracker is pending (in 6.31: a visible `[data-testid=status-tracker]`
  without `.hide` and with text, such as "Loading..." or "0.8s", or `.generating`), no event is in flight (an open
  queue/join or queue/data request: an event with show_progress="hidden" shows nothing, then changes the page)
  and nothing changed for QUIET s.
  The time reported is the last change minus the navigation start (or minus the key press, for the tour step).
- Draws: how many plotly divs were (re)created during the load, against the figures on the settled page: a link
  that draws the default view and then the linked one shows extra draws. Events: queue/join requests (for the
  tour step, those of the next stop's page only).
- Layout shift: the sum of Chromium's layout-shift scores (PerformanceObserver 'layout-shift') until settled: what
  was on screen moving as the page filled in (a formula or a figure arriving above a button the learner aims at).
  Not for the tour step (its page is prerendered, out of view).
- Any request that leaves 127.0.0.1 fails the run (exit 1). Targets are printed, not enforced (exit 0).

Both servers run as subprocesses on free ports; the rounds start once the app is idle (its warm-up has loaded the
models; a model's first use may still be slower in round 1, which the median leaves out).
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bench.timing import wait_idle

REPO = Path(__file__).resolve().parents[1]
QUIET, CAP = 1.5, 60.0                   # s without a change to count as settled; s before a load is a timeout
PRERENDER = 14.0                         # s for a tour stop to settle and prerender the next one before the key
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LINKS = {                                # one full link per section (names from each panel's link_box call)
    "neuron": "panel=neuron&f=relu&b=2",
    "descent": "panel=descent&s=wells&eta=0.3",
    "playground": "panel=playground&data=xor&layers=1",
    "attention": "panel=attention&prompt=The%20cat%20sat%20on%20the%20mat&layer=3&head=2",
    "next-token": "panel=next-token&prompt=The%20capital%20of%20France%20is&T=0.5",
    "text-to-image": "panel=text-to-image&prompt=a%20red%20seven&w=5&seed=8",
    "noising": "panel=noising&t=500",
}
LEARNING = {"descent", "backprop", "playground"}                       # app.py's sections, for the tour step
TRANSFORMERS = {"embeddings", "next-token", "attention", "residual", "editing"}

WATCH = """(() => {
  const TIMERS = '.progress-text, .eta-bar, .timer, .meta-text, .meta-text-center, .progress-level';
  const UNSEEN = '[data-testid="status-tracker"].hide, .sr-only';    // a hidden tracker's insides, screen-reader text
  const load = window.__load = {last: 0, created: 0, target: null, shift: 0};
  new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) load.shift += e.value; })
    .observe({type: 'layout-shift', buffered: true});                // how far what was shown jumped (see above)
  const visible = (m) => {
    const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
    const inside = m.type === 'attributes' ? el && el.parentElement : el;     // a tracker's own class change is seen
    const stillHidden = m.attributeName === 'class' && el && el.matches(UNSEEN)    // hidden before and after
      && / hide( |$)/.test(` ${m.oldValue}`);
    return !(el && el.closest(`head, ${TIMERS}`)) && !(inside && inside.closest(UNSEEN)) && !stillHidden;
  };
  const isPlot = (el) => el.nodeType === 1 && el.classList.contains('js-plotly-plot');
  new MutationObserver((list) => {
    for (const m of list) {
      if (m.type === 'attributes' && (m.attributeName.startsWith('aria-') || m.attributeName === 'role')) continue;
      if (m.type === 'attributes' && m.attributeName === 'class' && isPlot(m.target)     // Plotly.newPlot marks its div
          && !(m.oldValue || '').split(/\\s+/).includes('js-plotly-plot')) load.created++;
      if (visible(m)) { load.last = performance.now(); load.target = m.target; }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true, characterData: true});
  addEventListener('keydown', () => sessionStorage.setItem('keyAt', performance.timeOrigin + performance.now()), true);
})();"""

STATE = """() => {
  const shown = (el) => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
                          return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0'; };
  const pending = [...document.querySelectorAll('[data-testid="status-tracker"], .generating, .wrap.pending')].some(
    (el) => !el.classList.contains('hide') && shown(el) && (el.matches('.generating') || el.innerText.trim() !== ''));
  const plots = [...document.querySelectorAll('.js-plotly-plot')].filter((p) => p._fullLayout).length;
  const load = window.__load || {last: 0, created: 0, target: null};
  const el = load.target && (load.target.parentElement || load.target);                // where the last change was
  return {now: performance.now(), origin: performance.timeOrigin, last: load.last, created: load.created, plots,
          shift: load.shift,
          pending, what: el ? (el.closest('[id]') || {}).id || el.tagName : '', keyAt: sessionStorage.getItem('keyAt')};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()                                     # by its own PID
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def start_server(script: str, cwd: Path, log, port_flag: bool) -> tuple[subprocess.Popen, str]:
    """python `script` on a free port (GRADIO_SERVER_PORT, and --port if port_flag), offline; returns the process
    and its URL once GET / answers 200."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, script, *(["--port", str(port)] if port_flag else [])]
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url, started = f"http://127.0.0.1:{port}", time.monotonic()
    while time.monotonic() - started < 300 and process.poll() is None:
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"{script} in {cwd} did not serve GET / (exit code {process.returncode}); see {log.name}")


def page_config(url: str) -> dict:
    """The config embedded in the page's HTML: bytes, components, whether it holds a gr.Plot."""
    html = urllib.request.urlopen(url + "/", timeout=60).read().decode()
    text = re.search(r"window\.gradio_config = (.*?);</script>", html, re.S).group(1)
    components = json.loads(text)["components"]
    return {"bytes": len(text.encode()), "components": len(components),
            "plots": any(c.get("type") == "plot" for c in components)}


def tour_step(app_dir: Path) -> int:
    """The last stop of the Learning section before the first Transformers stop (counted from 1)."""
    stops = tomllib.loads((app_dir / "tours" / "series.toml").read_text())["stop"]
    return next(n for n in range(1, len(stops)) if stops[n - 1]["panel"] in LEARNING
                and stops[n]["panel"] in TRANSFORMERS)


class Browser:
    """Chromium; each load in a fresh context that records requests leaving 127.0.0.1 and /config fetches."""

    def __init__(self, playwright):
        self.browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        self.outside, self.config_fetches, self.queue, self.events = [], 0, set(), 0

    def on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            self.outside.append(request.url)
        self.config_fetches += parts.path.rstrip("/").endswith("/config")
        if parts.path.endswith(("/queue/join", "/queue/data")):     # an event in flight, its progress shown or not
            self.queue.add(request)
        self.events += parts.path.endswith("/queue/join")

    def page(self):
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.queue.clear()
        self.events = 0
        context.on("request", self.on_request)
        context.on("requestfinished", lambda request: self.queue.discard(request))
        context.on("requestfailed", lambda request: self.queue.discard(request))
        context.add_init_script(WATCH)
        return context, context.new_page()


def settle(browser: Browser, page, figures: bool, since_key: bool = False) -> dict:
    """Poll until settled (see the docstring) or CAP; seconds from navigation start (or the key press) to the last
    change, plotly divs created and figures drawn. seconds is inf on a timeout, and `why` says what was missing."""
    started, s = time.monotonic(), {"created": 0, "plots": 0}
    while time.monotonic() - started < CAP:
        page.wait_for_timeout(250)
        try:
            s = page.evaluate(STATE)
        except Exception:                                   # the page is navigating: poll the next document
            continue
        quiet = s["now"] - s["last"] >= QUIET * 1000 and not browser.queue
        if (s["plots"] or not figures) and not s["pending"] and quiet:
            start = float(s["keyAt"]) - s["origin"] if since_key else 0.0
            return {"seconds": (s["last"] - start) / 1000, "created": s["created"], "plots": s["plots"],
                    "events": browser.events, "shift": s["shift"]}
    why = ("no figure drawn" if figures and not s.get("plots") else "a status still pending" if s.get("pending")
           else "an event still in flight" if browser.queue
           else f"still changing (last in #{s.get('what')})" if s.get("what") else "no answer")
    return {"seconds": float("inf"), "created": s["created"], "plots": s["plots"], "events": browser.events,
            "why": why}


def load(browser: Browser, url: str, figures: bool) -> dict:
    context, page = browser.page()
    try:
        page.goto(url, wait_until="commit", timeout=CAP * 1000)
        return settle(browser, page, figures)
    finally:
        context.close()


def tour(url: str, stop: int) -> dict:
    """Open stop `stop` in a Chromium of its own (bench/cdp.py: Playwright turns prerendering off), give it PRERENDER
    s to settle and prerender the next stop, press → and time the next stop from the key to settled: the later of
    its activation (a prerendered page is shown when the key is pressed) and its last change after that."""
    from bench.cdp import Chromium

    with Chromium(CHROMIUM_ARGS, f"{url}/?tour=series&stop={stop}", free_port()) as chromium:
        time.sleep(PRERENDER)
        page = chromium.attach()
        try:
            if not page.evaluate("document.querySelector('script.dle-next-stop') !== null"):
                return {"seconds": float("inf"), "created": 0, "plots": 0, "events": 0,
                        "why": f"stop {stop} asked for no prerender"}
            page.evaluate("(document.activeElement && document.activeElement.blur(), "
                          "sessionStorage.setItem('keyAt', performance.timeOrigin + performance.now()))")
            page.press("ArrowRight")
            started, s = time.monotonic(), None
            while time.monotonic() - started < CAP:
                time.sleep(0.25)
                if f"stop={stop + 1}" not in (page.evaluate("location.href") or ""):
                    continue
                page.evaluate(f"window.__load || {WATCH}")          # the page's changes from now on
                s = page.evaluate(STATE)
                activation = page.evaluate("performance.getEntriesByType('navigation')[0].activationStart")
                if not s or activation is None:
                    continue
                shown = max(s["last"], activation)
                if s["plots"] and not s["pending"] and s["now"] - shown >= QUIET * 1000:
                    key = float(s["keyAt"]) - s["origin"]
                    return {"seconds": (shown - key) / 1000, "created": s["created"], "plots": s["plots"],
                            "events": 0, "prerendered": activation > 0}
            return {"seconds": float("inf"), "created": 0, "plots": (s or {}).get("plots", 0), "events": 0,
                    "why": "the next stop did not settle"}
        finally:
            page.close()


def median(results: list[dict]) -> dict:
    shifts = [r["shift"] for r in results if "shift" in r]          # none for the tour step or a load that timed out
    return {"seconds": statistics.median(r["seconds"] for r in results),
            "shift": statistics.median(shifts) if shifts else None,
            **{key: max(r[key] for r in results) for key in ("created", "plots", "events")}}


def fmt(seconds) -> str:
    return "-" if seconds is None else "timeout" if seconds == float("inf") else f"{seconds:.2f} s"


def table(configs: dict, times: dict, stop: int) -> None:
    bare, rows = times.get("bare"), []
    if "app" in configs:
        b, a = configs.get("bare"), configs["app"]
        rows.append(("config of / (bytes, components)",
                     f"{b['bytes'] / 1000:.1f} kB, {b['components']}" if b else "-",
                     f"{a['bytes'] / 1000:.1f} kB, {a['components']}", a["bytes"] / b["bytes"] if b else None,
                     "<= 150 kB", a["bytes"] <= 150_000, ""))
    for name, result in times.items():
        if name == "bare":
            continue
        s, ratio = result["seconds"], result["seconds"] / bare["seconds"] if bare else None
        draws = f"{result['created']} divs / {result['plots']} figures, {result['events']} events" + (
            f", layout shift {result['shift']:.3f}" if result["shift"] is not None else "")
        if name == "first":
            rows.append(("first page /", fmt(bare and bare["seconds"]), fmt(s), ratio, "<= 1.5x bare",
                         None if ratio is None else ratio <= 1.5, draws))
        elif name == "tour":
            rows.append((f"tour step {stop} -> {stop + 1} (key to settled)", "-", fmt(s), None, "< 1 s", s < 1, draws))
        else:
            rows.append((f"link {name}", fmt(bare and bare["seconds"]), fmt(s), ratio, "<= 2x bare, < 3 s",
                         None if ratio is None else ratio <= 2 and s < 3, draws))
    print(f"\n{'row':<38}{'bare':>16}{'app':>18}{'app/bare':>10}  {'target':<20}{'':<15}"
          "draws, queued events (app, max), layout shift (median)")
    for label, b, a, ratio, target, met, draws in rows:
        shown = "-" if ratio in (None, float("inf")) else f"{ratio:.2f}x"
        print(f"{label:<38}{b:>16}{a:>18}{shown:>10}  {target:<20}"
              f"{'-' if met is None else 'target met' if met else 'target missed':<15}{draws}")
    if bare:
        print(f"bare page: {bare['created']} plotly divs created for {bare['plots']} figure(s)"
              + (f", layout shift {bare['shift']:.3f}" if bare["shift"] is not None else ""))
    print("layout shift: the sum of Chromium's layout-shift scores until settled (how much of the viewport moved, "
          "times how far); Chrome calls a page's largest burst good up to 0.1, poor past 0.25")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated: bare, first, tour and link names "
                                                   f"({', '.join(LINKS)}); default all")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the tree whose app.py runs (default this repo)")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(","))) or {"bare", "first", "tour", *LINKS}
    links = {name: query for name, query in LINKS.items() if name in only}
    stop = tour_step(args.app_dir)
    from playwright.sync_api import sync_playwright

    servers, configs, results = {}, {}, {}
    log = tempfile.NamedTemporaryFile("w", prefix="bench-page-load-", suffix=".log", delete=False)
    try:
        if "bare" in only:
            servers["bare"] = start_server(str(REPO / "bench" / "bare_app.py"), REPO, log, port_flag=False)
        servers["app"] = start_server("app.py", args.app_dir, log, port_flag=True)
        urls = {name: url for name, (_, url) in servers.items()}
        configs = {name: page_config(url) for name, url in urls.items()}
        print(f"app: {args.app_dir}; config: embedded in the page's HTML (window.gradio_config); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        with sync_playwright() as p:
            browser = Browser(p)
            print(f"the app went idle (its models loaded) {wait_idle(servers['app'][0].pid):.0f} s after serving /",
                  flush=True)
            pages = [(name, url, figures) for name, url, figures in [
                ("bare", urls.get("bare", "") + "/", True), ("first", urls["app"] + "/", configs["app"]["plots"]),
                *[(name, f"{urls['app']}/?{query}", True) for name, query in links.items()]] if name in only]
            for k in range(args.rounds):                        # each round: the bare page, then the app's pages
                for name, url, figures in pages + ([("tour", urls["app"], True)] if "tour" in only else []):
                    r = tour(url, stop) if name == "tour" else load(browser, url, figures)
                    results.setdefault(name, []).append(r)
                    print(f"round {k + 1} {name}: {fmt(r['seconds'])}, {r['created']} plotly divs created, "
                          f"{r['plots']} figures, {r['events']} queued events{', ' + r['why'] if 'why' in r else ''}"
                          + (f", layout shift {r['shift']:.3f}" if "shift" in r else "")
                          + ({True: ", prerendered", False: ", NOT prerendered"}.get(r.get("prerendered"), "")),
                          flush=True)
            browser.browser.close()
            print(f"/config requests by the pages (the config is in the HTML): {browser.config_fetches}")
        table(configs, {name: median(rs) for name, rs in results.items()}, stop)
        if browser.outside:
            print(f"FAIL: {len(browser.outside)} requests left 127.0.0.1: {sorted(set(browser.outside))[:10]}")
            return 1
        print(f"no request left 127.0.0.1; load average {os.getloadavg()[0]:.1f} at the end")
        return 0
    finally:
        for process, _ in servers.values():                     # also on error
            stop_server(process)
        log.close()


if __name__ == "__main__":
    sys.exit(main())
