"""Exports: every plotly figure downloads as a PNG from its own toolbar, offline (rendered in the browser)."""
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
