"""The residual-stream panel in Chromium: the lens grid and the attribution check, then a causal trace."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_lens_attribution_and_trace(page):
    open_panel(page, "Transformers · DL5–7", "Residual stream & facts")
    formula = page.locator("#residual-formula")
    expect(formula).to_contain_text("the model's own logit", timeout=120_000)
    expect(page.locator("#residual-note")).to_contain_text("p(␣Paris) at the last position: 0.702")
    expect(page.locator("#residual-lens .js-plotly-plot")).to_be_visible()
    expect(page.locator("#residual-attribution")).to_contain_text("= logit 12.84")
    # the MLP-block slider opens on the block the note names; the lens grid's colour switches
    expect(page.locator("#residual-note")).to_contain_text("pushes ␣Paris most is block 28")
    expect(page.locator("#residual-layer input[type=number]")).to_have_value("28")
    page.get_by_label("entropy (bits)").check()
    expect(page.locator("#residual-lens")).to_contain_text("the entropy of the decoded distribution")
    # opening the preset list and clicking elsewhere keeps what the learner typed (issue 37, item 1)
    page.locator("#residual-target textarea").fill("Lyon")
    page.locator("#residual-preset input").click()
    page.locator("#residual-formula").click()
    page.wait_for_timeout(1500)
    expect(page.locator("#residual-target textarea")).to_have_value("Lyon")
    page.locator("#residual-preset input").click()
    page.get_by_role("option", name="capital of France → Paris (p 0.77)").click()
    expect(page.locator("#residual-target textarea")).not_to_have_value("Lyon")      # choosing one applies it
    expect(page.locator("#residual-subject textarea")).to_have_value("France")
    expect(page.locator("#residual-note")).to_contain_text("p(␣Paris) at the last position: 0.773", timeout=60_000)
    page.locator("#residual-trace-run").click()
    expect(page.locator("#residual-trace-note")).to_contain_text("Clean run: p(␣Paris) = 0.773", timeout=180_000)
    expect(page.locator("#residual-trace .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "residual")
