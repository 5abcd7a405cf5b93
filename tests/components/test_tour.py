"""Tours: the bundled series tour covers every card of the knowledge map with valid stops, broken tour files are
refused with a message naming the stop and the field, a tour link becomes the stop's deep link, and a tour file
written before a panel was renamed still opens it."""
import gradio as gr
import pytest

import app
from components.deeplink import parse_setting
from components.tour import bundled_tours, check_stops, parse_tour, prose, stop_query, tour_bar, tour_stop

# The knowledge map's cards (../shared/knowledge-map.txt), each needing a stop.
CARDS = ["Neuron", "Weights & Bias", "Activation Functions", "Layers", "Forward Pass", "Cost Function",
         "Gradient Descent", "Gradient / ∇", "SGD — Mini-batch", "Backpropagation (Intuition)", "Chain Rule (Calculus)",
         "Token → Embedding", "Vectors & Dot Products", "Attention Block", "Softmax", "Residual Stream",
         "Residual Connections", "MLP Block (Fact Storage)", "Output: Logits → Softmax → Token", "Forward Diffusion",
         "U-Net Denoising", "Classifier-Free Guidance", "CLIP (Text + Image Bridge)", "Latent Diffusion (Speed)"]
NOT_YET = []




def test_the_series_tour_has_a_stop_for_every_card_in_the_series_order():
    series = bundled_tours()["series"]
    cards = [stop.card for stop in series.stops]
    assert set(CARDS) <= set(cards) and not set(cards) - set(CARDS) - set(NOT_YET)
    # the series' order: the playground's layers with DL1, softmax and the output (DL5) before attention (DL6), the
    # vector field before guidance (the video explains guidance with fields)
    sections = ["neuron", "digit-network", "playground", "descent", "backprop", "embeddings", "next-token", "attention",
                "residual", "editing", "clip", "noising", "denoising", "vector-field", "guidance", "text-to-image"]
    first_seen = list(dict.fromkeys(stop.panel for stop in series.stops))
    assert first_seen == [p for p in sections if p in first_seen]        # DL1 -> DL8, never back
    assert sum(bool(stop.question) for stop in series.stops) >= 5
    assert f"in {len(series.stops)} stops" in series.title                # the title's count follows the stops


def real_panels(settings) -> dict:
    """{panel: {setting: control}} of the real app, as create_app hands them to checked_tours."""
    captured = {}
    original = app.checked_tours

    def keep(settings_, links_):
        captured["links"] = links_
        return original(settings_, links_)

    app.checked_tours = keep
    try:
        app.create_app(settings)
    finally:
        app.checked_tours = original
    return {link.panel: link.controls for link in captured["links"]}


def test_every_stop_of_every_bundled_tour_is_a_valid_link_of_the_real_app(settings):
    """create_app refuses to start with a stop whose panel or setting is wrong; here the check is run directly."""
    panels = real_panels(settings)
    for tour in bundled_tours().values():
        check_stops(tour, panels, parse_setting)
        for number, stop in enumerate(tour.stops, start=1):
            query = stop_query(tour, number, revealed=bool(stop.reveal))
            for key, text in query.items():
                if key != "panel":
                    parse_setting(panels[stop.panel][key], text)


GOOD = '''
title = "Two stops"
[[stop]]
panel = "neuron"
title = "First"
narration = "One."
settings = { b = 1.5, f = "step" }
question = "What if the bias is -2?"
reveal = { b = -2 }
[[stop]]
panel = "neuron"
title = "Second"
narration = "Two."
'''


@pytest.mark.parametrize("text, message", [
    ("title = 'x'", "has no stops"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'", "stop 1 \\('A'\\): field 'narration' is missing"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\ncolour = 'red'", "unknown field 'colour'"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nsettings = 3", "'settings' must be a table"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nreveal = { b = 1 }", "a reveal needs a question"),
    ("[[stop]\npanel = ", "not valid TOML"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nanswer = 'yes'", "need a question"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nquestion = 'q'\nchoices = ['yes']", "2 to 6 texts"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nquestion = 'q'\nchoices = ['y', '']", "2 to 6 texts"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nquestion = 'q'\nchoices = 'yes'", "2 to 6 texts"),
    ("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nquestion = 'q'\nchoices = ['a', 'b']\n"
     "answer = 'c'", "one of the choices"),
])
def test_a_broken_tour_file_is_refused_naming_the_stop_and_field(text, message):
    with pytest.raises(ValueError, match=message):
        parse_tour(text, "mine")


def test_a_multiple_choice_question_keeps_its_choices_and_answer():
    stop, = parse_tour("[[stop]]\npanel = 'neuron'\ntitle = 'A'\nnarration = 'n'\nquestion = 'Rise or fall?'\n"
                       "choices = ['rise', 'fall']\nanswer = 'fall'", "mine").stops
    assert stop.choices == ("rise", "fall") and stop.answer == "fall"
    assert sum(bool(s.choices) for s in bundled_tours()["series"].stops) >= 5


def test_a_stop_with_an_unknown_panel_or_a_bad_setting_is_refused():
    panels = {"neuron": {"b": gr.Slider(-5, 5), "f": gr.Radio(["sigmoid", "step"])}}
    tour = parse_tour(GOOD, "mine")
    check_stops(tour, panels, parse_setting)
    with pytest.raises(ValueError, match="stop 1 \\('First'\\): reveal b='-9' must be a number between -5 and 5"):
        check_stops(parse_tour(GOOD.replace("b = -2", "b = -9"), "mine"), panels, parse_setting)
    with pytest.raises(ValueError, match="panel 'nope' does not exist"):
        check_stops(parse_tour(GOOD.replace('panel = "neuron"', 'panel = "nope"', 1), "mine"), panels,
                    parse_setting)
    with pytest.raises(ValueError, match="settings has 'q', which panel 'neuron' does not take"):
        check_stops(parse_tour(GOOD.replace("b = 1.5", "q = 1"), "mine"), panels, parse_setting)


def test_a_tour_link_becomes_its_stops_deep_link_and_shows_the_bar():
    tour = parse_tour(GOOD, "mine")
    query, bar, problems = tour_stop({"tour": "mine", "stop": "1", "presenter": "1"}, {"mine": tour})
    assert query == {"panel": "neuron", "b": "1.5", "f": "step", "presenter": "1"} and problems == []
    assert "stop 1 of 2" in bar and 'href="./neuron?tour=mine&amp;stop=2&amp;presenter=1"' in bar  # stop 2's page
    assert "tour-prev" not in bar and "reveal (r)" in bar
    query, bar, _ = tour_stop({"tour": "mine", "stop": "1", "reveal": "1"}, {"mine": tour})
    assert query["b"] == "-2" and "revealed" in bar
    query, bar, _ = tour_stop({"tour": "mine", "stop": "2"}, {"mine": tour})
    assert query == {"panel": "neuron"} and "tour-next" not in bar and "tour-prev" in bar
    assert tour_stop({"panel": "neuron"}, {"mine": tour}) == ({"panel": "neuron"}, None, [])


def test_a_stop_that_names_a_renamed_panel_by_its_old_id_opens_it_under_its_new_one():
    old = ('[[stop]]\npanel = "facts"\ntitle = "Old"\nnarration = "n"\nsettings = { layer = 20 }\nfocus = "facts-lens"\n'
           '[[stop]]\npanel = "edit"\ntitle = "Older"\nnarration = "n"\nfocus = "steer-text"\n'
           '[[stop]]\npanel = "digits"\ntitle = "Oldest"\nnarration = "n"\nfocus = "digits-verdict"')
    tour = parse_tour(old, "old")
    assert [(stop.panel, stop.focus) for stop in tour.stops] == [
        ("residual", "residual-lens"), ("editing", "steer-text"), ("digit-network", "digit-network-verdict")]
    check_stops(tour, {"residual": {"layer": gr.Slider(0, 29)}, "editing": {}, "digit-network": {}}, parse_setting)
    query, bar, _ = tour_stop({"tour": "old", "stop": "1"}, {"old": tour})
    assert query == {"panel": "residual", "layer": "20"} and 'href="./editing?tour=old&amp;stop=2"' in bar


def test_a_wrong_tour_or_stop_is_reported_and_still_opens_a_page():
    tour = parse_tour(GOOD, "mine")
    query, bar, problems = tour_stop({"tour": "mine", "stop": "99"}, {"mine": tour})
    assert problems == ["Ignored in the link: stop must be from 1 to 2; showing stop 1."]
    assert query["panel"] == "neuron" and "stop 1 of 2" in bar
    query, bar, problems = tour_stop({"tour": "other"}, {"mine": tour})
    assert query == {} and bar is None and problems == ["There is no tour 'other'; tours: mine."]


def test_the_bar_escapes_the_files_text():
    tour = parse_tour(GOOD.replace('narration = "One."', 'narration = "<script>x</script>"'), "mine")
    assert "<script>" not in tour_bar(tour, 1, False, False)


def test_a_subscript_in_a_stops_text_is_shown_as_one():
    """A stop read 'x_t = √ᾱ_t·x₀' with its underscores; the series writes x with a subscript t."""
    assert prose("x_t = √ᾱ_t·x₀ + ε_{cond} − W_down <b>") == ("x<sub>t</sub> = √ᾱ<sub>t</sub>·x₀ + ε<sub>cond</sub> − "
                                                            "W<sub>down</sub> &lt;b&gt;")
    tour = bundled_tours()["series"]
    number = next(i for i, stop in enumerate(tour.stops, 1) if "x_t" in stop.narration)
    bar = tour_bar(tour, number, False, False)
    assert "x<sub>t</sub>" in bar and "_t" not in bar.split("tour-narration")[1].split("</p>")[0]


def test_the_docs_example_tour_is_valid(settings):
    """The example a teacher copies from docs/lecture-hall.md parses and every setting fits the real panels."""
    import re
    from pathlib import Path

    lecture_hall = (Path(__file__).resolve().parents[2] / "docs" / "lecture-hall.md").read_text()
    example = re.search(r"```toml\n(.*?)```", lecture_hall, re.S).group(1)
    tour = parse_tour("\n".join(line[2:] for line in example.splitlines()), "example")
    check_stops(tour, real_panels(settings), parse_setting)
    assert len(tour.stops) == 2 and tour.stops[0].reveal == {"T": "0.1"}


def test_a_teachers_tour_file_is_offered_and_a_broken_one_stops_the_start(settings, tmp_path):
    from dataclasses import replace

    own = tmp_path / "my-lesson.toml"
    own.write_text(GOOD)
    assert app.parse_settings(["--tour", str(own)])[0].tour == str(own)
    panels = real_panels(settings)
    links = [type("Link", (), {"panel": name, "controls": controls}) for name, controls in panels.items()]
    assert "my-lesson" in app.checked_tours(replace(settings, tour=str(own)), links)
    own.write_text(GOOD.replace("b = -2", "b = -9"))
    with pytest.raises(ValueError, match="tour 'my-lesson', stop 1 \\('First'\\): reveal b='-9'"):
        app.create_app(replace(settings, tour=str(own)))
    with pytest.raises(ValueError, match="No tour file at"):
        app.create_app(replace(settings, tour=str(tmp_path / "missing.toml")))


def test_the_bar_links_to_a_class_console_on_this_tour_from_this_stop():
    bar = tour_bar(bundled_tours()["series"], 9, False, False)
    assert '<a class="tour-class" href="./class/lecturer?tour=series&amp;stop=9" target="_blank"' in bar
