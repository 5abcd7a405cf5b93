"""The language-model loader: the bundled SmolLM2 (real weights, offline) and the hub path (tiny random models)."""
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from models.language import load_language_model
from models.smollm2 import BUNDLED_CACHE_NAME, BUNDLED_FILE, bundled_gguf_dir
from models.settings import Settings, check_language_model


def test_bundled_model_has_smollm2s_real_shape(language_model):
    config = language_model.model.config
    assert (config.num_hidden_layers, config.num_attention_heads, config.num_key_value_heads) == (30, 9, 3)
    assert (config.hidden_size, config.intermediate_size, language_model.vocab_size) == (576, 1536, 49152)
    assert sum(p.numel() for p in language_model.model.parameters()) == pytest.approx(134.5e6, rel=0.01)
    assert config._attn_implementation == "eager"          # attention weights can be read
    assert not any(p.requires_grad for p in language_model.model.parameters())


def test_bundled_model_knows_that_paris_is_the_capital_of_france(language_model):
    ids = language_model.tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.inference_mode():
        logits = language_model.model(ids).logits[0, -1]                   # (vocab,)
    probabilities = logits.softmax(-1)
    top = probabilities.argmax().item()
    assert language_model.tokenizer.decode([top]).strip() == "Paris"
    assert probabilities[top].item() > 0.5


@pytest.mark.slow
def test_cached_safetensors_equal_the_dequantized_gguf(language_model, settings):
    """The cache is a faithful copy: same logits as the model transformers builds from the GGUF itself."""
    cached = Path(settings.cache_dir) / BUNDLED_CACHE_NAME
    assert (cached / "model.safetensors").exists()
    source = bundled_gguf_dir()
    reference = AutoModelForCausalLM.from_pretrained(source, gguf_file=BUNDLED_FILE).eval()
    ids = language_model.tokenizer("Data flows forward layer by layer.", return_tensors="pt").input_ids
    with torch.inference_mode():
        torch.testing.assert_close(language_model.model(ids).logits, reference(ids).logits, rtol=1e-4, atol=1e-4)


def test_the_loader_is_cached(language_model, settings):
    again = load_language_model("smollm2", torch.device("cpu"), Path(settings.cache_dir))
    assert again is language_model


@pytest.mark.parametrize("architecture", ["llama", "gpt2"])
def test_a_hub_style_model_goes_through_the_same_from_pretrained_code(tmp_path, architecture, language_model):
    """A tiny random model saved with save_pretrained stands in for a hub id such as gpt2: no download."""
    if architecture == "llama":
        config = LlamaConfig(vocab_size=language_model.vocab_size, hidden_size=32, intermediate_size=64,
                             num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
        model = LlamaForCausalLM(config)
    else:
        config = GPT2Config(vocab_size=language_model.vocab_size, n_embd=32, n_layer=2, n_head=4, n_positions=64)
        model = GPT2LMHeadModel(config)
    model.save_pretrained(tmp_path)
    language_model.tokenizer.save_pretrained(tmp_path)
    loaded = load_language_model(str(tmp_path), torch.device("cpu"), tmp_path / "cache", online=False)
    assert loaded.n_layers == 2 and loaded.model.config._attn_implementation == "eager"
    ids = loaded.tokenizer("hello world", return_tensors="pt").input_ids
    with torch.inference_mode():
        out = loaded.model(ids, output_attentions=True)
    assert out.attentions[0].shape[1] == 4
    torch.testing.assert_close(out.logits, model.eval()(ids).logits.detach())


def test_hub_models_need_the_operator_to_enable_them():
    check_language_model(Settings())                                   # the bundled model: always fine
    with pytest.raises(ValueError, match="--online"):
        check_language_model(Settings(language_model="gpt2"))
    check_language_model(Settings(language_model="gpt2", online=True))
    with pytest.raises(ValueError, match="allow-list"):
        check_language_model(Settings(language_model="someone/unvetted-model", online=True))
    check_language_model(Settings(language_model="someone/unvetted-model", online=True, any_hub_model=True))


def test_offline_loading_of_an_unknown_hub_id_fails_without_network(tmp_path):
    with pytest.raises(OSError):
        load_language_model("gpt2-this-does-not-exist", torch.device("cpu"), tmp_path, online=False)


def test_two_processes_caching_at_once_keep_one_complete_cache(tmp_path):
    """The app and a test run may both dequantize on a first start: the second to finish keeps the first's cache."""
    from models.smollm2 import publish

    target = tmp_path / "model"
    for writer in ("first", "second"):
        partial = tmp_path / f"model.{writer}.partial"
        partial.mkdir()
        (partial / "model.safetensors").write_text(writer)
        publish(partial, target)
        assert not partial.exists()
    assert (target / "model.safetensors").read_text() == "first"
    lone = tmp_path / "lone.partial"
    lone.mkdir()
    (lone / "x").write_text("x")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "other").write_text("not a cache")
    with pytest.raises(OSError):                         # a non-empty folder that is not a cache: a real failure
        publish(lone, tmp_path / "broken")


def test_a_partial_cache_left_by_a_stopped_process_is_removed(tmp_path):
    """A process stopped while writing (the benchmark and the tests stop the app) must not leave 540 MB behind;
    a partial cache that a live process is writing is kept."""
    import os
    import subprocess
    import sys

    from models.smollm2 import remove_stale_partials

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, alive = tmp_path / f"model.{gone.stdout.strip()}-ab12.partial", tmp_path / f"model.{os.getpid()}-cd34.partial"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "model.safetensors").write_text("half")
    remove_stale_partials(tmp_path / "model")
    assert not dead.exists() and alive.exists()
    check_language_model(Settings(language_model=str(tmp_path)))      # a local folder: fine offline


def test_the_loading_message_shows_only_while_the_model_loads(tmp_path, language_model):
    """A panel passes its gr.Progress: 'Loading the language model' is shown on the run that loads it, not on every
    run after (a learner read it on each prompt)."""
    from models.language import app_language_model

    model = LlamaForCausalLM(LlamaConfig(vocab_size=language_model.vocab_size, hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))
    model.save_pretrained(tmp_path / "lm")
    language_model.tokenizer.save_pretrained(tmp_path / "lm")
    settings = Settings(language_model=str(tmp_path / "lm"), cache_dir=str(tmp_path / "cache"), device="cpu")
    shown = []
    first = app_language_model(settings, progress=lambda _, desc: shown.append(desc))
    again = app_language_model(settings, progress=lambda _, desc: shown.append(desc))
    assert again is first and len(shown) == 1 and shown[0].startswith("Loading the language model")
