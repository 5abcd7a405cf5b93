"""The Generation section in Chromium: the noising slider and its step-by-step check, the denoising stepper, the
guidance sweep with its measured trade-off."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot

SWEEP_TIMEOUT_MS = 180_000   # the default sweep is 8 weights x 4 samples x 50 steps on a shared CPU


def test_noising_slider_and_the_chain(page):
    open_panel(page, "Generation · DL8", "Noising")
    formula = page.locator("#noising-formula")
    expect(formula).to_contain_text("x_{250}")
    page.locator("#noising-t input[type=range]").fill("600")
    expect(formula).to_contain_text("x_{600}", timeout=30_000)
    page.locator("#noising-schedule").get_by_text("linear", exact=True).click()
    expect(page.locator("#noising-curves")).to_contain_text("linear schedule")
    page.locator("#noising-chain-button").click()
    expect(page.locator("#noising-chain-text")).to_contain_text("256 copies × 601 small steps")
    expect(page.locator("#noising-chain .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "noising")


def test_an_upload_that_is_not_an_image_is_refused_in_words(page, tmp_path):
    # gr.Image's preprocess raised UnidentifiedImageError before the handler: a bare red "Error" and no words.
    import numpy as np
    from PIL import Image

    open_panel(page, "Generation · DL8", "Noising")
    expect(page.locator("#noising-formula")).to_contain_text("x_{250}")
    fake = tmp_path / "notes.png"
    fake.write_text("these are my lecture notes, not a picture")
    page.locator("#noising-upload input[type=file]").set_input_files(str(fake))
    message = "That file is not an image Gradio can read; upload a PNG or JPEG"
    expect(page.locator('[data-testid="toast-text"]', has_text=message)).to_be_visible()
    expect(page.locator("#noising-upload .dle-clamped")).to_contain_text(message)  # and beside the upload
    expect(page.locator("#noising-formula")).to_contain_text("x_{250}")          # the view stays
    page.locator("#noising-upload").get_by_role("button", name="Remove Image").click()   # as a learner would
    good = tmp_path / "stripes.png"
    Image.fromarray(np.tile(np.array([0, 255], np.uint8), (20, 10))).save(good)  # (20, 20) vertical stripes
    page.locator("#noising-upload input[type=file]").set_input_files(str(good))
    expect(page.locator("#noising-note")).to_contain_text("Converted")
    expect(page.locator("#noising-note")).to_contain_text("20×20 pixels")


def test_denoising_stepper(page):
    open_panel(page, "Generation · DL8", "Denoising")
    status = page.locator("#denoising-status")
    expect(status).to_contain_text("Step 1 of 20", timeout=60_000)
    page.locator("#denoising-forward").click()
    expect(status).to_contain_text("Step 2 of 20")
    page.locator("#denoising-step input[type=range]").fill("20")
    expect(status).to_contain_text("final sample")
    expect(page.locator("#denoising-x0 .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "denoising")


def test_guidance_sweep(page):
    open_panel(page, "Generation · DL8", "Guidance")
    expect(page.locator("#guidance-status")).to_contain_text("w=12", timeout=SWEEP_TIMEOUT_MS)
    expect(page.locator("#guidance-grid .js-plotly-plot")).to_be_visible()
    expect(page.locator("#guidance-curves")).to_contain_text("trade-off")
    save_screenshot(page, "guidance")


def test_vector_field_arrows_paths_and_guidance(page):
    """The learned field, the two samplers' paths from the same noise, and the guided moons, as a learner opens them."""
    open_panel(page, "Generation · DL8", "Vector field")
    formula = page.locator("#vector-field-formula")
    expect(formula).to_contain_text("\\bar\\alpha_{300}", timeout=60_000)
    expect(page.locator("#vector-field-note")).to_contain_text("DDIM", timeout=60_000)
    page.locator("#vector-field-t input[type=range]").fill("900")
    expect(formula).to_contain_text("\\bar\\alpha_{900}")
    page.locator("#vector-field-dataset").get_by_text("moons", exact=True).click()
    page.locator("#vector-field-class input").click()
    page.get_by_role("option", name="0: upper moon · cluster A").click()
    expect(page.locator("#vector-field-arrows")).to_contain_text("Three fields", timeout=30_000)
    expect(page.locator("#vector-field-guidance-note")).to_contain_text("upper moon", timeout=60_000)
    save_screenshot(page, "vector-field")


ARROW_LENGTHS = """p => {                          // the shaft of every arrow in the field trace: start, tip, gap, ...
    const trace = p._fullData[1], lengths = [];
    for (let i = 0; i + 1 < trace.x.length; i += 7)
        lengths.push(Math.hypot(trace.x[i + 1] - trace.x[i], trace.y[i + 1] - trace.y[i]));
    return lengths;
}"""


def test_vector_field_arrows_grow_as_t_falls(page, app_url):
    """Issue #37: the arrows at t = 20 and t = 900 were scaled alike. Opened from a link at each t, the drawn
    arrows are more than twice as long at t = 20, and the figure says its scale."""
    mean = {}
    for t in (20, 900):
        page.goto(f"{app_url}/vector-field?data=spiral&t={t}")
        arrows = page.locator("#vector-field-arrows")
        expect(arrows).to_contain_text(f"The learned field at t = {t}", timeout=60_000)
        expect(arrows).to_contain_text("Arrows on one log scale for every t:")
        expect(arrows).to_contain_text("|s| = 85 is 1 grid cell, 5 is ½, 1 is ¼")
        lengths = arrows.locator(".js-plotly-plot").evaluate(ARROW_LENGTHS)
        assert len(lengths) == 25 * 25
        mean[t] = sum(lengths) / len(lengths)
        save_screenshot(page, f"vector-field-t{t}")
    assert mean[20] > 2 * mean[900]                   # 0.88 against 0.37 of a grid cell
