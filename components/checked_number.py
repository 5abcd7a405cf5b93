"""A number box whose range the handler checks, so that a value out of range is refused in words and the view stays.

gr.Number checks its minimum and maximum in its preprocess, before any handler: a seed of −5 raises there, and the
page turns every output of the panel into a red "Error" pill. CheckedNumber keeps the range (the browser's box and
deep links use it) but hands the value on; the handler's own check (core.checks.whole) says what is allowed in a
toast and beside the box, and components/errors.keeps_view leaves the last good view in place.
"""
import gradio as gr


class CheckedNumber(gr.Number):
    """Use it as gr.Number(...). No __init__ of its own: Gradio sends the page the arguments named in __init__'s
    signature, so gr.Number's must be the one."""
    is_template = True      # drawn by gr.Number's own front end

    def preprocess(self, payload: float | None) -> float | int | None:
        """The value rounded to the box's precision, in range or not."""
        return None if payload is None else self.round_to_precision(payload, self.precision)
