"""A visitor's session holds their state, not a copy of the whole app's page.

Gradio (6.31) gives every new session a deep copy of the config of every component of every page (805 here),
and then keeps each event's outputs in that copy as well: all of it only to serve its own "share this view" button
(`/gradio_api/deep_link`), which this app does not use (its links are written by server/pages.py). Measured with a
class of 200 opening the attention link (bench/load_test.py): 8.1 MB of server memory a student, and about 0.25 s of
CPU to build each copy. LightSession keeps what a session needs: its gr.State values (with their time to live) and
the components an event updated (a slider's new range); no config copies.
"""
import datetime

import gradio.state_holder
from gradio.components import State


class _WithoutComponents:
    """What SessionState.__init__ reads from the Blocks: its config (kept) and the blocks whose config it copies
    (none)."""

    def __init__(self, blocks):
        self.default_config, self.blocks = blocks.default_config, {}


class LightSession(gradio.state_holder.SessionState):
    def __init__(self, blocks):
        super().__init__(_WithoutComponents(blocks))      # every attribute Gradio sets, config_values left empty

    def __setitem__(self, key: int, value) -> None:
        """As Gradio's, without writing the component's config into config_values."""
        block = self.blocks_config.blocks.get(key)
        if isinstance(block, State):
            self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
            self.state_data[key] = value
        else:
            self.blocks_config.blocks[key] = value

    def _update_config(self, key: int) -> None:
        pass

    def _update_value_in_config(self, key: int, value) -> None:
        pass


def light_sessions() -> None:
    """Make every new Gradio session a LightSession (idempotent; before the server takes visitors)."""
    gradio.state_holder.SessionState = LightSession
