"""A Chromium driven through a bare DevTools connection, for what Playwright cannot measure: a tour step into the
next stop's prerendered page (server/assets/scripts/tour.js). Chromium does not prerender for a page that has a DevTools
session attached when the prerender starts (its Preload domain reports PrerenderingDisabledByDevTools; Playwright
attaches to every page from the start), so the browser opens the page from its command line, nothing is attached
until the page has settled and started the prerender, and only then does a session connect, press the key and read
the result.

    with Chromium(args, url) as chromium:       # a fresh profile (no cache), the page opened by Chromium itself
        time.sleep(12)                          # let the page settle and start prerendering the next one
        page = chromium.attach()
        page.evaluate("location.href")
        page.press("ArrowRight")
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

from websockets.sync.client import connect

CHROMIUM = "/usr/bin/chromium"
KEYS = {"ArrowRight": 39, "ArrowLeft": 37}


class Chromium:
    def __init__(self, args: list[str], url: str, port: int, size: tuple[int, int] = (1400, 1000)):
        self.command = [CHROMIUM, *args, f"--remote-debugging-port={port}", f"--window-size={size[0]},{size[1]}"]
        self.url, self.port = url, port

    def __enter__(self):
        self.profile = tempfile.TemporaryDirectory(prefix="dle-cdp-", ignore_cleanup_errors=True)
        self.process = subprocess.Popen([*self.command, f"--user-data-dir={self.profile.name}", self.url],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def __exit__(self, *error):
        os.killpg(self.process.pid, signal.SIGTERM)             # its own process group: its renderers too
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        time.sleep(0.5)                                         # children let go of the profile
        self.profile.cleanup()

    def attach(self) -> "Page":
        """A session on the page Chromium opened (the tab: it follows the tab to the page a key press opens)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as response:
            targets = json.load(response)
        [page] = [t for t in targets if t["type"] == "page" and not t["url"].startswith("chrome")]
        return Page(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30))


class Page:
    def __init__(self, socket):
        self.socket, self.next_id = socket, 0

    def send(self, method: str, params: dict | None = None, timeout: float = 30):
        """The command's result (events are not enabled, so none arrive)."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, source: str):
        """The value of an expression, or of a function's source called with no arguments; None while the tab
        changes documents."""
        source = source.strip()
        expression = f"({source})()" if source.startswith("()") else source
        try:
            result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        except (RuntimeError, TimeoutError):
            return None
        return result.get("result", {}).get("value")

    def press(self, key: str) -> None:
        code = KEYS[key]
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code,
                                                 "nativeVirtualKeyCode": code})

    def close(self) -> None:
        self.socket.close()
