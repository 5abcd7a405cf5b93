"""The residual stream, the logit lens and direct logit attribution, against transformers' own outputs, on the real
SmolLM2 and on tiny random GPT-2 / Llama models built here (no download; fixtures in conftest.py)."""
import math

import pytest
import torch

from core.residual import (decode, direct_logit_attribution, logit_lens, record_residual, streams, target_token,
                           write_norms)
from core.transformer import hooks, layout
from tests.tiny_language_model import PROMPT, tiny


def attached_hooks(model) -> dict[str, tuple]:
    """Every forward and pre hook attached to a module, by module name."""
    return {name: (tuple(m._forward_hooks), tuple(m._forward_pre_hooks)) for name, m in model.named_modules()}


def test_the_record_is_the_models_own_forward_pass(recorded):
    model, ids, _, record = recorded
    with torch.inference_mode():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    torch.testing.assert_close(record.logits, out.logits[0])
    # transformers' hidden_states[l + 1] is the stream after block l (its last entry has the final norm applied)
    for l in range(len(record.stream) - 1):
        torch.testing.assert_close(record.stream[l], out.hidden_states[l + 1][0])
    torch.testing.assert_close(record.embedding, out.hidden_states[0][0])


def test_every_block_adds_to_the_stream_and_never_replaces_it(recorded):
    _, _, _, record = recorded
    added = record.embedding + (record.attention + record.mlp).cumsum(0)                   # (L, T, d)
    torch.testing.assert_close(added, record.stream, atol=2e-4, rtol=1e-4)
    norms = write_norms(record)
    torch.testing.assert_close(norms["mlp"], torch.linalg.vector_norm(record.mlp, dim=-1))
    torch.testing.assert_close(norms["stream"][1:], torch.linalg.vector_norm(record.stream, dim=-1))


def test_the_decoded_last_layer_is_the_models_output_distribution(recorded):
    model, _, target, record = recorded
    lens = logit_lens(model, record, target)
    torch.testing.assert_close(decode(model, record.stream[-1]), record.logits, atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(lens.target_probability[-1], record.logits.softmax(-1)[:, target])
    top = record.logits[-1].softmax(-1).topk(5)
    assert lens.top_ids[-1].tolist() == top.indices.tolist()
    assert lens.target_probability.shape == (len(record.stream) + 1, len(record.token_ids))


def test_the_grids_last_column_is_todays_per_block_lens(recorded):
    """Today's lens decoded each layer, softmaxed, and read p(target) and the top 5 at the last position."""
    model, _, target, record = recorded
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


def test_block_11_writes_a_massive_activation_at_the_first_position_and_the_lens_reads_it_flat(smollm2,
                                                                                               language_model):
    """What the residual panel's Try-this says (and docs/panels.md, "The odd block of SmolLM2"): block 11's MLP
    writes a vector about 150 times the usual size into the first position, almost all along one dimension, and
    the lens's first column is flat (' the', p 0.03, about 10 bits) from block 11 to block 28."""
    model, _, paris, record = smollm2
    size = write_norms(record)["stream"]                               # (L + 1, T); row l + 1: after block l
    others = size[:, 1:].median(dim=1).values                          # (L + 1,) the usual size at each layer
    assert size[11, 0] < 2 * others[11]                                # after block 10: an ordinary first position
    assert 100 < size[12, 0] / others[12] < 250                        # after block 11: about 150 times the rest
    assert record.mlp[11, 0].norm() > 0.99 * size[12, 0]               # written by block 11's MLP, not carried up
    first = record.stream[11, 0]                                       # (d,) the first position after block 11
    assert first.abs().max() ** 2 > 0.95 * first.pow(2).sum()          # almost all along one of the 576 dimensions
    lens = logit_lens(model, record, paris)
    flat = slice(12, 30)                                               # the stream after blocks 11 .. 28
    assert {language_model.tokenizer.decode([i]) for i in lens.top_id[flat, 0].tolist()} == {" the"}
    assert (lens.top_probability[flat, 0] - 0.03).abs().max() < 0.015
    assert (lens.entropy[flat, 0] - 10).abs().max() < 0.5
    assert lens.top_probability[11, 0] > 0.5 and lens.entropy[11, 0] < 2   # after block 10 it still reads a word


def test_contributions_and_embedding_sum_to_the_final_logit_exactly(recorded):
    """With the final norm's scale held at its value for the full stream, the readout is linear."""
    model, _, target, record = recorded
    attribution = direct_logit_attribution(model, record, target)
    assert attribution.total == pytest.approx(attribution.logit, abs=2e-5 * max(1, abs(attribution.logit)))
    if isinstance(layout(model).final_norm, torch.nn.LayerNorm):
        assert attribution.bias != 0
    else:
        assert attribution.bias == 0


def test_hooks_are_removed_even_when_the_forward_pass_fails(recorded):
    model, ids, _, _ = recorded
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


def test_streams_put_the_embedding_first(recorded):
    _, _, _, record = recorded
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


@pytest.mark.parametrize("architecture", ["llama", "gpt2"])
def test_a_block_that_replaces_the_stream_drops_its_input_and_the_rest_runs_as_trained(architecture):
    """x_(l+1) = attn_l + mlp_l instead of x_l + attn_l + mlp_l: the blocks before are untouched, block l writes what
    it always writes, and the blocks after run on the new stream (checked against a pass that overwrites the
    stream after block l with that value)."""
    model, ids, l = tiny(architecture), [5, 17, 42, 8, 63, 2], 1
    plain, cut = record_residual(model, ids), record_residual(model, ids, replace_at=l)
    assert torch.equal(cut.embedding, plain.embedding) and torch.equal(cut.stream[:l], plain.stream[:l])
    torch.testing.assert_close(cut.attention[l], plain.attention[l])
    torch.testing.assert_close(cut.mlp[l], plain.mlp[l])
    torch.testing.assert_close(cut.stream[l], plain.stream[l] - plain.stream[l - 1])          # x_l dropped
    torch.testing.assert_close(cut.stream[l], plain.attention[l] + plain.mlp[l], atol=1e-5, rtol=1e-5)

    def overwrite(x):
        x.copy_(cut.stream[l][None])
    with torch.inference_mode(), hooks(model, {f"blocks.{l}.hook_resid_post": overwrite}):
        reference = model(torch.tensor([ids])).logits[0].float()
    torch.testing.assert_close(cut.logits, reference)
    torch.testing.assert_close(decode(model, cut.stream[-1]), cut.logits, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(cut.logits, plain.logits)
    torch.testing.assert_close(record_residual(model, ids).logits, plain.logits)             # the hooks are gone
