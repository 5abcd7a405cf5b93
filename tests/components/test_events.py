"""bind: a handler with the app's settings bound in, called and documented as a function of its inputs alone."""
import inspect

import gradio as gr
import pytest

from components.events import bind


def show(settings, prompt: str, layer: int = 3, request: gr.Request = None):
    return settings, prompt, layer


def stream(settings, steps: int):
    for step in range(steps):
        yield settings, step


def test_the_bound_handler_passes_the_settings_first():
    bound = bind(show, "the settings")
    assert bound("Paris") == ("the settings", "Paris", 3)
    assert bound("Paris", layer=7) == ("the settings", "Paris", 7)
    assert bound.__name__ == "show"


def test_its_signature_is_the_handlers_without_settings():
    signature = inspect.signature(bind(show, None))
    assert list(signature.parameters) == ["prompt", "layer", "request"]
    assert signature.parameters["request"].annotation is gr.Request              # Gradio still finds the request
    assert signature.parameters["layer"].default == 3


def test_a_streaming_handler_stays_a_generator():
    bound = bind(stream, "s")
    assert inspect.isgeneratorfunction(bound)
    assert list(bound(3)) == [("s", 0), ("s", 1), ("s", 2)]
    assert list(inspect.signature(bound).parameters) == ["steps"]


def test_a_handler_without_settings_first_is_refused():
    def update(prompt, settings):
        return prompt

    with pytest.raises(TypeError, match="^update must take the app's settings as its first parameter to be bound.$"):
        bind(update, None)
    with pytest.raises(TypeError, match="settings"):
        bind(lambda: None, None)
