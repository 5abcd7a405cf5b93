"""The embedding probe in Chromium: king - man + woman finds queen; an unknown word gets a suggestion."""
from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_king_minus_man_plus_woman_is_queen(page):
    open_panel(page, "Transformers · DL5–7", "Embedding arithmetic")
    table = page.locator("#embeddings-table")
    expect(table).to_contain_text("queen")
    expect(page.locator("#embeddings-formula")).to_contain_text("0.852")
    expect(page.locator("#embeddings-strip .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "embeddings")
    box = page.locator("#embeddings-expression textarea")
    box.fill("paris - france + italy")
    box.press("Enter")
    expect(page.locator("#embeddings-formula")).to_contain_text("rome")
    box.fill("qween - man")
    box.press("Enter")
    expect(page.get_by_text("did you mean 'queen'").first).to_be_visible()
    # the typo leaves the last good view in place: no output turns into an "Error" pill
    expect(page.locator("#embeddings-formula")).to_contain_text("rome")
    expect(page.locator("#embeddings-table")).to_contain_text("rome")
    expect(page.locator("#embeddings-plot .js-plotly-plot")).to_be_visible()
    # W_E is a lookup: a word's row, and SmolLM2's W_U tied to it
    page.get_by_text("W_E is a lookup table").click()
    word = page.locator("#embeddings-lookup-word textarea")
    word.fill("Tokyo Tower")
    word.press("Enter")
    # the app's first use of the language model may be this one (its load took over 60 s once on a busy CI)
    expect(page.locator("#embeddings-lookup")).to_contain_text("is 2 tokens, so 2 rows", timeout=120_000)
    expect(page.locator("#embeddings-lookup")).to_contain_text("W_U = W_Eᵀ")
    expect(page.locator("#embeddings-lookup table")).to_contain_text("␣Tower")
