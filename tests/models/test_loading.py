"""Every model the app loads or builds takes the one process-wide lock (models/loading.py): transformers' and
diffusers' from_pretrained patch process-wide state while they build, and two loads in two threads once left
SmolLM2 without its tied lm_head in the app."""
import threading

import pytest
import torch

from models import (digit_classifier, digit_diffusion, digit_network, image_pipeline, language, scene_clip,
                    scene_judge, toy_diffusion)
from models.loading import LOAD_LOCK
from models.scene_pipeline import FOLDER as PIPELINE

LOADS = {                                              # module -> how the app calls its cached loader
    digit_classifier: lambda: digit_classifier.load_digit_classifier(),
    digit_diffusion: lambda: digit_diffusion.load_digit_diffusion(),
    digit_network: lambda: digit_network.load_digit_network("relu"),
    image_pipeline: lambda: image_pipeline.load_image_pipeline(str(PIPELINE), "cpu"),
    language: lambda: language.load_language_model("smollm2", torch.device("cpu"), ".cache"),
    scene_clip: lambda: scene_clip.load_scene_clip(),
    scene_judge: lambda: scene_judge.load_scene_judge(),
    toy_diffusion: lambda: toy_diffusion.load_toy_diffusion("moons"),
}


def held() -> bool:
    """Does this thread hold LOAD_LOCK? (an RLock acquired again by its owner succeeds at once; by another, not)"""
    result = {}

    def probe():
        result["free"] = LOAD_LOCK.acquire(blocking=False)
        if result["free"]:
            LOAD_LOCK.release()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return not result["free"]


@pytest.mark.parametrize("module", list(LOADS), ids=lambda m: m.__name__.split(".")[-1])
def test_each_cached_loader_loads_under_the_one_lock(module, monkeypatch):
    seen = []
    monkeypatch.setattr(module, "_load", lambda *args: seen.append(held()) or "loaded")
    assert LOADS[module]() == "loaded" and seen == [True]
    assert not held()


def test_models_built_while_the_app_runs_take_the_lock_too(monkeypatch):
    from transformers.models.clip import modeling_clip

    tokenizer = scene_clip.load_scene_clip().tokenizer
    seen = []
    monkeypatch.setattr(modeling_clip, "CLIPModel", lambda config: seen.append(held()) or "built")
    assert scene_clip.fresh_clip(tokenizer, seed=0) == "built" and seen == [True]


def test_the_lock_is_one_and_reentrant():
    assert {getattr(m, "LOAD_LOCK") for m in LOADS} == {LOAD_LOCK}
    with LOAD_LOCK:
        with LOAD_LOCK:                                # a loader that calls another does not wait for itself
            assert held()
    assert not held()


def test_three_models_loaded_at_once_in_three_threads_come_out_whole():
    """What the app does at start (the warm-up thread and visitors' first requests). With LOAD_LOCK made a no-op
    this test failed in every run here ('Cannot copy out of meta tensor' for SmolLM2, sometimes the CLIP too, and
    transformers' PreTrainedModel.tie_weights left disabled for the rest of the process)."""
    from transformers.modeling_utils import PreTrainedModel

    for module in (language, scene_clip, image_pipeline):
        module._load.cache_clear()
    loaded, errors = {}, []

    def load(name, call):
        try:
            for _ in range(3 if name == "models.scene_clip" else 1):     # the small CLIP again and again
                scene_clip._load.cache_clear()
                loaded[name] = call()
        except Exception as error:                     # reported below, with the thread it happened in
            errors.append((name, repr(error)[:200]))

    threads = [threading.Thread(target=load, args=(m.__name__, LOADS[m])) for m in (language, scene_clip,
                                                                                    image_pipeline)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    lm = loaded["models.language"].model
    assert lm.lm_head.weight.data_ptr() == lm.model.embed_tokens.weight.data_ptr()   # SmolLM2 ties them
    for model in (lm, loaded["models.scene_clip"].model, loaded["models.image_pipeline"].unet):
        assert not any(p.is_meta for p in model.parameters())
    assert PreTrainedModel.tie_weights.__name__ != "empty_func"                      # nothing left patched
