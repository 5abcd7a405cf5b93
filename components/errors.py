"""Turn the science's ValueErrors into short messages; never a stack trace in the page.

Two decorators, one per audience:
- keeps_view, for a panel's own handlers: bad input leaves the last good view in place (the handler returns
  gr.skip(), which updates no output) and says what was wrong in a toast. Raising gr.Error instead would turn every
  output of the panel into a red "Error" pill while the formula kept its old numbers.
- user_errors, for the API endpoints: the client gets the error (gr.Error with the same message).
"""
import functools
import logging

import gradio as gr

log = logging.getLogger("deep_learning_explorer")

MAX_MESSAGE = 300   # a message longer than this is cut: it must fit in a toast whatever the input was
UNEXPECTED = "Something went wrong while computing this view; the details are in the server log. Try other settings."


def short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


def keeps_view(fn):
    """Decorator for a panel's handlers: ValueError -> a toast with its message and no output changed; anything
    else -> a short generic toast (the full trace in the server log) and no output changed."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error as error:
            gr.Warning(short(str(error.message)))
        except (ValueError, FileNotFoundError) as error:
            gr.Warning(short(str(error)))
        except Exception:
            log.exception("handler %s failed", fn.__name__)
            gr.Warning(UNEXPECTED)
        return gr.skip()
    return wrapper


def user_errors(fn):
    """Decorator for every handler and endpoint: ValueError -> gr.Error(its message); anything else -> a short
    generic gr.Error (and the full trace in the server log)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, FileNotFoundError) as error:
            raise gr.Error(short(str(error)), print_exception=False) from None
        except Exception:
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(UNEXPECTED, print_exception=False) from None
    return wrapper
