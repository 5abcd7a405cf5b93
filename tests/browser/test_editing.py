"""The Edit & steer panel in Chromium: steering draws on opening, then one edit (Enter in the object box runs it)
and the edited model answers a prompt of the learner's own."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_steer_then_edit_a_fact_and_ask_the_edited_model(page):
    open_panel(page, "Transformers · DL5–7", "Edit & steer")
    expect(page.locator("#steer-text")).to_contain_text("a dream come true", timeout=120_000)
    expect(page.locator("#steer-bars .js-plotly-plot")).to_be_visible()
    expect(page.locator("#steer-formula")).to_contain_text("0.3")
    # opening a preset list and clicking elsewhere keeps what the learner typed (issue 37, item 1)
    page.locator("#steer-prompt textarea").fill("My own prompt")
    page.locator("#editing-prompt textarea").fill("The Louvre is in the city of")
    for preset in ("#steer-preset", "#editing-preset"):
        page.locator(f"{preset} input").click()
        page.locator("#steer-formula").click()
    page.wait_for_timeout(1500)
    expect(page.locator("#steer-prompt textarea")).to_have_value("My own prompt")
    expect(page.locator("#editing-prompt textarea")).to_have_value("The Louvre is in the city of")
    expect(page.locator("#steer-text")).to_contain_text("a dream come true")                # not run again
    page.locator("#editing-preset input").click()
    page.get_by_role("option").first.click()
    expect(page.locator("#editing-prompt textarea")).not_to_have_value("The Louvre is in the city of")
    page.locator("#editing-object textarea").fill("Rome")
    page.locator("#editing-object textarea").press("Enter")
    expect(page.locator("#editing-note")).to_contain_text("after: Rome", timeout=180_000)
    expect(page.locator("#editing-note")).to_contain_text("Paraphrases now saying Rome: 2 of 2")
    expect(page.locator("#editing-effect .js-plotly-plot")).to_be_visible()
    page.locator("#editing-probe textarea").fill("The Eiffel Tower is a famous landmark in the city of")
    page.locator("#editing-probe textarea").press("Enter")
    expect(page.locator("#editing-probed")).to_contain_text("with the edit (Paris → Rome at block 16)", timeout=60_000)
    save_screenshot(page, "editing")
