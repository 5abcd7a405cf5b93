"""The app served in this process on a free port, with its real launch options (the pages' middleware included)."""
import socket
from contextlib import contextmanager

import app


@contextmanager
def served(settings):
    """Yields (the app's address, its Blocks); closes the server at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.create_app(settings)
    demo.queue(**app.queue_options(settings))
    demo.launch(**app.launch_options(settings, demo) | dict(server_port=port, prevent_thread_lock=True, quiet=True))
    try:
        yield f"http://127.0.0.1:{port}", demo
    finally:
        demo.close()
