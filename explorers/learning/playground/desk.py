"""One learner's playground as a shared desk: Play trains in a loop while Reset, a scene or a new learning rate may
change what it trains.

gr.State deep-copies its first value once per browser session, then hands every event of that session the same
object. So the Play loop, holding the Desk, sees at its next chunk what another event of the same learner changed:
a scene clicked just before Play (its resets can reach the server after Play started) gives a new network that
Play goes on training, instead of cancelling it. Other learners have their own Desk and never see this one.
"""
import copy
import threading
from dataclasses import dataclass

from core.checks import in_range, whole
from core.playground import MAX_BATCH, MAX_L2, MAX_LEARNING_RATE


@dataclass(frozen=True)
class Rates:
    learning_rate: float              # η
    batch_size: int
    l2: float                         # λ


def checked_rates(learning_rate, batch_size, l2) -> Rates:
    return Rates(in_range("learning rate", learning_rate, 0, MAX_LEARNING_RATE),
                 whole("batch size", batch_size, 1, MAX_BATCH), in_range("L2 regularisation", l2, 0, MAX_L2))


class Desk:
    """The learner's current session (data and network), its version (a reset adds one) and the training rates."""

    def __init__(self, session, rates: Rates):
        self._lock = threading.Lock()
        self.session, self.version, self.rates = session, 0, rates
        self.play_id, self.playing = 0, False      # which Play loop may run (a newer Play or Pause ends the others)

    def __deepcopy__(self, memo) -> "Desk":          # a lock cannot be copied: a new learner gets a new one
        return Desk(copy.deepcopy(self.session, memo), self.rates)

    def reset(self, session) -> None:
        with self._lock:
            self.session, self.version = session, self.version + 1

    def set_rates(self, rates: Rates) -> None:
        with self._lock:
            self.rates = rates

    def start_play(self) -> int:
        with self._lock:
            self.play_id, self.playing = self.play_id + 1, True
            return self.play_id

    def stop_play(self) -> None:
        """Pause: the Play loop ends after its chunk, cleanly (a cancelled Gradio event would show "Error")."""
        with self._lock:
            self.playing = False

    def may_play(self, play_id: int) -> bool:
        with self._lock:
            return self.playing and play_id == self.play_id

    def take(self):
        """(session, version, rates) as they are now: train a copy of this outside the lock, then put() it."""
        with self._lock:
            return self.session, self.version, self.rates

    def put(self, session, version: int):
        """Keep `session` unless a reset came in since take() (then the new network wins); returns the current one."""
        with self._lock:
            if version == self.version:
                self.session = session
            return self.session
