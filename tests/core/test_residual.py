"""The residual stream, the logit lens, direct logit attribution and MLP neurons, against transformers' own outputs,
on the real SmolLM2 and on tiny random GPT-2 / Llama models built here (no download)."""
import math

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from core.facts import promoted_tokens, read_neurons, top_neurons
from core.residual import (decode, direct_logit_attribution, logit_lens, readout_direction,
                           record_residual, streams, target_token, write_norms)
from core.transformer import hooks, layout
from core.tokens import readable_token

PROMPT = "The Eiffel Tower is located in the city of"


def tiny(architecture: str):
    """A tiny random model of either layout, eval mode, no gradients."""
    torch.manual_seed(0)
    if architecture == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=97, n_embd=32, n_layer=3, n_head=4, n_positions=32))
    else:
        model = LlamaForCausalLM(LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                             num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True))
    with torch.no_grad():                  # non-trivial norm gains and biases, so that every term is tested
        for name, parameter in model.named_parameters():
            if "bias" in name:
                parameter.normal_(0, 0.1)
            elif "ln" in name or "norm" in name:
                parameter.normal_(1, 0.2)
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def smollm2(language_model):
    ids = language_model.tokenizer(PROMPT, add_special_tokens=False).input_ids
    target, _ = target_token(language_model.tokenizer, PROMPT, "Paris")
    return language_model.model, ids, target, record_residual(language_model.model, ids)


MODELS = ["smollm2", "gpt2", "llama"]


def attached_hooks(model) -> dict[str, tuple]:
    """Every forward and pre hook attached to a module, by module name."""
    return {name: (tuple(m._forward_hooks), tuple(m._forward_pre_hooks)) for name, m in model.named_modules()}


@pytest.fixture(params=MODELS)
def case(request, smollm2):
    if request.param == "smollm2":
        return smollm2
    model = tiny(request.param)
    ids = [5, 17, 3, 88, 42, 9, 61]
    return model, ids, 11, record_residual(model, ids)


def test_the_record_is_the_models_own_forward_pass(case):
    model, ids, _, record = case
    with torch.inference_mode():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    torch.testing.assert_close(record.logits, out.logits[0])
    # transformers' hidden_states[l + 1] is the stream after block l (its last entry has the final norm applied)
    for l in range(len(record.stream) - 1):
        torch.testing.assert_close(record.stream[l], out.hidden_states[l + 1][0])
    torch.testing.assert_close(record.embedding, out.hidden_states[0][0])


def test_every_block_adds_to_the_stream_and_never_replaces_it(case):
    _, _, _, record = case
    added = record.embedding + (record.attention + record.mlp).cumsum(0)                   # (L, T, d)
    torch.testing.assert_close(added, record.stream, atol=2e-4, rtol=1e-4)
    norms = write_norms(record)
    torch.testing.assert_close(norms["mlp"], torch.linalg.vector_norm(record.mlp, dim=-1))
    torch.testing.assert_close(norms["stream"][1:], torch.linalg.vector_norm(record.stream, dim=-1))


def test_the_decoded_last_layer_is_the_models_output_distribution(case):
    model, _, target, record = case
    lens = logit_lens(model, record, target)
    torch.testing.assert_close(decode(model, record.stream[-1]), record.logits, atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(lens.target_probability[-1], record.logits.softmax(-1)[:, target])
    top = record.logits[-1].softmax(-1).topk(5)
    assert lens.top_ids[-1].tolist() == top.indices.tolist()
    assert lens.target_probability.shape == (len(record.stream) + 1, len(record.token_ids))


def test_the_grids_last_column_is_todays_per_block_lens(case):
    """Today's lens decoded each layer, softmaxed, and read p(target) and the top 5 at the last position."""
    model, _, target, record = case
    lens = logit_lens(model, record, target)
    for layer, hidden in enumerate(streams(record)):
        probabilities = decode(model, hidden).softmax(-1)                                 # (T, V)
        top = probabilities[-1].topk(5)
        assert lens.target_probability[layer, -1] == probabilities[-1, target]
        assert int(lens.top_id[layer, -1]) == int(top.indices[0]) == int(lens.top_ids[layer, 0])
        assert float(lens.top_probability[layer, -1]) == pytest.approx(float(top.values[0]), rel=1e-6)
    shape = (len(record.stream) + 1, len(record.token_ids))
    assert all(getattr(lens, name).shape == shape for name in ("target_probability", "target_rank", "top_id",
                                                               "top_probability", "entropy"))


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_every_cells_entropy_and_rank_by_brute_force(architecture):
    model = tiny(architecture)
    ids, target = [5, 17, 3, 88, 42, 9, 61], 11
    record = record_residual(model, ids)
    lens = logit_lens(model, record, target)
    for layer, hidden in enumerate(streams(record)):
        logits = decode(model, hidden).double().numpy()                                  # (T, V)
        for position, row in enumerate(logits):
            p = [math.exp(z - max(row)) for z in row]
            p = [x / sum(p) for x in p]
            entropy = -sum(x * math.log2(x) for x in p if x > 0)
            rank = 1 + sum(1 for z in row if z > row[target])
            top = max(range(len(p)), key=p.__getitem__)
            assert float(lens.entropy[layer, position]) == pytest.approx(entropy, abs=1e-4)
            assert int(lens.target_rank[layer, position]) == rank
            assert int(lens.top_id[layer, position]) == top
            assert float(lens.top_probability[layer, position]) == pytest.approx(p[top], abs=1e-6)
            assert float(lens.target_probability[layer, position]) == pytest.approx(p[target], abs=1e-6)
    assert lens.target_rank.min() >= 1 and (lens.target_rank[lens.top_id == target] == 1).all()


def test_the_lens_shows_paris_forming_in_the_last_blocks(smollm2):
    model, _, paris, record = smollm2
    p = logit_lens(model, record, paris).target_probability[:, -1]                       # (L + 1,)
    assert p[-1] == pytest.approx(0.70, abs=0.01)
    assert p[:20].max() < 0.01 < p[-1]


def test_contributions_and_embedding_sum_to_the_final_logit_exactly(case):
    """With the final norm's scale held at its value for the full stream, the readout is linear."""
    model, _, target, record = case
    attribution = direct_logit_attribution(model, record, target)
    assert attribution.total == pytest.approx(attribution.logit, abs=2e-5 * max(1, abs(attribution.logit)))
    if isinstance(layout(model).final_norm, torch.nn.LayerNorm):
        assert attribution.bias != 0
    else:
        assert attribution.bias == 0


def test_the_mlp_is_exactly_the_sum_of_its_neurons_values(case):
    model, _, target, record = case
    direction, _ = readout_direction(model, record.stream[-1, -1], target)
    attribution = direct_logit_attribution(model, record, target)
    for layer in (0, len(record.stream) - 1):
        mlp = layout(model).mlps[layer]
        reading = read_neurons(mlp, record.mlp_input[layer, -1], direction)
        with torch.inference_mode():
            reference = mlp(record.mlp_input[layer, -1]).double()                       # the module's own output
        bias = mlp.c_proj.bias.double() if hasattr(mlp, "c_proj") else 0
        torch.testing.assert_close(reading.output() + bias, reference, atol=1e-4, rtol=1e-4)
        assert float(reading.contribution.sum()) + reading.bias == pytest.approx(float(attribution.mlp[layer]),
                                                                                abs=1e-4)


def test_the_gated_neuron_is_silu_of_the_gate_times_the_up_key(smollm2):
    model, _, paris, record = smollm2
    mlp = layout(model).mlps[20]
    x = record.mlp_input[20, -1]
    direction, _ = readout_direction(model, record.stream[-1, -1], paris)
    reading = read_neurons(mlp, x, direction)
    i = top_neurons(reading, 3)[0]
    gate = torch.nn.functional.silu(mlp.gate_proj.weight[i] @ x)
    assert float(reading.gate[i]) == pytest.approx(float(gate), rel=1e-4, abs=1e-6)
    assert float(reading.activation[i]) == pytest.approx(float(gate * (mlp.up_proj.weight[i] @ x)), rel=1e-4, abs=1e-6)
    assert abs(reading.contribution[i]) == reading.contribution.abs().max()


def test_promoted_tokens_are_the_top_of_w_u_times_the_scaled_value(smollm2):
    model, _, _, _ = smollm2
    value = layout(model).mlps[10].down_proj.weight[:, 7]                                  # (d,)
    (row,) = promoted_tokens(model, value[None], 3)
    scores = model.lm_head.weight @ (model.model.norm.weight * value)
    assert [i for i, _ in row] == scores.topk(3).indices.tolist()


def test_hooks_are_removed_even_when_the_forward_pass_fails(case):
    model, ids, _, _ = case
    input_ids = torch.tensor([ids])
    with torch.inference_mode():
        before = model(input_ids).logits.clone()
    hooks_before = attached_hooks(model)     # transformers keeps its own output-capturing hooks: compare, not empty

    def explode(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"), hooks(model, {"blocks.1.mlp": explode,
                                                              "blocks.0.hook_resid_pre": explode}):
        model(input_ids)
    assert attached_hooks(model) == hooks_before
    with torch.inference_mode():
        torch.testing.assert_close(model(input_ids).logits, before, rtol=0, atol=0)


def test_streams_put_the_embedding_first(case):
    _, _, _, record = case
    all_streams = streams(record)
    assert all_streams.shape[0] == len(record.stream) + 1
    torch.testing.assert_close(all_streams[0], record.embedding)


def test_target_token_adds_the_leading_space_and_names_multi_token_targets(language_model):
    tokenizer = language_model.tokenizer
    paris, note = target_token(tokenizer, PROMPT, "Paris")
    assert tokenizer.decode([paris]) == " Paris" and note == ""
    assert target_token(tokenizer, PROMPT + " ", "Paris")[0] == tokenizer(
        "Paris", add_special_tokens=False).input_ids[0]
    first, note = target_token(tokenizer, PROMPT, "Parisianism")
    assert "tokens; its first token" in note and first == tokenizer(" Parisianism", add_special_tokens=False).input_ids[0]
    for empty in ("", "   ", None):
        with pytest.raises(ValueError, match="Type a target"):
            target_token(tokenizer, PROMPT, empty)


def test_an_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="Unsupported architecture Linear"):
        layout(torch.nn.Linear(2, 2))


def test_tokens_read_as_text_with_bytes_shown_as_bytes(language_model):
    tokenizer = language_model.tokenizer

    def read(piece):
        return readable_token(tokenizer, tokenizer.convert_tokens_to_ids(piece))

    assert read("ĠParis") == "␣Paris"                                  # byte-level BPE's Ġ is a space
    assert read("Ã©") == "é" and read("âĢĻ") == "’"                    # bytes of one character, decoded
    assert read("čĊ") == "\\r\\n" and read("ĉĉ") == "\\t\\t"           # invisible characters, escaped
    assert read("ĠâĢ") == "␣\\xe2\\x80"                              # a character's first bytes: shown as bytes


def test_a_tokenizer_that_is_not_byte_level_is_read_through_its_own_decode():
    class SentencePiece:
        def convert_ids_to_tokens(self, token_id):
            return "▁Paris"

        def decode(self, ids):
            return " Paris\u200b"
    assert readable_token(SentencePiece(), 3) == "␣Paris\\u200b"
