"""The guided tour in Chromium: a stop opens its panel with its settings, r reveals (the live view answers), the
right arrow moves on, and keys typed into a text box stay in the box."""
import json

from playwright.sync_api import expect

from tests.browser.helpers import save_screenshot


def test_a_stop_reveals_and_moves_on_by_keyboard(page, app_url):
    page.goto(f"{app_url}/?tour=series&stop=16")
    bar = page.locator("#tour .tour-bar")
    expect(bar).to_contain_text("stop 16 of 28", timeout=60_000)
    expect(bar).to_contain_text("which token will take almost all the probability?")
    expect(page.locator("#next-temperature input[type=number]")).to_have_value("1")
    expect(page.locator("#next-formula")).to_contain_text("0.702", timeout=120_000)       # p(Paris) at T = 1
    page.locator("body").press("r")
    expect(page).to_have_url(f"{app_url}/next-token?tour=series&stop=16&reveal=1")
    # the next stop's page is prerendered for the next key (Chromium's speculation rules: Playwright turns the
    # prerender itself off, bench_page_load times it): asked for once the stop has drawn, presenter mode carried
    rules = page.locator("script.dle-next-stop")
    expect(rules).to_have_count(1, timeout=10_000)
    assert json.loads(rules.text_content()) == {"prerender": [{"source": "list", "urls": [
        f"{app_url}/next-token?tour=series&stop=17"]}]}
    expect(page.locator("#next-temperature input[type=number]")).to_have_value("0.1", timeout=60_000)
    expect(page.locator("#next-formula")).to_contain_text("1.000", timeout=120_000)       # the live answer: Paris
    expect(page.locator("#tour")).to_contain_text("revealed")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")      # the figure far below the bar...
    mini = page.locator("#tour .tour-mini")                                     # ...and its one-line copy pinned
    expect(mini).to_be_visible()
    expect(mini).to_contain_text("16/28")
    assert page.evaluate("() => document.querySelector('#tour .tour-mini').getBoundingClientRect().top") == 0
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, "tour")
    page.locator("#next-prompt textarea").click()
    page.keyboard.press("ArrowRight")                                  # typing: the cursor moves, not the tour
    page.wait_for_timeout(500)
    expect(page).to_have_url(f"{app_url}/next-token?tour=series&stop=16&reveal=1")
    page.locator("#next-reset").focus()                                 # space on a button presses the button
    page.keyboard.press(" ")
    page.wait_for_timeout(500)
    expect(page).to_have_url(f"{app_url}/next-token?tour=series&stop=16&reveal=1")
    page.locator("#tour .tour-title").click()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{app_url}/next-token?tour=series&stop=17")
    expect(page.locator("#tour")).to_contain_text("stop 17 of 28", timeout=60_000)
    expect(page.locator("#next-prompt textarea")).to_have_value("Once upon a time, there was a")
