"""Turn the science's ValueErrors into short messages; never a stack trace in the page.

Two decorators, one per audience:
- keeps_view, for a panel's own handlers: bad input leaves the last good view in place (the handler returns
  gr.skip(), which updates no output) and says what was wrong in a toast. Raising gr.Error instead would turn every
  output of the panel into a red "Error" pill while the formula kept its old numbers.
- user_errors, for the API endpoints: the client gets the error (gr.Error with the same message).
"""
import functools
import inspect
import logging

import gradio as gr

log = logging.getLogger("deep_learning_explorer")

MAX_MESSAGE = 300   # a message longer than this is cut: it must fit in a toast whatever the input was
UNEXPECTED = "Something went wrong while computing this view; the details are in the server log. Try other settings."


def short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


def message_for(error: Exception, handler: str) -> str:
    """What the page or the client is told: a gr.Error's or a ValueError's own message, cut to MAX_MESSAGE; for
    anything else a generic sentence, the full trace going to the server log (call it inside the except block)."""
    if isinstance(error, gr.Error):
        return short(str(error.message))
    if isinstance(error, (ValueError, FileNotFoundError)):
        return short(str(error))
    log.exception("handler %s failed", handler)
    return UNEXPECTED


def said(message: str, handler: str) -> str:
    """A refusal the page shows, also written to the server log (one line: what a learner was told, and where)."""
    log.info("%s refused: %s", handler, message)
    return message


def keeps_view(fn):
    """Decorator for a panel's handlers: a toast with message_for(error) and no output changed. A generator handler
    (a view that streams) keeps the views it has yielded so far."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as error:
                gr.Warning(said(message_for(error, fn.__name__), fn.__name__))
                yield gr.skip()
        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            gr.Warning(said(message_for(error, fn.__name__), fn.__name__))
            return gr.skip()
    return wrapper


def user_errors(fn):
    """Decorator for the API endpoints: gr.Error(message_for(error)); a gr.Error raised inside goes through."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as error:
            raise gr.Error(message_for(error, fn.__name__), print_exception=False) from None
    return wrapper
