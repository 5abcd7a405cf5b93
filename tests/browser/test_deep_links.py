"""A lecturer's deck of links: every panel opens from a link with the linked settings in its controls and in
what it shows. Panels whose figures need a model wait longer for their first draw."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import save_screenshot

# panel query, then (control selector, value it must show), then (element, text the view must contain)
LINKS = [
    ("panel=neuron&f=step&b=1.5", "#neuron-bias input[type=number]", "1.5", "#neuron-formula", "step"),
    ("panel=digit-network&i=38&f=relu", "#digit-network-index input[type=number]", "38", "#digit-network-verdict",
     "true label 4"),
    ("panel=backprop&i=7&f=sigmoid&l=2&j=3&k=4", "#backprop-index input[type=number]", "7", "#backprop-formula",
     "w^{(2)}_{34}"),
    ("panel=embeddings&expr=paris+-+france+%2B+italy&k=5", "#embeddings-k input[type=number]", "5",
     "#embeddings-formula", "rome"),
    ("panel=next-token&prompt=The+capital+of+France+is&T=0.5&k=5", "#next-temperature input[type=number]", "0.5",
     "#next-formula", "Paris"),
    ("panel=attention&prompt=1%2C+2%2C+3%2C+4%2C+5%2C+6&layer=2&head=1&query=3", "#attention-head input[type=number]",
     "1", "#attention-formula", "Layer 2, head 1"),
    ("panel=descent&s=valley&x=-4.5&y=1.5&eta=0.45&mu=0.9&n=40", "#descent-mu input[type=number]", "0.9",
     "#descent-status", "After 40 steps"),
    ("panel=residual&prompt=The+capital+of+France+is&target=Paris&layer=20", "#residual-layer input[type=number]", "20",
     "#residual-note", "p(␣Paris) at the last position"),
    ("panel=noising&image=digit+7&t=500&schedule=linear", "#noising-t input[type=number]", "500",
     "#noising-formula", "500"),
    ("panel=denoising&digit=7&steps=10&w=1&step=3", "#denoising-steps input[type=number]", "10",
     "#denoising-status", "Step 3 of 10"),
    ("panel=guidance&digit=7&weights=0%2C+1%2C+2&samples=2&steps=20", "#guidance-samples input[type=number]", "2",
     "#guidance-status", "accuracy as a 7"),
]


@pytest.mark.parametrize("query, control, value, view, text", LINKS, ids=[q.split("&")[0][6:] for q, *_ in LINKS])
def test_a_link_opens_its_panel_with_its_settings(page, app_url, query, control, value, view, text):
    page.goto(f"{app_url}/?{query}")
    expect(page.locator(control)).to_have_value(value)
    expect(page.locator(view)).to_contain_text(text, timeout=90_000)


def test_a_link_to_a_renamed_panel_opens_it_with_its_settings(page, app_url):
    """/facts is /residual now: a link written before the rename opens the residual page with its settings, and the
    first view keeps the link's block (it does not move the slider to the block the note names)."""
    page.goto(f"{app_url}/facts?prompt=The+capital+of+France+is&target=Paris&layer=20")
    expect(page.locator("#residual-note")).to_contain_text("p(␣Paris) at the last position", timeout=90_000)
    expect(page.locator("#residual-layer input[type=number]")).to_have_value("20")
    assert page.url.split("?")[0].endswith("/residual")


def test_a_link_to_the_guidance_text_prompt_opens_its_fold_drawn(page, app_url):
    """The text sweep is a fold of the Guidance page: a link that sets its prompt opens it already drawn, with the
    link's weights (shared with the digit part) as its columns."""
    page.goto(f"{app_url}/guidance?prompt=a+yellow+three+on+the+left+and+a+blue+eight+on+the+right&weights=0,1,2,4"
              "&samples=2&steps=20")
    expect(page.locator("#guidance-prompt textarea")).to_have_value(
        "a yellow three on the left and a blue eight on the right")
    status = page.locator("#guidance-text-status")
    expect(status).to_contain_text("w=4: ", timeout=240_000)
    expect(status).to_contain_text("Faithful")
    expect(page.locator("#guidance-text-grid .js-plotly-plot")).to_be_visible()
    link = page.locator("#guidance-link textarea, #guidance-link input").first     # the prompt is the default, but
    expect(link).to_have_value(re.compile(r"[?&]prompt=a(\+|%20)yellow"))          # the fold is open: a copy opens it
    save_screenshot(page, "guidance-text")
