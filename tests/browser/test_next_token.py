"""Next-token sampling in Chromium: the tokens, the distribution, temperature and a sampled step."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_distribution_temperature_and_a_sampled_step(page):
    open_panel(page, "Transformers · DL5–7", "Next-token sampling")
    formula = page.locator("#next-formula")
    expect(formula).to_contain_text("Paris", timeout=60_000)            # first use loads the model
    expect(page.locator("#next-tokens")).to_contain_text("iffel")             # Eiffel is two tokens: ␣E + iffel
    expect(page.locator("#next-note")).to_contain_text("49,152")
    save_screenshot(page, "next-token")
    temperature = page.locator("#next-temperature input[type=number]")
    temperature.fill("0.05")
    temperature.press("Enter")
    page.locator("#next-temperature input[type=range]").dispatch_event("pointerup")
    expect(formula).to_contain_text(re.compile(r"H = .*0\.0\d"))          # nearly certain: entropy near 0 bits
    page.locator("#next-sample").click()
    expect(page.locator("#next-steps")).to_contain_text("Paris")
    expect(page.locator("#next-prompt textarea")).to_have_value(re.compile(r"city of Paris$"))
    page.locator("#next-prompt textarea").fill("The capital of France is")
    page.locator("#next-run").click()                                   # a visible way to run a typed prompt
    expect(page.locator("#next-tokens")).to_contain_text("capital")
    # Enter runs a typed prompt, as in every other prompt box, and adds no newline (issue 37, item 2)
    box = page.locator("#next-prompt textarea")
    box.fill("The capital of Italy is")
    box.press("Enter")
    expect(formula).to_contain_text("Rome", timeout=60_000)
    expect(box).to_have_value("The capital of Italy is")
    # accented text shows as typed in the token strip, not as mojibake (issue 37, item 3)
    box.fill("São Paulo and José went to the café")
    box.press("Enter")
    tokens = page.locator("#next-tokens")
    expect(tokens).to_contain_text("caf", timeout=60_000)
    assert "Ã" not in tokens.inner_text() and "Ã" not in page.locator("#next-bars").inner_text()
