"""The Edit & steer panel in Chromium: steering draws on opening, then one edit (Enter in the object box runs it)
and the edited model answers a prompt of the learner's own."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_steer_then_edit_a_fact_and_ask_the_edited_model(page):
    open_panel(page, "Transformers · DL5–7", "Edit & steer")
    expect(page.locator("#steer-text")).to_contain_text("a dream come true", timeout=120_000)
    expect(page.locator("#steer-bars .js-plotly-plot")).to_be_visible()
    expect(page.locator("#steer-formula")).to_contain_text("0.3")
    page.locator("#edit-object textarea").fill("Rome")
    page.locator("#edit-object textarea").press("Enter")
    expect(page.locator("#edit-note")).to_contain_text("after: Rome", timeout=180_000)
    expect(page.locator("#edit-note")).to_contain_text("Paraphrases now saying Rome: 2 of 2")
    expect(page.locator("#edit-effect .js-plotly-plot")).to_be_visible()
    page.locator("#edit-probe textarea").fill("The Eiffel Tower is a famous landmark in the city of")
    page.locator("#edit-probe textarea").press("Enter")
    expect(page.locator("#edit-probed")).to_contain_text("with the edit (Paris → Rome at block 16)", timeout=60_000)
    save_screenshot(page, "editing")
