"""How an explorer wires its events: one way to bind the app's settings into a handler (the queue that heavy
handlers share is server/queue.py).

Handlers are module-level named functions whose first parameter is the app's Settings, so tests import and call
them directly: `show(settings, prompt, target, layer)`. build() wires them as `bind(show, settings)`.
"""
import functools
import inspect


def bind(handler, settings):
    """handler(settings, *inputs) as a function of the inputs alone. Its signature (what Gradio reads to find
    gr.Progress and gr.Request parameters and to document an endpoint) is the handler's without `settings`."""
    if inspect.isgeneratorfunction(handler):                  # a streaming view must stay a generator for Gradio
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            yield from handler(settings, *args, **kwargs)
    else:
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            return handler(settings, *args, **kwargs)

    signature = inspect.signature(handler)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].name != "settings":
        raise TypeError(f"{handler.__name__} must take the app's settings as its first parameter to be bound.")
    bound.__signature__ = signature.replace(parameters=parameters[1:])
    return bound
