"""Browser tests: the real app in a subprocess, driven by Debian's Chromium through Playwright.

Fixtures: app_url (the running app), page (a fresh page that fails the test if any request leaves 127.0.0.1),
and in tests/browser/helpers.py: open_panel(page, section, panel), save_screenshot(page, name).
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
START_TIMEOUT_S = 180   # the app itself starts in a few seconds; this only bounds a broken start
# expect() waits this long (Playwright's default is 5 s): a shared 2-core machine can take longer to draw a figure.
# A broken page still fails; a slow one is not mistaken for a broken one.
expect.set_options(timeout=30_000)

pytestmark = pytest.mark.browser
APP_LOG = REPO / "artifacts" / "app-under-test.log"
LOG_TAIL = 30           # lines of the app's log a failed test prints (CI keeps no artifacts)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what the app logged last (refused inputs and jobs, traces) beside its error."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and APP_LOG.exists():
        lines = APP_LOG.read_text(errors="replace").splitlines()[-LOG_TAIL:]
        report.sections.append(("app log (last lines)", "\n".join(lines)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", HF_HUB_OFFLINE="1",
               DLE_CACHE_DIR=str(REPO / ".cache"), PYTHONUNBUFFERED="1")
    env.pop("DLE_ONLINE", None)
    (REPO / "artifacts").mkdir(exist_ok=True)
    log = open(APP_LOG, "w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the app exited with code {process.returncode}; see artifacts/app-under-test.log")
            try:
                with urllib.request.urlopen(url + "/config", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the app did not answer /config in time; see artifacts/app-under-test.log")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (scripts/ensure-chromium.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing browser is a failure, never a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, app_url):
    """A page on the app; any request to a host other than this machine fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def record(request):
        host = urlparse(request.url).hostname or ""
        if request.url.startswith(("http://", "https://", "ws://", "wss://")) and host not in LOCAL_HOSTS:
            outside.append(request.url)

    context.on("request", record)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_url + "/neuron")                    # the first panel (the landing page has a test of its own)
    page.get_by_text("Deep Learning Explorer").first.wait_for()
    yield page
    context.close()
    assert outside == [], f"requests left this machine: {outside[:5]}"
