"""Handlers as build() wires them: module-level functions with the app's settings bound (components.events.bind)."""
from components.events import bind


def bound(settings, handlers):
    return tuple(bind(handler, settings) for handler in handlers)
