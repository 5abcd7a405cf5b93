"""The page's script: every behaviour file is part of it, each in its own block, and the whole parses as a function."""
import shutil
import subprocess

import pytest

from server.page_script import BEHAVIOURS, SCRIPTS, page_script


def test_every_behaviour_file_is_in_the_script_once():
    files = {path.name for path in SCRIPTS.glob("*.js")}
    assert files == set(BEHAVIOURS) | {"shared.js"}
    script = page_script()
    for name in files:
        assert script.count((SCRIPTS / name).read_text()) == 1, name
    assert script.startswith("() => {") and script.rstrip().endswith("}")


def test_helpers_shared_by_behaviours_are_defined_once_in_shared_js():
    shared = (SCRIPTS / "shared.js").read_text()
    for helper in ("carried", "note"):
        assert f"const {helper} = " in shared
        assert not any(f"const {helper} = " in (SCRIPTS / name).read_text() for name in BEHAVIOURS)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the browser tests run the script)")
def test_the_script_parses(tmp_path):
    path = tmp_path / "page.js"
    path.write_text("const pageScript = " + page_script() + ";\n")
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    broken = tmp_path / "broken.js"
    broken.write_text("const pageScript = " + page_script().replace("=>", "=", 1) + ";\n")     # the check can fail
    assert subprocess.run(["node", "--check", str(broken)], capture_output=True).returncode != 0
