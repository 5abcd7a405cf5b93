"""A lecturer's links and presenter mode, in a real browser."""
import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.helpers import save_screenshot


def test_a_deep_link_opens_the_panel_with_its_settings(page, app_url):
    page.goto(app_url + "/?panel=neuron&f=relu&b=2&w1=1.5&w2=-1")
    formula = page.locator("#neuron-formula")
    expect(formula).to_contain_text("ReLU")
    expect(formula).to_contain_text("3.000")           # z = 1.5*1 - 1*0.5 + 2
    expect(page.locator("#neuron-bias input[type=number]")).to_have_value("2")


def test_the_link_box_follows_the_controls_and_reproduces_the_view(page, app_url):
    link = page.locator("#neuron-link textarea, #neuron-link input").first
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/neuron\?n=2&f=sigmoid"))
    bias = page.locator("#neuron-bias input[type=number]")
    bias.fill("-1.25")
    bias.press("Enter")
    expect(link).to_have_value(re.compile(r"b=-1\.25"))
    query = parse_qs(urlsplit(link.input_value()).query)
    assert urlsplit(link.input_value()).path == "/neuron" and query["b"] == ["-1.25"]
    page.goto(link.input_value())                       # the copied link reproduces the view
    expect(page.locator("#neuron-formula")).to_contain_text("−1.25")


def test_a_bad_link_is_ignored_with_a_warning_and_the_app_still_works(page, app_url):
    page.goto(app_url + "/?panel=neuron&b=999&f=softmax")
    expect(page.get_by_text("Ignored in the link")).to_be_visible()
    expect(page.locator("#neuron-formula")).to_contain_text("0.500")   # the defaults stay


def test_presenter_mode_enlarges_the_type_and_hides_long_text(page, app_url):
    size = "() => document.querySelector('#neuron-formula .katex').getBoundingClientRect().height"
    expect(page.locator("#neuron-formula")).to_contain_text("0.622")
    normal = page.evaluate(size)
    expect(page.locator("#tab-neuron .dle-explanation").first).to_be_visible()
    page.goto(app_url + "/neuron?presenter=1")
    expect(page.locator("#dle-root")).to_have_class(re.compile("dle-presenter"))
    expect(page.locator("#neuron-formula")).to_contain_text("0.622")
    assert page.evaluate(size) > normal * 1.2
    expect(page.locator("#tab-neuron .dle-explanation").first).to_be_hidden()
    expect(page.locator("#neuron-bias")).to_be_visible()                # the controls stay
    expect(page.locator("#neuron-plane .cbfill")).to_be_attached()
    # plotly's colour bar still points at a gradient of this page (a rewritten address bar orphans it)
    assert page.evaluate("""() => {
        const fill = document.querySelector('#neuron-plane .cbfill').style.fill;
        return fill.includes(location.href.split('#')[0] + '#');
    }""")
    save_screenshot(page, "presenter-mode")
    page.locator("#presenter input").uncheck()
    expect(page.locator("#dle-root")).not_to_have_class(re.compile("dle-presenter"))


def test_a_scene_from_the_series_sets_the_controls_and_redraws(page):
    # as a learner does: the formula read, then a scene picked (test_pages checks that the scenes stay put while it
    # arrives; in CI a click before it once landed beside the scene)
    expect(page.locator("#neuron-formula")).to_contain_text("0.622")
    page.locator("#neuron-scenes").get_by_text("bias −3: it needs strong input to fire").click()
    expect(page.locator("#neuron-bias input[type=number]")).to_have_value("-3")
    expect(page.locator("#neuron-formula")).to_contain_text("(−3.00)")


def test_a_scene_on_a_computed_panel_runs_it(page):
    from tests.browser.helpers import open_panel

    open_panel(page, "Transformers · DL5–7", "Embedding arithmetic")
    expect(page.locator("#embeddings-formula")).to_contain_text("queen", timeout=60_000)
    page.locator("#embeddings-scenes").get_by_text("paris − france + italy ≈ rome").click()
    expect(page.locator("#embeddings-formula")).to_contain_text("rome", timeout=30_000)
    save_screenshot(page, "embeddings-scene")


CLIPPED = """() => {
  const width = document.documentElement.clientWidth, clipped = [];
  if (document.documentElement.scrollWidth > width) clipped.push('the page scrolls sideways');
  for (const el of document.querySelectorAll('.katex-display, .js-plotly-plot')) {
    if (el.offsetParent === null) continue;
    if (el.getBoundingClientRect().right > width + 1) clipped.push((el.closest('[id]') || {}).id + ' past the edge');
    // KaTeX leaves a few pixels of spacing past some formulas whatever their size: more than 8 px is cut content
    if (el.classList.contains('katex-display') && el.scrollWidth > el.clientWidth + 8)
      clipped.push((el.closest('[id]') || {}).id + ' formula cut: ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  return clipped;
}"""


def test_nothing_is_cut_on_a_1024_projector_in_presenter_mode(browser, app_url):
    """The widest formulas of the app (the residual stream's attribution, next-token's entropy, SGD's update) shrink
    to fit the projector's width instead of running off the edge."""
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        for query, ready, text in [("panel=neuron", "#neuron-formula", "0.622"),
                                   ("panel=descent&batch=16", "#descent-data-formula", "B"),
                                   ("panel=next-token", "#next-formula", "bits"),
                                   ("panel=residual", "#residual-formula", "the model's own logit")]:
            page.goto(f"{app_url}/?{query}&presenter=1")
            expect(page.locator(ready)).to_contain_text(text, timeout=120_000)
            clipped = page.evaluate(CLIPPED)
            for _ in range(20):                                          # the page script fits formulas every 0.4 s
                if not clipped:
                    break
                page.wait_for_timeout(400)
                clipped = page.evaluate(CLIPPED)
            assert clipped == [], query
    finally:
        page.close()


TITLES_CUT = """() => {
  const cut = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    if (plot.offsetParent === null) continue;
    const box = plot.getBoundingClientRect();
    for (const title of plot.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text')) {
      const r = title.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1))
        cut.push((plot.closest('[id]') || {}).id + ': ' + title.textContent);
    }
  }
  return cut;
}"""


def test_a_phone_gets_a_stacked_header_and_whole_figure_titles(browser, app_url):
    """390 px: the title is not squeezed beside the presenter box, every section is reachable, and a figure title
    longer than the screen (SGD's 'The true cost C(w, b) of the 3-vs-8 model', its log-axis title) is wrapped or
    shrunk by the page script instead of cut at the figure's edge."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{app_url}/?panel=descent&batch=16")                      # the SGD part, unfolded by its link
        expect(page.locator("#descent-data-formula")).to_contain_text("B", timeout=120_000)
        title = page.locator("#dle-nav").bounding_box()
        presenter = page.locator("#presenter").bounding_box()
        assert presenter["y"] >= title["y"] + title["height"] - 1             # stacked, not side by side
        assert title["height"] < 6 * 48                        # the title, the sections and the panels: not a letter a line
        expect(page.locator("#descent-data-contour .gtitle")).to_contain_text("3-vs-8")
        cut = page.evaluate(TITLES_CUT)
        for _ in range(20):                                                     # the page script fits every 0.3 s
            if not cut:
                break
            page.wait_for_timeout(300)
            cut = page.evaluate(TITLES_CUT)
        assert cut == []
        generation = page.locator(".dle-nav").get_by_role("link", name="Generation · DL8", exact=True)
        box = generation.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390                  # every section on the screen
        generation.click()
        expect(page.locator(".dle-panels a.dle-here")).to_have_text("CLIP")
    finally:
        page.close()


FIRST_SEEN = """() => {
  window.__seen = [];
  const scan = () => {
    const plot = document.querySelector('#neuron-plane .js-plotly-plot');
    if (plot && plot.data && getComputedStyle(plot).visibility === 'visible') {
      const shown = JSON.stringify(plot.data);
      if (window.__seen[window.__seen.length - 1] !== shown) window.__seen.push(shown);
    }
    requestAnimationFrame(scan);
  };
  requestAnimationFrame(scan);
}"""


def test_a_link_shows_its_own_view_first_not_the_default_one(page, app_url):
    """The page opens with the link's settings in its controls and draws the neuron once, in the linked state (the
    one-page app drew the default view first, then the link's: an intermediate view on the projector)."""
    page.add_init_script(f"({FIRST_SEEN})()")
    page.goto(f"{app_url}/?panel=neuron&b=3&w1=-2")
    expect(page.locator("#neuron-formula")).to_contain_text("(3.00)", timeout=60_000)
    page.wait_for_function("() => window.__seen.length >= 1")
    page.wait_for_timeout(2500)                                    # past the longest a first view stays hidden
    assert page.evaluate("() => window.__seen.length") == 1       # the room saw one view: the link's
