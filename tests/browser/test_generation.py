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
    """The stepper; DDPM from the same noise adds σ_t z to the card; the U-Net opened up, its 16×16 skips cut, with
    the change measured; Ask the U-Net, its loss across t."""
    import re

    open_panel(page, "Generation · DL8", "Denoising")
    status = page.locator("#denoising-status")
    expect(status).to_contain_text("Step 1 of 20", timeout=60_000)
    page.locator("#denoising-forward").click()
    expect(status).to_contain_text("Step 2 of 20")
    page.locator("#denoising-step input[type=range]").fill("20")
    expect(status).to_contain_text("final sample")
    expect(page.locator("#denoising-x0 .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "denoising")
    page.locator("#denoising-sampler").get_by_text("DDPM", exact=False).click()
    page.locator("#denoising-step input[type=range]").fill("10")
    expect(status).to_contain_text("DDPM adds σₜ·z", timeout=60_000)
    expect(status).to_contain_text("Step 10 of 20")
    expect(page.locator("#denoising-formula")).to_contain_text("\\sigma_t z")
    page.locator("#denoising-unet").get_by_text("The U-Net opened up").click()
    note = page.locator("#denoising-unet-note")
    expect(note).to_contain_text("Nothing cut", timeout=60_000)
    page.locator("#denoising-cut").get_by_text("skips at 16×16").click()
    expect(note).to_contain_text(re.compile(r"MSE between them \d\.\d{4}"), timeout=60_000)
    expect(page.locator("#denoising-unet-levels")).to_contain_text("skips cut")
    save_screenshot(page, "denoising-unet")
    page.locator("#denoising-ask").get_by_text("Ask the U-Net").click()
    expect(page.locator("#denoising-ask-note")).to_contain_text("Across t", timeout=60_000)
    expect(page.locator("#denoising-ask-curve .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "denoising-ask")


def test_guidance_sweep(page):
    open_panel(page, "Generation · DL8", "Guidance")
    expect(page.locator("#guidance-status")).to_contain_text("w=12", timeout=SWEEP_TIMEOUT_MS)
    expect(page.locator("#guidance-grid .js-plotly-plot")).to_be_visible()
    expect(page.locator("#guidance-curves")).to_contain_text("trade-off")
    save_screenshot(page, "guidance")


def test_vector_field_arrows_paths_and_guidance(page):
    """The learned field, the three samplers' paths from the same noise with their distances to the data, and the
    guided moons with the implicit classifier's field, as a learner opens them."""
    open_panel(page, "Generation · DL8", "Vector field")
    formula = page.locator("#vector-field-formula")
    expect(formula).to_contain_text("\\bar\\alpha_{300}", timeout=60_000)
    note = page.locator("#vector-field-note")
    expect(note).to_contain_text("DDPM without its noise", timeout=60_000)          # issue #39: beside DDPM and DDIM
    expect(note).to_contain_text("times DDPM's")
    expect(page.locator("#vector-field-sampler-formula")).to_contain_text("x_{979}")
    page.locator("#vector-field-paths").scroll_into_view_if_needed()
    save_screenshot(page, "vector-field-samplers")
    page.locator("#vector-field-samplers").get_by_text("DDIM (deterministic, η = 0)").click()   # pick two of three
    page.locator("#vector-field-run").click()
    expect(note).not_to_contain_text("DDIM (deterministic", timeout=60_000)
    expect(note).to_contain_text("DDPM without its noise")
    page.locator("#vector-field-t input[type=range]").fill("900")
    expect(formula).to_contain_text("\\bar\\alpha_{900}")
    page.locator("#vector-field-dataset").get_by_text("moons", exact=True).click()
    page.locator("#vector-field-class input").click()
    page.get_by_role("option", name="0: upper moon · cluster A").click()
    page.locator("#vector-field-fields").get_by_text("implicit classifier", exact=False).click()
    expect(page.locator("#vector-field-arrows")).to_contain_text("classifier ∇log p(c|x)", timeout=30_000)
    expect(formula).to_contain_text("s_{\\text{guided}} = s_\\varnothing + (w+1)")
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
