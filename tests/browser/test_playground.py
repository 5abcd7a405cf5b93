"""The playground in a real browser: a scene sets the controls, Play trains (the boundary and the curves change,
the epoch grows), Pause keeps what was learned, leaving the tab stops the training, and a click adds a point."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def epoch(page) -> int:
    text = page.locator("#playground-formula").inner_text()
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def plot_data(page, elem_id: str) -> str:
    """What plotly draws in a figure: its traces' data, to see whether the picture changed."""
    return page.locator(f"#{elem_id} .js-plotly-plot").evaluate("plot => JSON.stringify(plot.data)")


def test_play_trains_pause_keeps_it_and_leaving_the_page_starts_afresh(page):
    open_panel(page, "Learning · DL2–4", "Playground")
    page.get_by_text("Layers · one hidden layer of 4 and XOR is solved").click()
    formula = page.locator("#playground-formula")
    expect(formula).to_contain_text("Epoch 0")
    expect(page.locator("#playground-layers input")).to_have_value("1")
    plane, curves = plot_data(page, "playground-plane"), plot_data(page, "playground-curves")
    page.locator("#playground-play").click()
    expect(formula).not_to_contain_text("Epoch 0 ")
    page.wait_for_function("() => /Epoch [1-9]\\d\\d/.test(document.querySelector('#playground-formula').innerText)")
    page.locator("#playground-pause").click()
    page.wait_for_timeout(800)
    paused = epoch(page)
    page.wait_for_timeout(1500)
    assert epoch(page) == paused                               # paused means paused
    for figure in ("#playground-plane", "#playground-curves", "#playground-network"):
        expect(page.locator(figure)).not_to_contain_text("Error")     # a pause is not a failure
    assert plot_data(page, "playground-plane") != plane and plot_data(page, "playground-curves") != curves
    accuracy = float(re.search(r"test accuracy ([\d.]+) %", formula.inner_text()).group(1))
    assert accuracy > 80                                       # XOR with one hidden layer: learned
    save_screenshot(page, "playground")
    page.locator("#playground-play").click()
    page.wait_for_function(f"() => !document.querySelector('#playground-formula').innerText.includes('Epoch {paused:,}')")
    page.locator(".dle-panels").get_by_role("link", name="Backpropagation", exact=True).click()  # leave it training
    expect(page.locator("#backprop-formula")).to_be_visible()
    page.go_back()                                             # a page is a new session: a fresh network, untrained
    expect(formula).to_contain_text("Epoch 0")
    expect(page.locator("#playground-network")).not_to_contain_text("Error")


def test_a_click_on_the_canvas_adds_a_point(page):
    open_panel(page, "Learning · DL2–4", "Playground")
    page.get_by_text("Your own points: click the plane").click()
    canvas = page.locator("#playground-canvas img")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)     # (3, 3)
    expect(page.locator("#playground-own-note")).to_contain_text("1 points (1 of class 0)")


def test_a_refused_value_is_named_next_to_its_control(page):
    open_panel(page, "Learning · DL2–4", "Playground")
    formula = page.locator("#playground-formula")
    expect(formula).to_contain_text("Epoch 0")
    before = formula.inner_text()
    seed = page.locator("#playground-seed input")
    seed.fill("-5")
    seed.press("Enter")
    note = page.locator("#playground-seed .dle-clamped")           # beside the box, not only in the toast
    expect(note).to_contain_text("seed must be between 0 and 2,147,483,647, got -5")
    expect(page.locator("#playground-noise .dle-clamped")).to_have_count(0)
    assert formula.inner_text() == before                          # the last good view stays
    seed.fill("0")
    seed.press("Enter")
    features = page.locator("#playground-features")
    features.get_by_text("x", exact=True).click()                 # only y: a network of its own
    expect(formula).to_contain_text("Epoch 0")
    page.wait_for_timeout(1500)
    only_y = formula.inner_text()
    features.get_by_text("y", exact=True).click()                 # no feature at all: our own message, beside
    expect(features.locator(".dle-clamped")).to_contain_text("at least one input feature")   # the boxes just changed
    assert formula.inner_text() == only_y
