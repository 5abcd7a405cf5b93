"""A value typed into a slider's box: Enter applies it (even on sliders that compute on release), and a value out of
range is clamped with a note beside the control, so the box, the view and the link agree."""
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.helpers import open_panel

REPO = Path(__file__).resolve().parents[2]


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


def test_typed_values_out_of_range_get_the_note_and_never_reach_the_server(page):
    """Issue 37, item 8: attention's query token 60 (14 tokens) and steering's α = 7 get the friendly note, no raw
    "Value 60 is greater than maximum" toast, and the server logs no error (the value never left the page)."""
    log = REPO / "artifacts" / "app-under-test.log"
    start = log.stat().st_size
    open_panel(page, "Transformers · DL5–7", "Attention heads")
    expect(page.locator("#attention-view .js-plotly-plot, #attention-pattern .js-plotly-plot").first).to_be_visible(
        timeout=120_000)
    box = page.locator("#attention-query input[type=number]")
    high = box.get_attribute("max")
    box.fill("60")
    box.press("Enter")
    expect(box).to_have_value(high)
    expect(page.locator("#attention-query .dle-clamped")).to_contain_text(f"60 is outside 0 … {high}")
    page.goto(page.url.split("/attention")[0] + "/editing")
    expect(page.locator("#steer-text")).to_contain_text("a dream come true", timeout=120_000)
    alpha = page.locator("#steer-alpha input[type=number]")
    alpha.fill("7")
    alpha.press("Enter")
    expect(page.locator("#steer-alpha .dle-clamped")).to_be_visible()
    page.wait_for_timeout(2000)
    expect(page.locator('[data-testid="toast-text"]')).to_have_count(0)
    with open(log, encoding="utf-8", errors="replace") as file:
        file.seek(start)
        written = file.read()
    assert "greater than maximum" not in written and "Traceback" not in written, written[-2000:]
