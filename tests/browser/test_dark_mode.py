"""Dark mode and figure summaries in Chromium: with Gradio's dark theme every figure follows (dark paper, light
text), and every figure carries role="img" and a text summary of what it draws now, for screen readers."""
from playwright.sync_api import expect

from tests.browser.helpers import save_screenshot

DARK_PAPER = "#0b0f19"
VISIBLE_PLOTS = "() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)"


def test_three_panels_in_dark_mode_with_a_summary_for_every_figure(page, app_url):
    for panel, formula in (("neuron", "#neuron-formula"), ("playground", "#playground-formula"),
                           ("descent", "#descent-formula")):
        page.goto(f"{app_url}/?__theme=dark&panel={panel}")
        expect(page.locator(formula)).to_be_visible(timeout=60_000)
        # every figure on screen gets there (a redraw replaces a figure, which is then restyled again: so wait for
        # the state, then read it)
        page.wait_for_function(f"() => ({VISIBLE_PLOTS})().length >= 2 && ({VISIBLE_PLOTS})().every("
                               f"p => p._fullLayout && p._fullLayout.paper_bgcolor === '{DARK_PAPER}' && "
                               "p._fullLayout.font.color === '#e5e7eb' && p.getAttribute('role') === 'img' && "
                               "(p.getAttribute('aria-label') || '').startsWith('Figure') && "
                               "p.getAttribute('aria-label').includes(' from '))")
        save_screenshot(page, f"dark-{panel}")
    page.goto(f"{app_url}/?panel=neuron")                                # the light theme is left as it is
    expect(page.locator("#neuron-formula")).to_contain_text("0.622", timeout=60_000)
    # the summary is the data drawn: the default neuron has z = 0.5 and a = σ(0.5) = 0.622 (wait for the state: an
    # empty list of figures would pass an "every")
    page.wait_for_function(f"() => ({VISIBLE_PLOTS})().length >= 2 && ({VISIBLE_PLOTS})().every(p => "
                           "p._fullLayout && p._fullLayout.paper_bgcolor === 'white' && p.getAttribute('role') === 'img'"
                           " && (p.getAttribute('aria-label') || '').startsWith('Figure')) && "
                           f"({VISIBLE_PLOTS})().some(p => p.getAttribute('aria-label').includes("
                           "'this neuron: 1 points, x from 0.5 to 0.5, y from 0.622 to 0.622'))")
