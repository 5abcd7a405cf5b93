"""The pages as the server sends them (server/pages.py): a link's settings are in the page itself, every tour stop and
every panel opens in its saved state, the one-page app's links and a renamed panel's old links are redirected, and
the saved states are bounded."""
import json
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit


from server.pages import LinkedPages, forget_oldest


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, str, str]:
    """(status, Location header, body) without following a redirect."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, "", response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("location", ""), ""


def page_config(html: str) -> dict:
    match = re.search(r"window\.gradio_config = (\{.*?\});\s*</script>", html, re.S)
    assert match, "the page embeds its config"
    return json.loads(match.group(1))


def value_of(config: dict, elem_id: str):
    [component] = [c for c in config["components"] if c["props"].get("elem_id") == elem_id]
    return component["props"]["value"]


def test_a_links_settings_are_in_the_page_it_serves(served):
    url, _ = served
    status, _, html = fetch(url + "/neuron?f=relu&b=2&n=3&presenter=1")
    config = page_config(html)
    assert status == 200 and config["deep_link_state"] == "valid"
    assert (value_of(config, "neuron-activation"), value_of(config, "neuron-bias"), value_of(config, "neuron-n")) == \
        ("relu", 2.0, 3)
    assert value_of(config, "presenter") is True
    plain = page_config(fetch(url + "/neuron")[2])
    assert plain["deep_link_state"] == "none" and value_of(plain, "neuron-bias") == -0.5
    assert all(c["props"].get("value") is None for c in plain["components"] if c["type"] == "plot")  # no figure data


def prop_of(config: dict, elem_id: str, prop: str):
    [component] = [c for c in config["components"] if c["props"].get("elem_id") == elem_id]
    return component["props"].get(prop)


def test_a_fold_opens_unfolded_only_when_its_link_sets_one_of_its_controls(served):
    url, _ = served
    folds = ("descent-data", "descent-network")
    def state(config):
        return [(prop_of(config, f, "open"), prop_of(config, f"{f}-unfolded", "value")) for f in folds]
    assert state(page_config(fetch(url + "/descent")[2])) == [(False, False), (False, False)]
    assert state(page_config(fetch(url + "/descent?s=bowl&eta=0.2")[2])) == [(False, False), (False, False)]
    assert state(page_config(fetch(url + "/descent?batch=4&seed=0")[2])) == [(True, True), (False, False)]
    config = page_config(fetch(url + "/descent?s=bowl&grid=21")[2])
    assert state(config) == [(False, False), (True, True)] and value_of(config, "descent-net-grid") == 21


def test_a_setting_that_does_not_fit_leaves_the_default(served):
    url, _ = served
    config = page_config(fetch(url + "/neuron?b=999&f=softmax")[2])
    assert (value_of(config, "neuron-bias"), value_of(config, "neuron-activation")) == (-0.5, "sigmoid")


def test_every_tour_stop_and_every_panel_opens_in_its_saved_state(served):
    url, demo = served
    tour = demo.tours["series"]
    for number, stop in enumerate(tour.stops, start=1):
        status, location, _ = fetch(f"{url}/?tour=series&stop={number}")
        assert status == 307 and urlsplit(location).path == f"./{stop.panel}", number     # relative: a proxy's prefix kept
        config = page_config(fetch(f"{url}/{stop.panel}?tour=series&stop={number}")[2])
        assert config["deep_link_state"] == "valid", number
        assert f"stop {number} of {len(tour.stops)}" in value_of(config, "tour")
    for panel in demo.panel_pages:
        assert page_config(fetch(f"{url}/{panel}?presenter=1")[2])["deep_link_state"] == "valid", panel


def test_an_old_link_is_redirected_to_its_panels_page_with_its_settings(served):
    url, _ = served
    status, location, _ = fetch(url + "/?panel=attention&layer=3&head=2&__theme=dark")
    assert status == 307 and urlsplit(location).path == "./attention"
    assert parse_qs(urlsplit(location).query) == {"panel": ["attention"], "layer": ["3"], "head": ["2"],
                                                  "__theme": ["dark"]}
    assert fetch(url + "/neuron?panel=descent&eta=0.3")[1].startswith("./descent?")     # the panel the link names
    assert fetch(url + "/?panel=nope")[0] == 200                            # the landing page says it does not exist


def test_a_link_to_a_renamed_panel_opens_it_with_its_settings(served):
    """Three panels took their module's name (digits -> digit-network, facts -> residual, edit -> editing): a link
    written before, to the old page or with the old ?panel=, opens the new page with its settings."""
    url, _ = served
    for old, new, query, elem_id, value in [
            ("digits", "digit-network", "i=38&f=relu", "digit-network-index", 38),
            ("facts", "residual", "prompt=The+capital+of+France+is&target=Paris&layer=20", "residual-layer", 20),
            ("edit", "editing", "object=Berlin&alpha=-0.3&presenter=1", "editing-object", "Berlin")]:
        for link in (f"/{old}?{query}", f"/?panel={old}&{query}", f"/neuron?panel={old}&{query}"):
            status, location, _ = fetch(url + link)
            assert status == 307 and urlsplit(location).path == f"./{new}", link      # relative: a proxy's prefix kept
            config = page_config(fetch(f"{url}/{new}?{urlsplit(location).query}")[2])
            assert config["deep_link_state"] == "valid" and value_of(config, elem_id) == value, link
    assert fetch(url + "/facts")[:2] == (307, "./residual")                    # a page's old name alone
    assert parse_qs(urlsplit(fetch(url + "/edit?alpha=-0.3")[1]).query) == {"alpha": ["-0.3"]}  # its query as it was
    assert fetch(url + "/nope")[0] == 404 and fetch(url + "/?panel=nope")[0] == 200      # no page: as before


def test_the_first_page_is_light(served):
    url, _ = served
    config = page_config(fetch(url + "/")[2])
    assert len(config["components"]) < 20 and len(json.dumps(config)) < 150_000


def test_only_the_newest_saved_states_are_kept(tmp_path):
    import os

    for i in range(6):
        (tmp_path / f"dle{i}").mkdir()
        os.utime(tmp_path / f"dle{i}", (i, i))
    (tmp_path / "gradio-own").mkdir()                    # Gradio's own saved states are not this app's to drop
    forget_oldest(tmp_path, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dle2", "dle3", "dle4", "dle5", "gradio-own"]


def test_a_state_saved_by_another_build_of_the_app_is_not_served(tmp_path):
    """The saved states outlive the process (the upload folder): the same link after the app changed (other component
    ids) gets a state of its own."""
    class App:
        uploaded_file_dir = str(tmp_path)

        def __init__(self, components):
            self.config = {"components": components, "page": {"p": {"components": [c["id"] for c in components]}}}

        def get_blocks(self):
            return self

    def saved(components) -> list:
        pages = LinkedPages(None, ["p"], lambda page, query: None, lambda page, query: {1: {"value": 5}})
        scope = pages.with_state({"app": App(components), "query_string": b"a=1"}, "p", {"a": "1"})
        key = parse_qs(scope["query_string"].decode())["deep_link"][0]
        return json.loads((tmp_path / "deep_links" / key / "state.json").read_text())

    before = saved([{"id": 1, "props": {"value": 0}}])
    after = saved([{"id": 1, "props": {"value": 0}}, {"id": 2, "props": {"value": 0}}])
    assert [c["id"] for c in before] == [1] and [c["id"] for c in after] == [1, 2]
    assert after[0]["props"]["value"] == 5
