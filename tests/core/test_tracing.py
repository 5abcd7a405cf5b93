"""Causal tracing: the batched restorations against one forward pass per restoration (hooks written here, not the
app's), clean and corrupted runs against plain transformers calls, on SmolLM2 and tiny random GPT-2 / Llama."""
import pytest
import torch

from core.residual import target_token
from core.transformer import layout
from core.tracing import (KINDS, causal_trace, clean_run, restored_probabilities, subject_noise, subject_span)
from tests.core.test_residual import attached_hooks, tiny

PROMPT = "The Eiffel Tower is located in the city of"


def module_of(model, site: str):
    parts = layout(model)
    if site == "hook_embed":
        return parts.embedding
    _, layer, *part = site.split(".")
    return {"attn": parts.attentions, "mlp": parts.mlps, "hook_resid_post": parts.blocks}[part[0]][int(layer)]


@torch.inference_mode()
def one_restoration(model, ids, span, noise, target, site, position) -> float:
    """The reference: one forward pass, the subject corrupted, one (site, position) put back. Plain torch hooks."""
    module, input_ids, clean = module_of(model, site), torch.tensor([ids]), {}

    def grab(m, args, out):
        clean["x"] = (out[0] if isinstance(out, tuple) else out).clone()

    def corrupt(m, args, out):
        out = out.clone()
        out[0, span[0]:span[1]] += noise
        return out

    def restore(m, args, out):
        x = (out[0] if isinstance(out, tuple) else out).clone()
        x[0, position] = clean["x"][0, position]
        return (x, *out[1:]) if isinstance(out, tuple) else x

    handle = module.register_forward_hook(grab)
    model(input_ids)
    handle.remove()
    handles = [layout(model).embedding.register_forward_hook(corrupt), module.register_forward_hook(restore)]
    try:
        return float(model(input_ids).logits[0, -1].softmax(-1)[target])
    finally:
        for handle in handles:
            handle.remove()


@torch.inference_mode()
def corrupted_reference(model, ids, span, noise, target) -> float:
    embeddings = layout(model).embedding(torch.tensor([ids])).clone()                 # (1, T, d)
    embeddings[0, span[0]:span[1]] += noise
    return float(model(inputs_embeds=embeddings).logits[0, -1].softmax(-1)[target])


@pytest.fixture(scope="module")
def smollm2(language_model):
    tokenizer = language_model.tokenizer
    ids = tokenizer(PROMPT, add_special_tokens=False).input_ids
    span = subject_span(tokenizer, PROMPT, "Eiffel Tower")
    target, _ = target_token(tokenizer, PROMPT, "Paris")
    return language_model.model, ids, span, target


@pytest.fixture(scope="module")         # 30 blocks x 9 positions restored: the slowest fixture here
def eiffel_trace(smollm2):
    model, ids, span, target = smollm2
    return causal_trace(model, ids, span, target, "hidden")


@pytest.fixture(params=["smollm2", "gpt2", "llama"])
def case(request, smollm2):
    if request.param == "smollm2":
        return smollm2
    return tiny(request.param), [5, 17, 3, 88, 42, 9, 61], (2, 4), 11


def test_subject_span_covers_the_subjects_tokens(language_model):
    tokenizer = language_model.tokenizer
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(PROMPT, add_special_tokens=False).input_ids)
    start, end = subject_span(tokenizer, PROMPT, "Eiffel Tower")
    assert tokens[start:end] == ["ĠE", "iffel", "ĠTower"]
    assert subject_span(tokenizer, PROMPT, "The") == (0, 1)


@pytest.mark.parametrize("subject, message", [("Louvre", "not in the prompt"), ("eiffel tower", "case matters"),
                                              ("", "Type the subject"), ("  ", "Type the subject")])
def test_a_subject_not_in_the_prompt_is_refused(language_model, subject, message):
    with pytest.raises(ValueError, match=message):
        subject_span(language_model.tokenizer, PROMPT, subject)


def test_restoring_every_input_position_recovers_the_clean_probability_exactly(case):
    model, ids, span, target = case
    _, p_clean = clean_run(model, ids, [], target)
    with torch.inference_mode():
        reference = float(model(torch.tensor([ids])).logits[0, -1].softmax(-1)[target])
    assert p_clean == pytest.approx(reference, abs=1e-6)       # logits of the last position only
    clean, _ = clean_run(model, ids, ["hook_embed"], target)
    everything = [[("hook_embed", p) for p in range(len(ids))]]
    p = restored_probabilities(model, ids, span, target, everything, clean, subject_noise(model, span[1] - span[0]))
    assert float(p[0]) == pytest.approx(p_clean, abs=1e-6)


def test_restoring_nothing_gives_the_corrupted_probability(case):
    model, ids, span, target = case
    noise = subject_noise(model, span[1] - span[0])
    clean, _ = clean_run(model, ids, ["hook_embed"], target)
    p = restored_probabilities(model, ids, span, target, [[]], clean, noise)
    assert float(p[0]) == pytest.approx(corrupted_reference(model, ids, span, noise, target), abs=1e-6)


def test_noise_is_three_embedding_deviations_and_seeded(language_model):
    model = language_model.model
    noise = subject_noise(model, 400)
    assert noise.std().item() == pytest.approx(3 * model.model.embed_tokens.weight.std().item(), rel=0.01)
    torch.testing.assert_close(subject_noise(model, 3), subject_noise(model, 3), rtol=0, atol=0)


@pytest.mark.parametrize("kind", list(KINDS))
def test_batched_rows_equal_one_forward_pass_per_restoration(case, kind):
    model, ids, span, target = case
    L = len(layout(model).blocks)
    cells = [(0, span[0]), (1, span[1] - 1), (L // 2, len(ids) - 1), (L - 1, span[1] - 1)]
    sites = [KINDS[kind].format(layer=layer) for layer in range(L)]
    clean, _ = clean_run(model, ids, ["hook_embed", *sites], target)
    noise = subject_noise(model, span[1] - span[0])
    batched = restored_probabilities(model, ids, span, target, [[(sites[l], p)] for l, p in cells], clean, noise)
    for (layer, position), p in zip(cells, batched):
        reference = one_restoration(model, ids, span, noise, target, sites[layer], position)
        assert float(p) == pytest.approx(reference, abs=2e-5), (kind, layer, position)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_whole_trace_of_a_tiny_model_equals_the_loop(architecture, kind):
    model, ids, span, target = tiny(architecture), [5, 17, 3, 88, 42, 9, 61], (2, 4), 11
    trace = causal_trace(model, ids, span, target, kind, tile_tokens=10, bands=3)   # small tiles: many starts
    noise = subject_noise(model, span[1] - span[0])
    for layer in range(len(layout(model).blocks)):
        for position in range(len(ids)):
            reference = one_restoration(model, ids, span, noise, target, KINDS[kind].format(layer=layer), position)
            assert float(trace.restored[layer, position]) == pytest.approx(reference, abs=1e-6), (layer, position)
    assert trace.corrupted == pytest.approx(corrupted_reference(model, ids, span, noise, target), abs=1e-6)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_the_plain_trace_the_benchmark_times_equals_the_fast_one(architecture):
    model, ids, span, target = tiny(architecture), [5, 17, 3, 88, 42, 9, 61], (2, 4), 11
    fast = causal_trace(model, ids, span, target, "mlp")
    plain = causal_trace(model, ids, span, target, "mlp", plain_chunk=4)
    torch.testing.assert_close(plain.restored, fast.restored, rtol=0, atol=1e-6)
    assert (plain.clean, plain.corrupted) == pytest.approx((fast.clean, fast.corrupted), abs=1e-6)


@pytest.mark.slow
def test_the_eiffel_trace(eiffel_trace, smollm2):
    model, ids, span, target = smollm2
    trace = eiffel_trace
    assert trace.restored.shape == (30, len(ids))
    assert trace.clean == pytest.approx(0.70, abs=0.01) and trace.corrupted < 0.1
    # the last block's stream at the last position IS the model's output: restoring it gives p_clean back
    assert float(trace.restored[-1, -1]) == pytest.approx(trace.clean, abs=1e-5)
    assert (trace.restored[:, :span[0]] == trace.corrupted).all()          # before the subject nothing changed
    assert float(trace.restored[:10, span[0]:span[1]].max()) > 0.4          # early subject tokens carry the fact


@pytest.mark.slow
def test_the_residual_cards_trace_sentence(eiffel_trace, smollm2, language_model):
    """The residual panel's *Try this* (explorers/transformers/residual/lens.py), measured: on SmolLM2 the subject's
    last token (' Tower') brings Paris back hardly at all; 'iffel' does through block 20, and the last token takes
    over from block 23. With MLP outputs, only block 0's MLP at 'iffel' brings much back."""
    model, ids, span, target = smollm2
    trace, tower, iffel = eiffel_trace.restored, span[1] - 1, span[1] - 2           # (L, T)
    assert [language_model.tokenizer.decode([ids[p]]) for p in (iffel, tower)] == ["iffel", " Tower"]
    assert (eiffel_trace.corrupted, eiffel_trace.clean) == pytest.approx((0.04, 0.70), abs=0.005)
    assert float(trace[:, tower].max()) == pytest.approx(0.05, abs=0.005)
    assert 0.445 <= float(trace[:21, iffel].min()) and float(trace[:21, iffel].max()) < 0.645
    assert float(trace[:23, -1].max()) < 0.1 and float(trace[23, -1]) == pytest.approx(0.77, abs=0.005)
    mlp = causal_trace(model, ids, span, target, "mlp").restored                     # (L, T)
    assert float(mlp[0, iffel]) == pytest.approx(0.30, abs=0.005)
    mlp[0, iffel] = 0
    assert float(mlp.max()) < 0.095


def test_hooks_are_removed_after_a_failing_trace(smollm2):
    model, ids, span, target = smollm2
    input_ids = torch.tensor([ids])
    with torch.inference_mode():
        before = model(input_ids).logits.clone()
    hooks_before = attached_hooks(model)
    with pytest.raises(KeyError):                        # a restoration whose clean value was never recorded
        restored_probabilities(model, ids, span, target, [[("blocks.3.mlp", 2)]], {}, subject_noise(model, 3))
    with pytest.raises(ValueError, match="kind must be one of hidden, mlp, attention"):
        causal_trace(model, ids, span, target, "neurons")
    assert attached_hooks(model) == hooks_before
    with torch.inference_mode():
        torch.testing.assert_close(model(input_ids).logits, before, rtol=0, atol=0)
