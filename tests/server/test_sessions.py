"""A visitor's session holds their state and nothing of the app's pages (server/sessions.py): opened as a browser
opens it, a page's session keeps its gr.State values, each visitor their own, and no copy of any component's
config."""
import httpx

from bench.load_test import Visit
from explorers.learning.playground.desk import Desk
from server.sessions import LightSession


def test_a_session_keeps_its_own_state_and_no_copy_of_the_pages(served):
    url, demo = served
    sessions = []
    with httpx.Client(timeout=120) as client:
        for _ in range(2):
            visit = Visit(client, url + "/", "playground?data=xor")
            visit.opened()
            assert visit.errors == [] and visit.figures() > 0            # the page drew its opening view
            sessions.append(demo._queue.server_app.state_holder[visit.session])
    first, second = sessions
    assert isinstance(first, LightSession) and isinstance(second, LightSession)
    assert first.config_values == {} and second.config_values == {}        # Gradio's copy of all 805 configs: gone
    desks = [[value for value in s.state_data.values() if isinstance(value, Desk)] for s in sessions]
    assert len(desks[0]) == 1 and len(desks[1]) == 1 and desks[0][0] is not desks[1][0]     # each learner's own
