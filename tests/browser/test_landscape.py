"""The gradient-descent panel in Chromium: a learning rate too large diverges (said in words), a new surface brings
its own start, the SGD comparison is measured, the network landscape is drawn."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot

WAIT = 30_000   # ms: a slider move recomputes the path and redraws two figures; generous on a busy 2-core machine


def set_number(page, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(value)
    box.press("Enter")


def test_descent_diverges_switches_surface_and_compares_sgd(page):
    open_panel(page, "Learning · DL2–4", "Gradient descent")
    formula = page.locator("#descent-formula")
    status = page.locator("#descent-status")
    # the bowl from (1.6, 1.2) with eta 0.1: theta_1 = (1.6, 1.2) - 0.1 (3.2, 2.4) = (1.28, 0.96)
    expect(formula).to_contain_text("1.28", timeout=WAIT)
    expect(status).to_contain_text("After 30 steps", timeout=WAIT)
    set_number(page, "descent-eta", "1.5")
    expect(status).to_contain_text("Diverged at step 20", timeout=WAIT)
    page.locator("#descent-surface").get_by_text("narrow valley", exact=True).click()
    expect(page.locator("#descent-x input[type=number]")).to_have_value("-4.5", timeout=WAIT)
    expect(status).to_contain_text("After 40 steps", timeout=WAIT)
    set_number(page, "descent-mu", "0.9")
    expect(formula).to_contain_text("μ", timeout=WAIT)
    expect(page.locator("#descent-contour .js-plotly-plot")).to_be_visible(timeout=WAIT)
    expect(page.locator("#descent-surface-plot .js-plotly-plot")).to_be_visible(timeout=WAIT)
    # the two real-data parts are folded: drawn when unfolded, once
    expect(page.locator("#descent-data-contour .js-plotly-plot")).to_have_count(0)
    page.locator("#descent-data").get_by_text("A real cost on real digits").click()
    measured = page.locator("#descent-measured")
    expect(measured).to_contain_text(re.compile(r"SGD needed \d+(\.\d)?× fewer examples"), timeout=WAIT)
    set_number(page, "descent-batch", "268")
    expect(page.locator("#descent-measured")).to_contain_text("1.0× fewer", timeout=WAIT)   # B = N: full-batch GD
    page.locator("#descent-network").get_by_text("The landscape of a real network").click()
    expect(page.locator("#descent-net-status")).to_contain_text("trained weights", timeout=WAIT)
    expect(page.locator("#descent-net-contour .js-plotly-plot")).to_be_visible(timeout=WAIT)
    page.evaluate("document.querySelector('#descent-net-contour .js-plotly-plot').dataset.first = '1'")
    page.locator("#descent-network").get_by_text("The landscape of a real network").click()        # fold
    page.locator("#descent-network").get_by_text("The landscape of a real network").click()        # unfold
    page.wait_for_timeout(1500)
    assert page.evaluate("document.querySelector('#descent-net-contour .js-plotly-plot').dataset.first") == "1"
    link = page.locator("#descent-link input, #descent-link textarea").first
    expect(link).to_have_value(re.compile(r"/descent\?"), timeout=WAIT)
    set_number(page, "descent-batch", "16")
    expect(page.locator("#descent-measured")).to_contain_text("SGD needed", timeout=WAIT)
    page.locator("#descent-gif-button").click()
    expect(page.locator("#descent-gif")).to_contain_text("descent-valley", timeout=WAIT)
    save_screenshot(page, "descent")
