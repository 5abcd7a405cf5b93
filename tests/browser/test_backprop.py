"""The backprop panel in Chromium: a weight's chain-rule factors, the paths of an earlier layer, one step; then a
batch: each example's gradient for the weight and their average."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_chain_rule_numbers_a_gradient_step_and_a_batch(page):
    open_panel(page, "Learning · DL2–4", "Backpropagation")
    formula = page.locator("#backprop-formula")
    expect(formula).to_contain_text("how wrong")
    expect(formula).to_contain_text("autograd")
    page.locator("#backprop-layer").get_by_text("2", exact=True).click()
    expect(formula).to_contain_text("sum over the 10 paths")
    expect(page.locator("#backprop-paths .js-plotly-plot")).to_be_visible()
    page.locator("#backprop-step").click()
    expect(page.locator("#backprop-stepped")).to_contain_text(re.compile(r"cost L [\d.e-]+ → [\d.e-]+"))
    save_screenshot(page, "backprop")
    page.locator("#backprop-layer").get_by_text("3", exact=True).click()   # back to a weight into the outputs
    batch = page.locator("#backprop-batch input[type=number]")
    batch.fill("12")
    batch.press("Enter")
    average = page.locator("#backprop-batch-formula")
    expect(average).to_contain_text("the 7 others")                       # 12 examples: the 5 largest, 7 summed
    expect(average).to_contain_text("#940")
    bars = page.locator("#backprop-batch-bars .js-plotly-plot .bars .point")
    expect(bars).to_have_count(12)
    expect(page.locator("#backprop-batch-bars")).to_contain_text("average = ∂C/∂w")
    expect(page.locator("#backprop-batch-step")).to_contain_text("bridge to SGD")
    page.locator("#backprop-batch-bars").scroll_into_view_if_needed()
    save_screenshot(page, "backprop-batch")


def test_a_typed_expression_gets_its_graph_and_gradient(page):
    open_panel(page, "Learning · DL2–4", "Backpropagation")
    page.locator("#backprop-graph").get_by_text("Backprop as a graph").click()           # the fold: drawn now
    formula = page.locator("#backprop-graph-formula")
    expect(formula).to_contain_text("w1.grad = 7.2")
    expression = page.locator("#backprop-graph-expression textarea, #backprop-graph-expression input").first
    expression.fill("L = (w1*x1 + b - y)**2")
    expression.press("Enter")
    expect(formula).to_contain_text("w1.grad = 1.2")                     # 2 (w1·x1 + b − y) · x1 = 2 · 0.3 · 2
    expect(page.locator("#backprop-graph-step-text")).to_contain_text("Step 9 of 9")
    page.locator("#backprop-graph-figure").scroll_into_view_if_needed()
    save_screenshot(page, "backprop-graph")
