"""The series' last chapter in Chromium: CLIP's matrix and zero-shot bars, a fresh CLIP learning its diagonal, its
arithmetic (a red seven − a blue seven puts 'red' on top), its loss whole on a projector and its captions on a phone, and a prompt typed and sent with Enter in Text to image,
with its cross-attention maps (and an emptied prompt named as the fault beside the prompt box, not beside the
slider that was moved)."""
import re

import numpy as np
from PIL import Image
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_clip_matrix_zero_shot_and_watch_it_learn(page, tmp_path):
    open_panel(page, "Generation · DL8", "CLIP")
    expect(page.locator("#clip-note")).to_contain_text("images give their own caption", timeout=60_000)
    expect(page.locator("#clip-zero-note")).to_contain_text("CLIP reads")
    expect(page.locator("#clip-matrix .js-plotly-plot")).to_be_visible()
    captions = page.locator("#clip-captions textarea")
    captions.fill("a purple nine\nan orange five")
    expect(page.locator("#clip-bars")).to_contain_text("a purple nine")
    # uploading is choosing the upload (issue 37, item 6); a text file saved as .png is refused in words
    red = tmp_path / "red.png"
    Image.fromarray(np.tile(np.array([220, 30, 30], np.uint8), (48, 48, 1))).save(red)
    page.locator("#clip-upload input[type=file]").set_input_files(str(red))
    expect(page.locator("#clip-zero-note")).to_contain_text("CLIP reads your upload", timeout=60_000)
    expect(page.get_by_label("your upload")).to_be_checked()
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    page.locator("#clip-upload button[aria-label='Remove Image']").click()
    page.locator("#clip-upload input[type=file]").set_input_files(str(fake))
    expect(page.locator("body")).to_contain_text("not an image Gradio can read", timeout=60_000)
    page.locator("#clip-learn-run").click()
    expect(page.locator("#clip-learn-note")).to_contain_text("Done", timeout=120_000)
    save_screenshot(page, "clip")
    # the arithmetic, folded (issue 39): a seven − a one, then a red seven − a blue seven puts 'red' on top
    page.locator("#clip-arithmetic").get_by_text("Arithmetic in the shared space").click()
    note = page.locator("#clip-arithmetic-note")
    expect(note).to_contain_text("red ranks 1 of 28", timeout=60_000)
    presets = page.locator("#clip-arithmetic-scenes")
    presets.get_by_text("a seven − a one, both red").click()
    expect(note).to_contain_text("not both at the ends", timeout=60_000)
    presets.get_by_text("a red seven − a blue seven").click()
    expect(note).to_contain_text("points from scene b's word to scene a's", timeout=60_000)
    bars = page.locator("#clip-arithmetic-bars")
    expect(bars).to_contain_text("28. blue")
    assert page.evaluate(TOP_WORD) == "1. red"
    bars.scroll_into_view_if_needed()
    save_screenshot(page, "clip-arithmetic")


def test_text_to_image_prompt_with_enter(page):
    open_panel(page, "Generation · DL8", "Text to image")
    note = page.locator("#t2i-note")
    expect(note).to_contain_text("DDIM steps", timeout=60_000)
    prompt = page.locator("#t2i-prompt textarea")
    prompt.fill("a large red seven on the left and a yellow one on the right")
    prompt.press("Enter")
    expect(page.locator("#t2i-image")).to_contain_text("a large red seven on the left", timeout=60_000)
    expect(page.locator("#t2i-maps")).to_contain_text("yellow")
    save_screenshot(page, "text-to-image")
    prompt.fill("")                                            # then w changed: the message is the prompt's
    w = page.locator("#t2i-w input[type=number]")
    w.fill("5")                                                # (3 is the default: 5 is a change)
    w.press("Enter")
    expect(page.locator("#t2i-prompt .dle-clamped")).to_contain_text("Type a prompt")
    expect(page.locator("#t2i-w .dle-clamped")).to_have_count(0)


TOP_WORD = """() => [...document.querySelectorAll('#clip-arithmetic-bars .ytick text')]
  .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0].textContent"""
FORMULAS = """() => [...document.querySelectorAll('#clip-formula .katex-display')].map((display) => ({
  loss: display.textContent.includes('softmax'), fitted: display.dataset.fitted || '',
  cut: display.scrollWidth - display.clientWidth,
  size: parseFloat(getComputedStyle(display.querySelector('.katex')).fontSize)}))"""
CAPTION_LABELS = """() => {
  const plot = document.querySelector('#clip-matrix .js-plotly-plot'), box = plot.getBoundingClientRect();
  return [...plot.querySelectorAll('.ytick text')].map((label) => {
    const r = label.getBoundingClientRect();
    return {text: label.textContent, left: r.left - box.left, right: box.right - r.right, top: r.top, bottom: r.bottom};
  });
}"""


def test_clip_loss_is_whole_on_a_projector_and_its_captions_on_a_phone(page, app_url):
    """Issue 37, item 10. A 1024 px projector in presenter mode: the loss's lines fit at the size of the other
    formulas (it was shrunk to half and still cut). A 390 px phone: the matrix's rows keep captions whole enough to
    tell apart, each on its own rows' height, none cut at the figure's left edge."""
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/clip?presenter=1")
    expect(page.locator("#dle-root")).to_have_class(re.compile("dle-presenter"))
    expect(page.locator("#clip-note")).to_contain_text("images give their own caption", timeout=120_000)
    page.wait_for_function(f"() => ({FORMULAS})().every((f) => f.fitted.endsWith('|1'))")  # fitted in presenter type
    formulas = page.evaluate(FORMULAS)
    loss = [f for f in formulas if f["loss"]][0]
    assert all(f["cut"] <= 8 for f in formulas), formulas            # KaTeX's few pixels of spacing, no more
    assert loss["size"] >= 0.95 * max(f["size"] for f in formulas), formulas
    save_screenshot(page, "clip-1024-presenter")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_url}/clip")
    expect(page.locator("#clip-note")).to_contain_text("images give their own caption", timeout=120_000)
    expect(page.locator("#clip-matrix .ytick text")).to_have_count(8)
    labels = sorted(page.evaluate(CAPTION_LABELS), key=lambda label: label["top"])
    assert all(label["left"] >= -1 and label["right"] >= -1 for label in labels), labels
    assert len({label["text"].split(". ", 1)[1] for label in labels}) == 8, labels
    assert all(above["bottom"] <= below["top"] + 1 for above, below in zip(labels, labels[1:])), labels
    save_screenshot(page, "clip-390")
