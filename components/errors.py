"""Turn the science's ValueErrors into short gr.Error messages; never a stack trace in the page."""
import functools
import logging

import gradio as gr

log = logging.getLogger("deep_learning_explorer")

MAX_MESSAGE = 300   # a message longer than this is cut: it must fit in a toast whatever the input was
UNEXPECTED = "Something went wrong while computing this view; the details are in the server log. Try other settings."


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
            message = str(error)
            if len(message) > MAX_MESSAGE:
                message = message[:MAX_MESSAGE - 1] + "…"
            raise gr.Error(message, print_exception=False) from None
        except Exception:
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(UNEXPECTED, print_exception=False) from None
    return wrapper
