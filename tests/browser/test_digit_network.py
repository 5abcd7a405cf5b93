"""The digit network panel in Chromium: held-out digits, a drawing read by the network."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_held_out_digits_and_a_drawing(page):
    open_panel(page, "Structure · DL1", "Digit network")
    verdict = page.locator("#digit-network-verdict")
    expect(verdict).to_contain_text("Prediction: 2")          # held-out #0 is a 2, read correctly
    number = page.locator("#digit-network-index input[type=number]")
    number.fill("3")
    number.press("Enter")
    expect(verdict).to_contain_text("Prediction: 9")
    expect(verdict).to_contain_text("true label 9")
    expect(page.locator("#digit-network-formula")).to_contain_text("most active")
    save_screenshot(page, "digit-network")
    draw_and_read(page, 0.5)                        # no tool picked first: the canvas opens with the brush selected
    expect(verdict).to_contain_text("your drawing")
    expect(verdict).to_contain_text("Prediction: 1")          # a vertical stroke is read as a one
    page.locator("#digit-network-sketch button[aria-label='Clear canvas']").click()
    expect(page.locator("#digit-network-sketch")).not_to_contain_text("select the draw tool")
    page.locator("#digit-network-index input[type=number]").fill("1")          # a held-out digit in between
    page.locator("#digit-network-index input[type=number]").press("Enter")
    expect(verdict).to_contain_text("held-out digit #1")
    draw_and_read(page, 0.3)                        # after the bin, the brush is still selected
    expect(verdict).to_contain_text("your drawing")
    expect(verdict).to_contain_text("Prediction: 1")
    save_screenshot(page, "digit-network-drawn")


def draw_and_read(page, across: float) -> None:
    """Draw a vertical stroke (a one) `across` of the way from the canvas's left edge, and press Read my drawing."""
    sketch = page.locator("#digit-network-sketch")
    sketch.scroll_into_view_if_needed()
    expect(sketch).not_to_contain_text("select the draw tool")
    box = sketch.locator("canvas").first.bounding_box()
    x = box["x"] + box["width"] * across
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.035 * step))
    page.mouse.up()
    page.locator("#digit-network-read").click()


def test_the_canvas_label_is_not_cut_off(page):
    open_panel(page, "Structure · DL1", "Digit network")
    label = page.locator("#digit-network-sketch [data-testid='block-label']")
    expect(label).to_have_text("or draw a digit")
    clipped = label.evaluate("e => e.scrollWidth > e.clientWidth + 1")
    toolbar = page.locator("#digit-network-sketch button[aria-label='Pan']").bounding_box()
    box = label.bounding_box()
    assert not clipped and box["x"] + box["width"] <= toolbar["x"], (box, toolbar)


def test_watch_it_learn_then_noise_gets_a_confident_answer(page):
    """Unfold Watch it learn: One step twice moves the counter and the cost; Play then Pause; then the surprises'
    noise picture gets its answer with a probability."""
    import re

    open_panel(page, "Structure · DL1", "Digit network")
    expect(page.locator("#digit-network-learn-weights .js-plotly-plot")).to_have_count(0)     # folded: not drawn
    page.locator("#digit-network-learn").get_by_text("Watch it learn").click()
    status = page.locator("#digit-network-learn-status")
    expect(status).to_contain_text("step 0 ")
    expect(page.locator("#digit-network-learn-formula")).to_contain_text("C on all the training digits is 2.62")
    page.locator("#digit-network-step").click()
    expect(status).to_contain_text("step 1 (16 of 1,347")
    expect(status).to_contain_text("C on the training digits 0.97")
    page.locator("#digit-network-step").click()
    expect(status).to_contain_text("step 2 (32 of 1,347")
    expect(status).not_to_contain_text("C on the training digits 0.97")
    page.locator("#digit-network-play").click()
    expect(status).to_contain_text(re.compile(r"Epoch [1-9]"), timeout=60_000)
    page.locator("#digit-network-pause").click()
    page.wait_for_timeout(1500)
    paused = status.inner_text()
    page.wait_for_timeout(1500)
    assert status.inner_text() == paused                               # Pause stopped the loop
    expect(page.locator("#digit-network-learn-weights .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "digit-network-learn")
    page.locator("#digit-network-surprises").get_by_text("Two surprises").click()
    noise = page.locator("#digit-network-noise")
    expect(noise).to_contain_text(re.compile(r"Pure noise, read as a \d: a[₀-₉] = [01]\.\d\d"))
    expect(noise).to_contain_text(re.compile(r"\d+% get a largest output above 0.5"))
    expect(page.locator("#digit-network-break")).to_contain_text("intact")
