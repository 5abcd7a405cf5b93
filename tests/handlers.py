"""Handlers as build() wires them: module-level functions with the app's settings bound (components.events.bind)."""
from components.events import bind


def bound(settings, handlers):
    return tuple(bind(handler, settings) for handler in handlers)


def refuses(call, match: str) -> None:
    """A panel's handler refuses bad input the way the page shows it: a toast that says what was wrong (gr.Warning)
    and no output changed (gr.skip(): the last good view stays)."""
    import gradio as gr
    import pytest

    with pytest.warns(UserWarning, match=match):
        result = call()
    assert result == gr.skip()
