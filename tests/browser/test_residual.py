"""The residual-stream panel in Chromium: the lens grid and the attribution check, then a causal trace."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_lens_attribution_and_trace(page):
    open_panel(page, "Transformers · DL5–7", "Residual stream & facts")
    formula = page.locator("#facts-formula")
    expect(formula).to_contain_text("the model's own logit", timeout=120_000)
    expect(page.locator("#facts-note")).to_contain_text("p(␣Paris) at the last position: 0.702")
    expect(page.locator("#facts-lens .js-plotly-plot")).to_be_visible()
    expect(page.locator("#facts-attribution")).to_contain_text("= logit 12.84")
    # the MLP-block slider opens on the block the note names; the lens grid's colour switches
    expect(page.locator("#facts-note")).to_contain_text("pushes ␣Paris most is block 28")
    expect(page.locator("#facts-layer input[type=number]")).to_have_value("28")
    page.get_by_label("entropy (bits)").check()
    expect(page.locator("#facts-lens")).to_contain_text("the entropy of the decoded distribution")
    page.locator("#facts-preset input").click()
    page.get_by_role("option", name="capital of France → Paris (p 0.77)").click()
    expect(page.locator("#facts-subject textarea")).to_have_value("France")
    expect(page.locator("#facts-note")).to_contain_text("p(␣Paris) at the last position: 0.773", timeout=60_000)
    page.locator("#facts-trace-run").click()
    expect(page.locator("#facts-trace-note")).to_contain_text("Clean run: p(␣Paris) = 0.773", timeout=180_000)
    expect(page.locator("#facts-trace .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "residual")
