"""The digit network panel in Chromium: held-out digits, a drawing read by the network."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_held_out_digits_and_a_drawing(page):
    open_panel(page, "Structure · DL1", "Digit network")
    verdict = page.locator("#digits-verdict")
    expect(verdict).to_contain_text("Prediction: 2")          # held-out #0 is a 2, read correctly
    number = page.locator("#digits-index input[type=number]")
    number.fill("3")
    number.press("Enter")
    expect(verdict).to_contain_text("Prediction: 9")
    expect(verdict).to_contain_text("true label 9")
    expect(page.locator("#digits-formula")).to_contain_text("most active")
    save_screenshot(page, "digit-network")
    page.locator("#digits-sketch").scroll_into_view_if_needed()
    page.locator("#digits-sketch button[aria-label='Brush']").first.click()   # as a learner would: pick the pen
    canvas = page.locator("#digits-sketch canvas").first
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 21):                                   # a vertical stroke: a one
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.035 * step))
    page.mouse.up()
    page.locator("#digits-read").click()
    expect(verdict).to_contain_text("your drawing")
    expect(verdict).to_contain_text("Prediction: 1")          # a vertical stroke is read as a one
