"""The background warm-up: every model a panel needs is loaded into the same cached loaders the panels call, and a
loader that fails is logged, not raised (the panel that needs it reports the problem)."""
import logging

from server import warm_up as warm_up_module


def test_warm_up_fills_the_loaders_the_panels_use(settings):
    from models.digit_diffusion import _load as diffusion_cache
    from models.glove import _load as glove_cache
    from models.language import _load as language_cache

    warm_up_module.warm_up(settings).join(timeout=300)
    assert language_cache.cache_info().currsize >= 1 and glove_cache.cache_info().currsize == 1
    assert diffusion_cache.cache_info().currsize >= 1
    misses = language_cache.cache_info().misses
    from models.language import app_language_model

    app_language_model(settings)                                # what a panel calls: a cache hit, no second load
    assert language_cache.cache_info().misses == misses


def test_a_failing_loader_is_logged_and_the_rest_still_load(settings, monkeypatch, caplog):
    loaded = []

    def broken():
        raise FileNotFoundError("no such checkpoint")

    monkeypatch.setattr(warm_up_module, "loaders", lambda s: [("a broken model", broken),
                                                               ("a good model", lambda: loaded.append(1))])
    with caplog.at_level(logging.ERROR, logger="deep_learning_explorer"):
        warm_up_module.warm_up(settings).join(timeout=30)
    assert loaded == [1] and "loading a broken model failed" in caplog.text
