"""Fast pages: the landing page lists every panel, each panel is a page of its own that a link opens in its linked
state with each figure drawn once, and the one-page app's links still work (redirected, settings kept)."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import save_screenshot

# counts every plotly figure the page draws anew (Plotly.newPlot marks its div with the class js-plotly-plot): a view
# drawn twice (the default, then the link's) makes two
DRAWS = """() => {
  window.__draws = 0;
  new MutationObserver((records) => {
    for (const record of records) {
      const now = record.target.classList && record.target.classList.contains('js-plotly-plot');
      if (now && !(record.oldValue || '').split(/\\s+/).includes('js-plotly-plot')) window.__draws += 1;
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true});
}"""


def test_the_landing_page_lists_every_panel_with_a_line_and_a_picture(page, app_url):
    import app

    page.goto(app_url)
    cards = page.locator("a.dle-card-link")
    panels = [m for _, modules in app.sections() for m in modules]
    expect(cards).to_have_count(len(panels))
    for i, module in enumerate(panels):
        expect(cards.nth(i)).to_contain_text(module.TITLE)
        assert cards.nth(i).get_attribute("href") == f"./{module.PANEL}"
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")       # lazy pictures: bring them in
    page.wait_for_function("() => [...document.querySelectorAll('a.dle-card-link img')]"
                           ".every((img) => img.complete && img.naturalWidth > 0)")
    page.evaluate("() => window.scrollTo(0, 0)")
    save_screenshot(page, "landing")
    cards.filter(has_text="Attention heads").click()
    expect(page).to_have_url(f"{app_url}/attention")
    expect(page.locator(".dle-panels a.dle-here")).to_have_text("Attention heads")


@pytest.mark.parametrize("link, figures, view, text", [
    ("/neuron?f=relu&b=2", ["#neuron-plane", "#neuron-curve"], "#neuron-formula", "ReLU"),
    ("/descent?s=valley&x=-4.5&y=1.5&eta=0.45&mu=0.9&n=40", ["#descent-contour", "#descent-surface-plot"], "#descent-status", "After 40 steps"),
])
def test_a_linked_page_draws_each_figure_once_in_its_linked_state(page, app_url, link, figures, view, text):
    page.add_init_script(f"({DRAWS})()")
    page.goto(app_url + link)
    expect(page.locator(view)).to_contain_text(text, timeout=60_000)
    for figure in figures:
        expect(page.locator(f"{figure} .js-plotly-plot")).to_be_visible()
    page.wait_for_timeout(2500)                        # anything still to come (a second draw) would come by now
    drawn = page.locator(".js-plotly-plot").count()
    assert page.evaluate("() => window.__draws") == drawn      # every figure on the page drawn once: no default first


def test_an_old_one_page_link_opens_the_panels_page_with_its_settings(page, app_url):
    page.goto(app_url + "/?panel=neuron&f=relu&b=2&presenter=1")
    assert urlsplit(page.url).path == "/neuron"
    assert parse_qs(urlsplit(page.url).query) == {"panel": ["neuron"], "f": ["relu"], "b": ["2"], "presenter": ["1"]}
    expect(page.locator("#neuron-bias input[type=number]")).to_have_value("2")
    expect(page.locator("#presenter input")).to_be_checked()
    page.goto(app_url + "/?tour=series&stop=9")                   # a tour stop: the page of its panel
    assert urlsplit(page.url).path == "/descent"
    expect(page.locator("#tour")).to_contain_text("stop 9 of 41")


def test_an_unknown_panel_is_said_and_the_landing_page_shown(page, app_url):
    page.goto(app_url + "/?panel=nope&b=2")
    expect(page.get_by_text("panel 'nope' does not exist")).to_be_visible()
    expect(page.locator("a.dle-card-link").first).to_be_visible()


def test_presenter_mode_follows_the_learner_to_the_next_page(page, app_url):
    page.goto(app_url + "/neuron?presenter=1")
    expect(page.locator("#presenter input")).to_be_checked()
    page.locator(".dle-panels").get_by_role("link", name="Digit network", exact=True).click()
    expect(page.locator(".dle-panels a.dle-here")).to_have_text("Digit network")
    assert parse_qs(urlsplit(page.url).query)["presenter"] == ["1"]
    expect(page.locator("#presenter input")).to_be_checked()


def test_headings_and_bold_text_are_drawn_in_one_font(page):
    """A learner saw bold headings in two fonts ('A' in Source Sans, 'batch: N images' in a fallback): every glyph
    of a heading and of bold text comes from the page's own font files, none from the system's fallback."""
    expect(page.locator(".dle-explanation strong").first).to_be_visible()
    page.evaluate("document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    for selector in ("h2", ".dle-explanation strong"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert fonts and all(font["isCustomFont"] for font in fonts), (selector, fonts)


@pytest.mark.parametrize("panel, drawn", [("neuron", "0.622"), ("clip", "cos")])
def test_the_page_below_the_formula_stays_put_while_the_numbers_arrive(page, app_url, panel, drawn):
    """A formula's live numbers come with the page's first event, after the page is shown: the space they take is held
    from the start, so the scenes and controls below do not jump under a learner's click (in CI a click on a neuron
    scene once landed beside it, 139 px up, before the formula had arrived)."""
    below = f"() => document.querySelector('#tab-{panel} .dle-card').getBoundingClientRect().bottom + scrollY"
    events = re.compile(r"/gradio_api/(queue/join|run/)")
    page.route(events, lambda route: route.abort())         # the page as it starts: no event answered, nothing drawn
    page.goto(f"{app_url}/{panel}")
    expect(page.locator(f"#tab-{panel} .dle-card")).to_be_visible()
    expect(page.locator(f"#{panel}-formula .katex")).to_have_count(0)
    start = page.evaluate(below)
    page.unroute(events)
    page.goto(f"{app_url}/{panel}")
    expect(page.locator(f"#{panel}-formula")).to_contain_text(drawn)
    assert abs(page.evaluate(below) - start) <= 8, (start, page.evaluate(below))
