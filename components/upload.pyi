"""An image upload whose handler always runs, so that a file that is not an image is refused in words.

gr.Image opens the file with PIL in its preprocess, before any handler: a text file renamed .png raises
UnidentifiedImageError there (even with type="filepath"), and the page shows a bare red "Error". ImageUpload looks
and uploads like gr.Image but hands the handler the file's path unopened; the handler reads it
(models.images.read_image_file) and can say what was wrong.
"""
import gradio as gr

from gradio.events import Dependency

class ImageUpload(gr.Image):
    """Use it as gr.Image(type="filepath", sources=["upload"], ...). No __init__ of its own: Gradio sends the page
    the arguments named in __init__'s signature, so gr.Image's must be the one."""
    is_template = True      # drawn by gr.Image's own front end (Gradio names the front end after the base class)

    def preprocess(self, payload) -> str | None:
        """The uploaded file's path on the server, not opened."""
        return None if payload is None else str(payload.path)
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component