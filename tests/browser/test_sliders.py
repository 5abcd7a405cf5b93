"""A value typed into a slider's box: Enter applies it (even on sliders that compute on release), and a value out of
range is clamped with a note beside the control, so the box, the view and the link agree."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel


def test_typed_values_apply_on_enter_and_out_of_range_ones_are_clamped_with_a_note(page):
    open_panel(page, "Transformers · DL5–7", "Next-token sampling")
    formula = page.locator("#next-formula")
    expect(formula).to_contain_text("0.702", timeout=120_000)                 # p(Paris) at T = 1
    box = page.locator("#next-temperature input[type=number]")
    box.fill("0.5")
    box.press("Enter")
    expect(formula).to_contain_text("12.84/0.5", timeout=60_000)               # the logit divided by the typed T
    box.fill("999")
    box.press("Enter")
    expect(box).to_have_value("5")
    expect(page.locator("#next-temperature .dle-clamped")).to_contain_text("999 is outside 0.01 … 5: set to 5.")
    expect(formula).to_contain_text("12.84/5", timeout=60_000)
    link = page.locator("#next-token-link textarea, #next-token-link input").first
    expect(link).to_have_value(re.compile(r"[?&]T=5(&|$)"))


def test_a_seed_typed_out_of_range_is_refused_then_clamped_when_the_box_is_left(page):
    open_panel(page, "Generation · DL8", "Noising")
    expect(page.locator("#noising-formula")).to_contain_text("x_{250}", timeout=60_000)
    seed = page.locator("#noising-seed input[type=number]")
    seed.fill("-5")
    seed.press("Tab")
    expect(seed).to_have_value("0")                                            # the box, the view and the link agree
    expect(page.locator("#noising-seed .dle-clamped")).to_be_visible()
    link = page.locator("#noising-link textarea, #noising-link input").first
    expect(link).to_have_value(re.compile(r"[?&]seed=0(&|$)"))
