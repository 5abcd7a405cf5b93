"""The attention viewer in Chromium: the induction head it opens on, a head switch, a deep link, the relation
finder."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import open_panel, save_screenshot


def test_opens_on_an_induction_head_and_switches_heads(page):
    open_panel(page, "Transformers · DL5–7", "Attention heads")
    formula = page.locator("#attention-formula")
    expect(formula).to_contain_text("looks hardest at", timeout=60_000)
    expect(page.locator("#attention-note")).to_contain_text("sharing 3 key/value heads")
    expect(page.locator("#attention-note")).to_contain_text(re.compile(r"Highest induction: layer 1[78], head [56]"))
    # the second 'sat' looks at the 'on' that followed the first 'sat': copying what came next last time
    expect(formula).to_contain_text("Layer 18, head 6: the query 16·␣sat looks hardest at 3·␣on")
    expect(page.locator("#attention-overview .js-plotly-plot")).to_be_visible()
    save_screenshot(page, "attention")
    head = page.locator("#attention-head input[type=number]")
    head.fill("2")
    head.press("Enter")
    expect(formula).to_contain_text("Layer 18, head 2")
    expect(formula).to_contain_text(re.compile(r"weight \d\.\d{3}"))


def test_a_deep_link_opens_the_chosen_head_and_query(page, app_url):
    page.goto(app_url + "/?panel=attention&prompt=The+capital+of+France+is+Paris.&layer=3&head=2&query=4")
    formula = page.locator("#attention-formula")
    expect(formula).to_contain_text("Layer 3, head 2: the query 4·␣is looks hardest at", timeout=60_000)
    expect(page.locator("#attention-prompt textarea")).to_have_value("The capital of France is Paris.")
    # opening the preset list and clicking elsewhere keeps the typed prompt and does not re-run (issue 37, item 1)
    prompt = page.locator("#attention-prompt textarea")
    prompt.fill("My own sentence about cats and dogs.")
    page.locator("#attention-preset input").click()
    page.locator("#attention-formula").click()
    page.wait_for_timeout(1500)
    expect(prompt).to_have_value("My own sentence about cats and dogs.")
    expect(formula).to_contain_text("Layer 3, head 2: the query 4·␣is")


def test_the_relation_finder_ranks_the_heads_and_shows_what_the_top_one_writes(page, app_url):
    """Pick 'it' and 'trophy': every head ranked by a[it, trophy], the top one (16/3) shown at 'it' with the
    tokens its write promotes, decoded through the final norm and W_U."""
    prompt = "The+trophy+didn%27t+fit+in+the+suitcase+because+it+was+too+big."
    page.goto(app_url + f"/?panel=attention&prompt={prompt}&layer=18&head=6&query=5")
    note = page.locator("#attention-relation-note")
    expect(note).to_contain_text("looks from", timeout=60_000)
    for control, token in (("query", "10·␣it"), ("key", "1·␣trophy")):
        page.locator(f"#attention-relation-{control} input").click()
        page.get_by_role("option", name=token, exact=True).click()
    expect(note).to_contain_text("Layer 16, head 3 looks from 10·␣it to 1·␣trophy hardest: weight 0.558")
    expect(page.locator("#attention-relations")).to_contain_text("L13 h8")          # the runner-up, ranked
    expect(page.locator("#attention-head input[type=number]")).to_have_value("3")   # the top head is shown
    write = page.locator("#attention-write-note")
    expect(write).to_contain_text("Layer 16, head 3 adds o to the stream at 10·␣it")
    expect(write).to_contain_text("it promotes uming, paralleled, ␣it")
    expect(page.locator("#attention-write")).to_contain_text("What layer 16, head 3 writes at 10·␣it")
    page.locator("#attention-relations").scroll_into_view_if_needed()
    save_screenshot(page, "attention-relations")
    page.locator("#attention-relation-heads").get_by_text("#2 L13 h8").click()     # the runner-up, at 'it' too
    expect(write).to_contain_text("Layer 13, head 8 adds o to the stream at 10·␣it")
