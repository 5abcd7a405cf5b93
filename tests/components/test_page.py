"""A panel's page: its frame, the header's links, the landing cards, folds drawn when first unfolded, and what a
page starts with for a link (its settings, the folds they open, presenter mode, a tour's bar)."""
from types import SimpleNamespace

import gradio as gr
import pytest

from components.deeplink import PanelLink
from components.page import (Page, drawn_when_unfolded, fold, landing_html, linked_state, nav_html, page_for,
                             page_opener, panel_frame)
from components.tour import Stop, Tour

SECTIONS = [("Structure", [("neuron", "One neuron"), ("digits", "Digit <network>")]),
            ("Learning", [("descent", "Gradient descent")])]
TOURS = {"intro": Tour("intro", "Two stops", (Stop("descent", "Start high", "Roll down.", settings={"b": "2"}),
                                               Stop("neuron", "A neuron", "Weigh the inputs.")))}


@pytest.fixture(scope="module")
def page():
    """A descent page: a bias b in the open, a learning rate inside a fold, presenter mode and a tour bar."""
    with gr.Blocks() as demo:
        with panel_frame("descent") as frame:
            b = gr.Slider(-5, 5, 0, label="b")
            with fold("The landscape of a real network", "descent-network") as part:
                with gr.Row():
                    lr = gr.Slider(0.01, 1, 0.1, label="learning rate")
            box = gr.Textbox()
            presenter, bar = gr.Checkbox(False), gr.HTML("", visible=False)
    link = PanelLink("descent", {"b": b, "lr": lr}, box, (part,))
    return SimpleNamespace(demo=demo, frame=frame, b=b, lr=lr, part=part, link=link,
                           pages={"descent": Page(link, presenter, bar)})


def test_the_frame_is_the_panels_column_opened_by_the_pages_load(page):
    assert page.frame.panel == "descent" and page.frame.column.elem_id == "tab-descent"
    assert page.frame.opened == page.demo.load                          # gr.on([panel.opened, ...]) fires on load


def test_the_header_links_the_sections_and_the_current_sections_panels():
    html = nav_html(SECTIONS, "digits")
    assert '<a class="dle-home" href="./">Deep Learning Explorer</a>' in html
    assert '<a class="dle-section dle-here" aria-current="true" href="./neuron">Structure</a>' in html
    assert '<a class="dle-section" href="./descent">Learning</a>' in html          # a section opens its first panel
    assert ('<nav class="dle-panels" aria-label="panels"><a class="dle-panel" href="./neuron">One neuron</a>'
            '<a class="dle-panel dle-here" aria-current="page" href="./digits">Digit &lt;network&gt;</a></nav>') in html
    landing = nav_html(SECTIONS, "")
    assert "dle-here" not in landing and "dle-panels" not in landing             # the landing: no second row


def test_the_landing_has_a_card_per_panel_with_its_picture():
    html = landing_html([("Learning", [("descent", "Descent", "Roll <down>", "pictures/descent.png")])])
    assert html.startswith('<form class="dle-join" action="./class/student" method="get">')   # a student's way in
    assert html.split("</form>", 1)[1] == ('<h2 class="dle-landing-section">Learning</h2><div class="dle-cards">'
                    '<a class="dle-card-link" href="./descent"><img src="pictures/descent.png" alt="" loading="lazy" '
                    'width="320" height="180"><b>Descent</b><span>Roll &lt;down&gt;</span></a></div>')


def test_a_fold_is_closed_and_knows_what_it_holds(page):
    assert page.part.accordion.open is False and page.part.accordion.elem_id == "descent-network"
    assert page.part.unfolded.visible is False and page.part.unfolded.value is False
    assert page.part.unfolded.elem_id == "descent-network-unfolded"
    assert page.part.holds(page.lr) and not page.part.holds(page.b)             # inside a row inside the fold: held


def test_a_fold_is_drawn_when_the_page_opens_unfolded_or_at_its_first_unfolding():
    calls = []

    def draw(rate):
        calls.append(rate)
        return gr.skip() if rate < 0 else (f"drawn at {rate}", rate)       # gr.skip(): what keeps_view returns

    with gr.Blocks() as demo:
        with fold("Part two", "part-two") as part:
            figure, number = gr.Textbox(), gr.Number()
        rate = gr.Number(0.1)
        drawn_when_unfolded(part, demo.load, draw, [rate], [figure, number])
    events = {fn.fn.__name__: fn for fn in demo.fns.values()}
    on_open, on_unfold = events["on_open"], events["on_unfold"]
    assert on_open.inputs == on_unfold.inputs == [part.unfolded, rate] and on_open.outputs == [figure, number]
    assert on_unfold.outputs == [part.unfolded, figure, number]
    assert on_open.fn(False, 0.1) == gr.skip() and calls == []                   # opened folded: nothing drawn
    assert on_open.fn(True, 0.1) == ("drawn at 0.1", 0.1)                        # opened unfolded by a link
    assert on_unfold.fn(False, 0.2) == (True, "drawn at 0.2", 0.2)               # first unfolding: drawn, marked
    assert on_unfold.fn(True, 0.3) == gr.skip() and calls == [0.1, 0.2]          # unfolded again: still there
    assert on_unfold.fn(False, -1) == gr.skip()                                  # the handler refused: not marked


def test_a_fold_with_one_output_is_marked_with_its_one_figure():
    with gr.Blocks() as demo:
        with fold("Part two", "part-two") as part:
            figure = gr.Textbox()
        drawn_when_unfolded(part, demo.load, str.upper, [gr.Textbox("a")], [figure])
    (on_unfold,) = [fn for fn in demo.fns.values() if fn.fn.__name__ == "on_unfold"]
    assert on_unfold.fn(False, "drawn") == (True, "DRAWN")


def test_a_fold_with_one_output_whose_handler_refused_stays_undrawn():
    def refuse(text):
        return gr.skip() if text == "bad" else text.upper()

    with gr.Blocks() as demo:
        with fold("Part two", "part-two") as part:
            figure = gr.Textbox()
        drawn_when_unfolded(part, demo.load, refuse, [gr.Textbox("a")], [figure])
    (on_unfold,) = [fn for fn in demo.fns.values() if fn.fn.__name__ == "on_unfold"]
    assert on_unfold.fn(False, "bad") == gr.skip()                     # not marked drawn: the next unfolding draws
    assert on_unfold.fn(False, "good") == (True, "GOOD")


def test_a_query_is_served_by_its_panels_page_or_a_tour_stops(page):
    target = page_for(page.pages, TOURS)
    assert target("", {"panel": "descent"}) == "descent"
    assert target("", {"panel": "nowhere"}) is None and target("", {}) is None
    assert target("", {"tour": "intro", "stop": "1"}) == "descent"


def test_a_page_starts_with_its_links_settings(page):
    state = linked_state(page.pages, TOURS)
    presenter, bar = page.pages["descent"].presenter, page.pages["descent"].tour_bar
    assert state("descent", {"b": "2.5"}) == {page.b._id: {"value": 2.5}}
    assert state("descent", {"b": "99"}) == {}                                   # out of range: not applied
    unfolded = state("descent", {"lr": "0.5", "presenter": "1"})
    assert unfolded == {page.lr._id: {"value": 0.5}, page.part.accordion._id: {"open": True},
                        page.part.unfolded._id: {"value": True}, presenter._id: {"value": True}}
    toured = state("descent", {"tour": "intro", "stop": "1"})
    assert toured[page.b._id] == {"value": 2.0} and toured[bar._id]["visible"] is True
    assert "Start high" in toured[bar._id]["value"]
    assert state("neuron", {"b": "1"}) == {}                                     # not a page of this app


def request(query: dict, referer: str = "") -> SimpleNamespace:
    return SimpleNamespace(query_params=query, headers={"referer": referer})


def test_opening_a_page_says_what_its_link_could_not_apply_and_shows_its_link(page):
    open_page = page_opener(page.link, TOURS, ["descent", "neuron"])
    assert open_page(request({"b": "1"}, "http://host/descent")) == "http://host/descent?b=1"
    with pytest.warns(UserWarning, match=r"^Ignored in the link: b='99' \(must be a number between -5 and 5\)$"):
        assert open_page(request({"b": "99"}, "http://host/descent")) == "http://host/descent?b=0"
    # a fold's control is written once it differs from its default, as the link box then writes it: a link copied
    # from a page just opened unfolds only the folds its own link had unfolded
    assert open_page(request({"lr": "0.5"}, "http://host/descent")) == "http://host/descent?b=0&lr=0.5"
    # a link that sets a fold's control to its default still unfolds it (linked_state), and its link says so
    assert open_page(request({"lr": str(page.lr.value)}, "http://host/descent")) == \
        f"http://host/descent?b=0&lr={page.lr.value:g}"


def test_the_landing_says_when_a_linked_panel_does_not_exist():
    open_landing = page_opener(None, TOURS, ["descent", "neuron"])
    with pytest.warns(UserWarning, match=r"^panel 'nowhere' does not exist \(panels: descent, neuron\)$"):
        assert open_landing(request({"panel": "nowhere"})) is None
    with pytest.warns(UserWarning, match="There is no tour 'outro'"):
        assert open_landing(request({"tour": "outro"})) is None
