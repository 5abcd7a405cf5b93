"""The neuron sandbox in a real browser: the sliders move the numbers, every section opens, nothing goes online."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_neuron_sliders_update_the_formula(page):
    open_panel(page, "Structure · DL1", "Neuron sandbox")
    formula = page.locator("#neuron-formula")
    # defaults: z = 1.5*1.0 + (-1.0)*0.5 + (-0.5) = 0.500 and sigma(0.5) = 0.622
    expect(formula).to_contain_text("0.500")
    expect(formula).to_contain_text("0.622")
    bias = page.locator("#neuron-bias input[type=number]")
    bias.fill("2")
    bias.press("Enter")
    # z = 1.5 - 0.5 + 2 = 3.000 and sigma(3) = 0.953
    expect(formula).to_contain_text("3.000")
    expect(formula).to_contain_text("0.953")
    page.locator("#neuron-activation").get_by_text("relu", exact=True).click()
    expect(formula).to_contain_text("ReLU")          # a = ReLU(3.000) = 3.000
    expect(page.locator("#neuron-plane .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "neuron")


def test_every_section_opens(page):
    import app

    names = [section for section, panels in app.sections() if panels]
    assert names and names[0] == "Structure · DL1"
    for name in names:
        page.locator(".dle-nav").get_by_role("link", name=name, exact=True).click()
        expect(page.locator(".dle-nav a.dle-here")).to_have_text(name)
