"""The residual-stream panel in Chromium: the lens grid and the attribution check, then a causal trace; the series'
hand-built fact neuron, folded, as an AND gate."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_lens_attribution_and_trace(page):
    open_panel(page, "Transformers · DL5–7", "Residual stream & facts")
    formula = page.locator("#residual-formula")
    expect(formula).to_contain_text("the model's own logit", timeout=120_000)
    expect(page.locator("#residual-note")).to_contain_text("p(␣Paris) at the last position: 0.702")
    expect(page.locator("#residual-lens .js-plotly-plot")).to_be_visible()
    expect(page.locator("#residual-attribution")).to_contain_text("= logit 12.84")
    # the MLP-block slider opens on the block the note names; the lens grid's colour switches
    expect(page.locator("#residual-note")).to_contain_text("pushes ␣Paris most is block 28")
    expect(page.locator("#residual-layer input[type=number]")).to_have_value("28")
    page.get_by_label("entropy (bits)").check()
    expect(page.locator("#residual-lens")).to_contain_text("the entropy of the decoded distribution")
    # opening the preset list and clicking elsewhere keeps what the learner typed (issue 37, item 1)
    page.locator("#residual-target textarea").fill("Lyon")
    page.locator("#residual-preset input").click()
    page.locator("#residual-formula").click()
    page.wait_for_timeout(1500)
    expect(page.locator("#residual-target textarea")).to_have_value("Lyon")
    page.locator("#residual-preset input").click()
    page.get_by_role("option", name="capital of France → Paris (p 0.77)").click()
    expect(page.locator("#residual-target textarea")).not_to_have_value("Lyon")      # choosing one applies it
    expect(page.locator("#residual-subject textarea")).to_have_value("France")
    expect(page.locator("#residual-note")).to_contain_text("p(␣Paris) at the last position: 0.773", timeout=60_000)
    page.locator("#residual-trace-run").click()
    expect(page.locator("#residual-trace-note")).to_contain_text("Clean run: p(␣Paris) = 0.773", timeout=180_000)
    expect(page.locator("#residual-trace .js-plotly-plot")).to_be_visible()
    # add, don't replace: block 10 replacing the stream loses the answer
    page.locator("#residual-replace-button").click()
    expect(page.locator("#residual-replace-formula")).to_contain_text("with block 10 replacing the stream",
                                                                      timeout=120_000)
    expect(page.locator("#residual-replace .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "residual")


def test_the_series_fact_neuron_is_an_and_gate(page):
    """The hand-built neuron, folded before the real ones: Michael AND Jordan writes basketball; without Jordan the
    read drops to 0."""
    open_panel(page, "Transformers · DL5–7", "Residual stream & facts")
    expect(page.locator("#residual-note")).to_contain_text("p(␣Paris) at the last position", timeout=120_000)
    expect(page.locator("#residual-fact-neuron .js-plotly-plot")).to_have_count(0)          # folded: not drawn yet
    expect(page.locator("#residual-real-neurons")).to_contain_text("The real model: SiLU(x·g)·(x·u)")
    page.locator("#residual-fact").get_by_text("The series' own fact neuron").click()
    formula = page.locator("#residual-fact-formula")
    expect(formula).to_contain_text("the neuron fires and adds 1.00 × basketball to the stream (read 1.000)")
    expect(page.locator("#residual-fact-gate .js-plotly-plot")).to_be_visible()
    expect(page.locator("#residual-superposition-note")).to_contain_text("mean |cos| 0.0799")
    page.locator("#residual-fact").scroll_into_view_if_needed()
    save_screenshot(page, "residual-fact-neuron")
    jordan = page.locator("#residual-jordan input[type=number]")
    expect(jordan).to_have_value("1")
    jordan.fill("0")
    jordan.press("Enter")
    expect(formula).to_contain_text("ReLU keeps the neuron off, nothing is written (read 0.000)")
    expect(page.locator("#residual-fact-neuron")).to_contain_text("The neuron stays off")
    link = page.locator("#residual-link textarea, #residual-link input").first                 # a link opens it unfolded
    expect(link).to_have_value(re.compile(r"[?&]jordan=0(&|$)"))
    page.goto(link.input_value())
    expect(formula).to_contain_text("(read 0.000)", timeout=120_000)
