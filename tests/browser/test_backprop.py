"""The backprop panel in Chromium: a weight's chain-rule factors, the paths of an earlier layer, one step."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_chain_rule_numbers_and_a_gradient_step(page):
    open_panel(page, "Learning · DL2–4", "Backpropagation")
    formula = page.locator("#backprop-formula")
    expect(formula).to_contain_text("how wrong")
    expect(formula).to_contain_text("autograd")
    page.locator("#backprop-layer").get_by_text("2", exact=True).click()
    expect(formula).to_contain_text("sum over the 10 paths")
    expect(page.locator("#backprop-paths .js-plotly-plot")).to_be_visible()
    page.locator("#backprop-step").click()
    expect(page.locator("#backprop-stepped")).to_contain_text(re.compile(r"cost [\d.e-]+ → [\d.e-]+"))
    save_screenshot(page, "backprop")
