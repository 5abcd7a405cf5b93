"""Bad input, generated: every public API endpoint of the app is called with empty and huge strings, unicode and
control characters, NaN, inf, negative and enormous numbers, wrong types and malformed lists. Each call must end
in a valid JSON-able result or a gr.Error with a human message, never an unhandled exception; and no model may
change (the language model's output is compared before and after).
"""
import inspect
import json
import math
import typing
from functools import lru_cache

import gradio as gr
import pytest
import torch
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from components.errors import UNEXPECTED

# Endpoints whose single call is slow get fewer examples; the rest get DEFAULT_EXAMPLES.
DEFAULT_EXAMPLES = 60
EXAMPLES = {"edit_fact": 25, "steer": 40,   # an edit that passes every check optimises v* (seconds)
            "text_cfg_sweep": 20, "text_to_image": 25, "playground_train": 30}                  # a valid call samples up to 100 DDIM steps
NASTY_TEXT = st.sampled_from(["", " ", "\x00", "\n\t\r", "😀" * 50, "é" * 10_000, "x" * 100_000, "NaN", "-inf",
                              "1e309", "<script>alert(1)</script>", "../../etc/passwd", "Ġ", "\u202e\u200b"])
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, -1, 1e308, -1e308, 2**63]),
                    st.integers(-10**12, 10**12))
ANYTHING = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=40), NASTY_TEXT,
                     st.lists(NUMBERS, max_size=5), st.dictionaries(st.text(max_size=3), NUMBERS, max_size=2))


def strategy_for(annotation):
    """Mostly values of the declared type (valid or edge), sometimes anything at all (wrong types)."""
    origin = typing.get_origin(annotation)
    if annotation is float or annotation is int:
        typed = NUMBERS
    elif annotation is bool:
        typed = st.booleans()
    elif annotation is str:
        typed = st.one_of(st.text(max_size=60), NASTY_TEXT)
    elif origin is list:
        (item,) = typing.get_args(annotation) or (float,)
        typed = st.one_of(st.lists(strategy_for(item), max_size=8), st.lists(strategy_for(item), min_size=500,
                                                                                  max_size=600))
    else:
        typed = ANYTHING
    return st.one_of(typed, typed, typed, ANYTHING)


@lru_cache(maxsize=1)
def public_endpoints() -> dict:
    import app
    from tests.conftest import CACHE_DIR
    from models.settings import Settings

    demo = app.create_app(Settings(cache_dir=str(CACHE_DIR)))
    return {fn.api_name: fn.fn for fn in demo.fns.values()
            if getattr(fn, "api_visibility", "public") == "public" and fn.api_name}


def is_plain_json(value) -> bool:
    try:
        json.dumps(value, allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False


@pytest.fixture(scope="module")
def language_model_output_before(language_model):
    ids = language_model.tokenizer("The Eiffel Tower is located in the city of", return_tensors="pt").input_ids
    with torch.inference_mode():
        return ids, language_model.model(ids).logits.clone()


def test_every_public_endpoint_is_fuzzed_and_documented():
    names = set(public_endpoints())
    assert "neuron" in names
    api_table = open("docs/api.md").read()
    for name in names:
        assert f"`/{name}`" in api_table, f"/{name} is missing from the API table in docs/api.md"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(public_endpoints()))
def test_endpoint_survives_generated_bad_input(name, language_model_output_before):
    endpoint = public_endpoints()[name]
    hints = typing.get_type_hints(endpoint)
    parameters = [p for p in inspect.signature(endpoint).parameters.values() if p.name in hints or
                  p.annotation is inspect.Parameter.empty]
    arguments = st.tuples(*[strategy_for(hints.get(p.name)) for p in parameters])

    @hypothesis_settings(max_examples=EXAMPLES.get(name, DEFAULT_EXAMPLES), deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(arguments)
    def call(args):
        try:
            result = endpoint(*args)
        except gr.Error as error:
            message = str(error.message if hasattr(error, "message") else error)
            assert message and message != UNEXPECTED, f"/{name}{args!r:.200} hit an unhandled exception"
            assert len(message) < 400 and "Traceback" not in message
            return
        assert is_plain_json(result), f"/{name}{args!r:.200} returned something that is not plain JSON"

    call()


def test_no_model_changed_during_the_fuzz_run(language_model, language_model_output_before):
    ids, before = language_model_output_before
    with torch.inference_mode():
        after = language_model.model(ids).logits
    torch.testing.assert_close(after, before, rtol=0, atol=0)
    assert not any(p.requires_grad for p in language_model.model.parameters())
    assert all(math.isfinite(v) for v in after[0, -1, :10].tolist())
