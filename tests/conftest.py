"""Shared fixtures. The environment is offline before anything imports huggingface_hub."""
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

from models.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO / ".cache"          # git-ignored; the dequantized SmolLM2 is saved here once (about 20 s)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(cache_dir=str(CACHE_DIR))


@pytest.fixture(scope="session")
def language_model(settings):
    """The real bundled SmolLM2-135M-Instruct, loaded once for the whole run."""
    from models.language import load_language_model

    return load_language_model(settings.language_model, torch.device("cpu"), Path(settings.cache_dir))


@pytest.fixture(scope="session")
def glove():
    from models.glove import load_glove

    return load_glove()


@pytest.fixture(scope="session")
def digits():
    from models.digits import load_digits_split

    return load_digits_split()


@pytest.fixture(scope="session")
def redis_url():
    """A real redis-server for this test session (tests/redis_server.py); each test's keys are its own prefix."""
    from tests.redis_server import start_redis, stop_redis

    process, url = start_redis()
    yield url
    stop_redis(process)
