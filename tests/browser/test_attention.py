"""The attention viewer in Chromium: the induction head it opens on, a head switch, a deep link."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_opens_on_an_induction_head_and_switches_heads(page):
    open_panel(page, "Transformers · DL5–7", "Attention heads")
    formula = page.locator("#attention-formula")
    expect(formula).to_contain_text("looks hardest at", timeout=60_000)
    expect(page.locator("#attention-note")).to_contain_text("sharing 3 key/value heads")
    expect(page.locator("#attention-note")).to_contain_text(re.compile(r"Highest induction: layer 1[78], head [56]"))
    # the second 'sat' looks at the 'on' that followed the first 'sat': copying what came next last time
    expect(formula).to_contain_text("Layer 18, head 6: the query 16·␣sat looks hardest at 3·␣on")
    expect(page.locator("#attention-overview .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "attention")
    head = page.locator("#attention-head input[type=number]")
    head.fill("2")
    head.press("Enter")
    expect(formula).to_contain_text("Layer 18, head 2")
    expect(formula).to_contain_text(re.compile(r"weight \d\.\d{3}"))


def test_a_deep_link_opens_the_chosen_head_and_query(page, app_url):
    page.goto(app_url + "/?panel=attention&prompt=The+capital+of+France+is+Paris.&layer=3&head=2&query=4")
    formula = page.locator("#attention-formula")
    expect(formula).to_contain_text("Layer 3, head 2: the query 4·␣is looks hardest at", timeout=60_000)
    expect(page.locator("#attention-prompt textarea")).to_have_value("The capital of France is Paris.")
    # opening the preset list and clicking elsewhere keeps the typed prompt and does not re-run (issue 37, item 1)
    prompt = page.locator("#attention-prompt textarea")
    prompt.fill("My own sentence about cats and dogs.")
    page.locator("#attention-preset input").click()
    page.locator("#attention-formula").click()
    page.wait_for_timeout(1500)
    expect(prompt).to_have_value("My own sentence about cats and dogs.")
    expect(formula).to_contain_text("Layer 3, head 2: the query 4·␣is")
