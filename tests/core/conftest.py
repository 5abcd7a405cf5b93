"""Language models recorded once for the tests of core/residual.py and core/facts.py: the real SmolLM2 on PROMPT,
and tiny random GPT-2 and Llama models."""
import pytest

from core.residual import record_residual, target_token
from tests.tiny_language_model import PROMPT, tiny

MODELS = ["smollm2", "gpt2", "llama"]


@pytest.fixture(scope="session")
def smollm2(language_model):
    """(model, token ids of PROMPT, the id of ' Paris', the residual record)."""
    ids = language_model.tokenizer(PROMPT, add_special_tokens=False).input_ids
    target, _ = target_token(language_model.tokenizer, PROMPT, "Paris")
    return language_model.model, ids, target, record_residual(language_model.model, ids)


@pytest.fixture(params=MODELS)
def recorded(request, smollm2):
    """(model, token ids, target id, residual record) for SmolLM2 and for a tiny GPT-2 and Llama."""
    if request.param == "smollm2":
        return smollm2
    model = tiny(request.param)
    ids = [5, 17, 3, 88, 42, 9, 61]
    return model, ids, 11, record_residual(model, ids)
