"""The attention viewer in Chromium: a preset, a head switch, the weights shown."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_preset_and_head_switch(page):
    open_panel(page, "Transformers · DL5–7", "Attention heads")
    formula = page.locator("#attention-formula")
    expect(formula).to_contain_text("looks hardest at", timeout=60_000)
    expect(page.locator("#attention-note")).to_contain_text("sharing 3 key/value heads")
    expect(page.locator("#attention-note")).to_contain_text(re.compile(r"Highest induction: layer 1[78], head [56]"))
    expect(formula).to_contain_text("Layer 18, head 6")
    save_screenshot(page, "attention")
    head = page.locator("#attention-head input[type=number]")
    head.fill("2")
    head.press("Enter")
    expect(formula).to_contain_text("Layer 18, head 2")
    expect(formula).to_contain_text(re.compile(r"weight \d\.\d{3}"))
    expect(page.locator("#attention-overview .js-plotly-plot")).to_be_visible()
