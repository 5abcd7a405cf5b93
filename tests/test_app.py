"""The app shell: flags and their environment variables, safe defaults, and the API through gradio_client."""
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app
from models.settings import BUNDLED_LM
from tests.serving import served

REPO = Path(__file__).resolve().parents[1]


def test_help_documents_every_flag():
    out = subprocess.run([sys.executable, "app.py", "--help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for flag in ("--host", "--port", "--share", "--device", "--lm", "--online", "--any-hub-model", "--cache-dir",
                 "--image-model", "--max-sessions", "--no-warm-up", "--max-jobs", "--max-jobs-per-address",
                 "--queue-size", "--max-upload-mb", "--upload-folder-mb", "--cache-hours", "--rooms-redis",
                 "--max-rooms", "--max-students"):
        assert flag in out
    for variable in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "DLE_SHARE", "DLE_DEVICE", "DLE_LM", "DLE_ONLINE",
                     "DLE_IMAGE_MODEL", "DLE_MAX_SESSIONS", "DLE_WARM_UP", "DLE_MAX_JOBS", "DLE_QUEUE_SIZE",
                     "DLE_MAX_UPLOAD_MB", "DLE_UPLOAD_FOLDER_MB", "DLE_CACHE_HOURS", "DLE_ROOMS_REDIS", "DLE_MAX_ROOMS",
                     "DLE_MAX_STUDENTS"):
        assert variable in out


def test_fair_share_flags_reach_the_settings_and_stay_in_range(monkeypatch):
    settings, _ = app.parse_settings(["--max-jobs", "3", "--max-jobs-per-address", "5", "--queue-size", "9",
                                      "--max-upload-mb", "4", "--upload-folder-mb", "50", "--cache-hours", "0.5"])
    assert (settings.max_jobs, settings.max_jobs_per_address, settings.queue_size, settings.max_upload_mb,
            settings.upload_folder_mb, settings.cache_hours) == (3, 5, 9, 4, 50, 0.5)
    low, _ = app.parse_settings(["--max-jobs", "0", "--queue-size", "-4", "--max-jobs-per-address", "-1"])
    assert (low.max_jobs, low.queue_size, low.max_jobs_per_address) == (1, 1, 0)
    monkeypatch.setenv("DLE_MAX_JOBS", "4")
    assert app.parse_settings([])[0].max_jobs == 4
    assert app.queue_options(settings)["max_size"] > settings.queue_size     # the queue's own maximum: a backstop


def test_defaults_are_offline_private_and_local(monkeypatch):
    for name in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "DLE_SHARE", "DLE_ONLINE", "DLE_LM", "DLE_DEVICE",
                 "DLE_IMAGE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    settings, _ = app.parse_settings([])
    assert (settings.host, settings.port, settings.share, settings.online) == ("127.0.0.1", 7860, False, False)
    assert (settings.device, settings.language_model, settings.image_model) == ("auto", BUNDLED_LM, "")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    app.set_environment(settings)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    options = app.launch_options(settings, app.create_app(settings))
    assert options["share"] is False and options["allowed_paths"] == []


def test_every_flag_is_also_an_environment_variable(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    monkeypatch.setenv("DLE_SHARE", "1")
    monkeypatch.setenv("DLE_DEVICE", "cpu")
    monkeypatch.setenv("DLE_LM", "gpt2")
    monkeypatch.setenv("DLE_ONLINE", "true")
    monkeypatch.setenv("DLE_IMAGE_MODEL", "stable-diffusion-v1-5/stable-diffusion-v1-5")
    settings, _ = app.parse_settings([])
    assert (settings.host, settings.port, settings.share, settings.device) == ("0.0.0.0", 8123, True, "cpu")
    assert (settings.language_model, settings.online) == ("gpt2", True)
    assert settings.image_model == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    flags, _ = app.parse_settings(["--port", "9000", "--lm", "smollm2"])
    assert (flags.port, flags.language_model) == (9000, "smollm2")


def test_a_hub_model_without_online_is_refused_before_anything_loads(settings):
    from dataclasses import replace

    with pytest.raises(ValueError, match="--online"):
        app.create_app(replace(settings, language_model="gpt2"))
    with pytest.raises(ValueError, match="--online"):
        app.create_app(replace(settings, image_model="stable-diffusion-v1-5/stable-diffusion-v1-5"))


def test_no_trust_remote_code_and_no_pickle_loading_anywhere():
    for folder in ("app.py", "core", "models", "explorers", "components", "server", "training"):
        for path in (REPO / folder).rglob("*.py") if (REPO / folder).is_dir() else [REPO / folder]:
            text = path.read_text()
            assert "trust_remote_code=True" not in text, path
            if "torch.load(" in text:
                assert "weights_only=True" in text, path


def test_class_rooms_are_served_by_the_app_in_redis_when_asked(settings, redis_url):
    """--rooms-redis: two app processes' worth of stores share one room (here two served apps on one Redis); without
    it the rooms live in the process. The app's own tour gives the results their questions."""
    import json
    import urllib.request
    from dataclasses import replace

    def call(url, path, payload=None, secret=None):
        headers = {"content-type": "application/json"} | ({"x-class-secret": secret} if secret else {})
        request = urllib.request.Request(url + path, data=json.dumps(payload).encode() if payload else None,
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()

    limits, _ = app.parse_settings(["--max-rooms", "3", "--max-students", "10", "--rooms-redis", redis_url])
    assert (limits.max_rooms, limits.max_students, limits.rooms_redis) == (3, 500, redis_url)   # at least 500
    shared = replace(settings, rooms_redis=redis_url, warm_up=False)
    with served(shared) as (one, demo), served(shared) as (two, _):
        room = json.loads(call(one, "/class/open", {"tour": "series"}))
        call(one, "/class/go", {"code": room["code"], "secret": room["secret"], "stop": 2})
        call(two, "/class/join", {"code": room["code"], "student": "phone-0000-abcd"})
        call(two, "/class/answer", {"code": room["code"], "student": "phone-0000-abcd", "answer": " Rise"})
        rows = list(csv.reader(io.StringIO(call(one, f"/class/results.csv?code={room['code']}", secret=room["secret"]))))
        question = demo.tours["series"].stops[1].question
        state = json.loads(call(two, f"/class/state?code={room['code']}"))
        assert (state["title"], state["question"], state["stops"]) == \
            (demo.tours["series"].stops[1].title, question, len(demo.tours["series"].stops))
    assert rows == [["stop", "question", "answer", "count"], ["2", question, "rise", "1"]] and question
    with served(replace(settings, warm_up=False)) as (local, _):
        assert "code" in json.loads(call(local, "/class/open", {"tour": "series"}))


@pytest.fixture(scope="module")
def client(settings):
    from gradio_client import Client

    with served(settings) as (url, _):
        yield Client(url + "/", verbose=False)


def test_the_server_keeps_at_most_max_sessions_sessions(settings):
    """Gradio keeps a copy of the page's component state for every session: the app bounds how many."""
    from dataclasses import replace

    from gradio_client import Client

    assert app.parse_settings(["--max-sessions", "3"])[0].max_sessions == 3
    with served(replace(settings, max_sessions=3)) as (url, demo):
        for _ in range(6):                                   # six visitors, one request each
            Client(url + "/", verbose=False).predict([1.0], [1.0], 0.0, "sigmoid", api_name="/neuron")
        assert 1 <= len(demo.state_holder.session_data) <= 3


def test_neuron_endpoint_through_gradio_client(client):
    result = client.predict([1.0, 0.5], [1.5, -1.0], -0.5, "sigmoid", api_name="/neuron")
    assert result["z"] == pytest.approx(0.5)
    assert result["a"] == pytest.approx(0.6224593312)


def test_neuron_endpoint_error_reaches_the_client_as_a_message(client):
    with pytest.raises(Exception, match="Unknown activation 'gelu'"):
        client.predict([1.0], [1.0], 0.0, "gelu", api_name="/neuron")


def test_building_the_app_gives_no_layout_warnings(settings):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        app.create_app(settings)


def test_every_cache_is_bounded():
    """Long use cannot grow memory through a cache: every lru_cache in the app has a size limit (the device
    choice is keyed by at most four names: auto, cpu, cuda, mps)."""
    import importlib
    import inspect

    unbounded, found = [], []
    for folder in ("core", "models", "explorers", "components", "server"):
        for path in sorted((REPO / folder).rglob("*.py")):
            module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(
                ".__init__"))
            for name, value in inspect.getmembers(module):
                if getattr(value, "__module__", None) != module.__name__ or not hasattr(value, "cache_info"):
                    continue
                found.append(f"{module.__name__}.{name}")
                if value.cache_info().maxsize is None and found[-1] != "models.device.pick_device":
                    unbounded.append(found[-1])
    assert {"explorers.transformers.attention.heads.cached_record", "models.language._load", "models.device.pick_device"} <= set(found)
    assert unbounded == []


def test_heavy_model_events_share_one_queue_slot_and_light_ones_keep_their_own(settings):
    """A crowd on the transformer panels cannot stand in front of the neuron sandbox (docs/operations.md)."""
    from server.queue import HEAVY

    demo = app.create_app(settings)
    by_name = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    heavy = {"attention", "next_token", "logit_lens", "trace", "landscape", "denoise", "cfg_sweep", "edit_fact", "steer",
             "text_to_image"}
    light = {"neuron", "forward", "backprop", "compute_graph", "descend", "analogy", "noise", "clip_similarity",
             "playground_train"}
    for name in heavy:
        assert (by_name[name].concurrency_id, by_name[name].concurrency_limit) == (HEAVY["concurrency_id"], 1), name
    for name in light:
        assert by_name[name].concurrency_id != HEAVY["concurrency_id"], name
    grouped = [fn for fn in demo.fns.values() if fn.concurrency_id == HEAVY["concurrency_id"]]
    assert len(grouped) > len(heavy)               # the panels' own UI events that run the models join it too


def test_the_public_api_is_exactly_the_documented_endpoints(settings):
    """A UI handler named like an endpoint would take its name and push the endpoint to '/trace_1': checked here."""
    demo = app.create_app(settings)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public" and fn.api_name}
    assert public == {"neuron", "forward", "descend", "landscape", "backprop", "compute_graph", "analogy", "next_token",
                      "attention", "logit_lens", "trace", "noise", "denoise", "cfg_sweep", "vector_field", "sample_paths",
                      "edit_fact", "steer", "clip_similarity", "text_to_image", "latent_noise", "text_cfg_sweep",
                      "playground_train"}


def test_a_start_that_cannot_work_says_why_in_one_line():
    """An operator's mistake (a hub model while offline) ends the start with the reason, not a stack trace."""
    result = subprocess.run([sys.executable, "app.py", "--lm", "gpt2"], cwd=REPO, capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "DLE_ONLINE"}, timeout=120)
    assert result.returncode != 0 and "cannot start" in result.stderr and "--online" in result.stderr
    assert "Traceback" not in result.stderr
