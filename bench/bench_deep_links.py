"""A lecturer's full link, as the room sees it: from opening `?panel=...&every=setting` in Chromium to the moment
the panel stops changing (no figure, formula or status changes for QUIET s), and how many times its figures were
drawn more than once on the way (the room sees the intermediate view flicker). A full link is the link box's text for the panel's
second scene: every linkable setting, read from the app itself.

    .venv/bin/python -m bench.bench_deep_links             # starts the app on a free port; needs /usr/bin/chromium

Baseline, measured in the same run: the same panel opened by `?panel=...` alone (its opening view, no settings).
The target (issue #20) is a full link settled in < 3 s on this machine. Not part of `make test` (no wall-clock
limits in tests).
"""
import statistics
import sys

from bench.bench_browser_latency import REPO, running_app

QUIET = 4.0             # s without a change before the panel counts as settled
CAP = 90.0              # s: a panel still changing after this is reported as such
REPEATS = 2

# Installed before the page's own scripts: every frame, note when a figure's data, a formula or a status changes.
WATCH = """
window.__changes = [];
(() => {
  const seen = new Map();
  const scan = () => {
    const now = performance.now();
    document.querySelectorAll('.js-plotly-plot').forEach((p) => {       // Gradio re-creates a figure's div: by id
      const id = (p.closest('[id]') || {}).id, tab = (p.closest('[id^="tab-"]') || {}).id;
      if (p.data && seen.get(id) !== p.data) { seen.set(id, p.data); window.__changes.push([now, 'figure', id, tab]); }
    });
    document.querySelectorAll('[id$="-formula"], [id$="-status"], [id$="-verdict"], [id$="-note"]').forEach((el) => {
      const text = el.textContent;
      if (text && seen.get(el) !== text) { seen.set(el, text); window.__changes.push([now, 'text', el.id, '']); }
    });
    requestAnimationFrame(scan);
  };
  requestAnimationFrame(scan);
})();
"""


def full_links() -> dict[str, str]:
    """{panel: query} with every linkable setting at its second scene's value (the default where a scene is silent)."""
    import gradio as gr

    import app
    from components.deeplink import link_for
    from models.settings import Settings

    demo = app.create_app(Settings(cache_dir=str(REPO / ".cache")))
    scenes = [block for block in demo.blocks.values()
              if isinstance(block, gr.Dataset) and (block.elem_id or "").endswith("-scenes")]
    queries = {}
    for link in demo.panel_links:
        values = {id(c): c.value for c in link.controls.values()}
        for dataset in scenes:
            ids = [id(c) for c in dataset._components]
            if any(i in values for i in ids) and len(dataset.raw_samples) > 1:
                values.update({i: v for i, v in zip(ids, dataset.raw_samples[1]) if i in values})
                break
        url = link_for("/", link.panel, list(link.controls), [values[id(c)] for c in link.controls.values()])
        queries[link.panel] = url.split("?", 1)[1]
    return queries


def settle(page, url: str, panel: str) -> tuple[float, int]:
    """Seconds from navigation to the last change, and how many of the panel's figures were drawn more than once
    (the room saw an intermediate view: the default one, or a half-applied link)."""
    page.goto(url)
    last, waited = 0.0, 0.0
    while waited < CAP:
        page.wait_for_timeout(500)
        waited += 0.5
        changes = page.evaluate("() => window.__changes")
        last = max((t for t, *_ in changes), default=0.0) / 1000
        if changes and waited - last > QUIET:
            break
    drawn = [figure for _, kind, figure, tab in changes if kind == "figure" and tab == f"tab-{panel}"]
    return last, sum(drawn.count(figure) > 1 for figure in set(drawn))


def main() -> None:
    from playwright.sync_api import sync_playwright

    panels = sys.argv[1:]
    queries = {p: q for p, q in full_links().items() if not panels or p in panels}
    rows = []
    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for panel, query in queries.items():
            alone, full, redraws = [], [], []
            for _ in range(REPEATS):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.add_init_script(WATCH)
                alone.append(settle(page, f"{url}/?panel={panel}", panel)[0])
                page.close()
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.add_init_script(WATCH)
                seconds, count = settle(page, f"{url}/?{query}", panel)
                full.append(seconds), redraws.append(count)
                page.close()
            rows.append((panel, statistics.median(full), statistics.median(alone), max(redraws), query))
            print(f"{panel}: full link settled in {rows[-1][1]:.1f} s (target < 3 s "
                  f"{'✓' if rows[-1][1] < 3 else '✗'}); the panel alone {rows[-1][2]:.1f} s; "
                  f"{rows[-1][1] / max(rows[-1][2], 1e-3):.2f}x; figures drawn twice {rows[-1][3]}  [{query[:80]}]",
                  flush=True)
        browser.close()


if __name__ == "__main__":
    main()
