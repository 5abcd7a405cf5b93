"""Exports: every plotly figure downloads as a PNG from its own toolbar, offline (rendered in the browser), named
after its panel and title."""
from playwright.sync_api import expect

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_a_figure_downloads_as_png(page, tmp_path):
    plot = page.locator("#neuron-plane .js-plotly-plot")
    expect(plot).to_be_visible()
    plot.hover()
    button = page.locator("#neuron-plane .modebar-btn[data-title*='png' i]").first
    with page.expect_download() as download:
        button.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    data = path.read_bytes()
    assert path.suffix == ".png" and data.startswith(PNG_MAGIC) and len(data) > 10_000
    assert download.value.suggested_filename == "neuron-output-over-the-input-plane.png"   # not "newplot.png"


def test_a_download_is_named_after_the_panel_and_the_title_with_greek_spelled_out(page):
    page.goto(page.url.split("?")[0] + "?panel=descent&eta=0.3")
    plot = page.locator("#descent-contour .js-plotly-plot")
    expect(plot).to_be_visible(timeout=60_000)
    page.wait_for_function("() => { const p = document.querySelector('#descent-contour .js-plotly-plot');"
                           " return p && p._context.toImageButtonOptions.filename; }")
    name = plot.evaluate("p => p._context.toImageButtonOptions.filename")
    assert name.startswith("descent-contour-map") and name == name.lower() and " " not in name
