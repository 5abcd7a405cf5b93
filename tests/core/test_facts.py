"""An MLP block as a key/value memory: each neuron's activation, value and push on the target's logit, against the
module's own output, direct logit attribution and W_U by hand, on the real SmolLM2 and on tiny random GPT-2 / Llama
models (fixtures in conftest.py)."""
import pytest
import torch

from core.facts import NeuronReading, promoted_tokens, read_neurons, top_neurons
from core.residual import direct_logit_attribution, readout_direction
from core.transformer import layout
from tests.tiny_language_model import tiny


def test_the_mlp_is_exactly_the_sum_of_its_neurons_values(recorded):
    model, _, target, record = recorded
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


def test_a_gpt2_neuron_is_gelu_of_its_key_and_has_no_gate():
    model = tiny("gpt2")
    mlp = layout(model).mlps[1]
    x, direction = torch.randn(32, generator=torch.Generator().manual_seed(1)), torch.randn(32)
    reading = read_neurons(mlp, x, direction)
    pre = x.double() @ mlp.c_fc.weight.double() + mlp.c_fc.bias.double()                 # Conv1D: x W + b
    assert reading.gate is None
    torch.testing.assert_close(reading.up, pre)
    torch.testing.assert_close(reading.activation, torch.nn.functional.gelu(pre, approximate="tanh"))
    values = mlp.c_proj.weight.double()                                                    # (N, d): v_i
    torch.testing.assert_close(reading.contribution, reading.activation * (values @ direction.double()))
    assert reading.bias == pytest.approx(float(mlp.c_proj.bias.double() @ direction.double()))


def test_top_neurons_are_the_largest_in_size_whatever_their_sign():
    contribution = torch.tensor([0.5, -3.0, 0.1, 2.0, -0.2], dtype=torch.float64)
    reading = NeuronReading(None, contribution, contribution, torch.zeros(5, 2), contribution, 0.0)
    assert top_neurons(reading, 3) == [1, 3, 0]
    assert top_neurons(reading, 99) == [1, 3, 0, 4, 2]                     # more than there are: all of them
    assert top_neurons(reading, 0) == []


def test_a_negative_write_promotes_what_the_value_demotes():
    model = tiny("llama")
    value = layout(model).mlps[0].down_proj.weight[:, 3]                                   # (d,)
    up, down = promoted_tokens(model, torch.stack([value, -value]), 4)
    scores = model.lm_head.weight @ (model.model.norm.weight * value)                      # (V,)
    assert [i for i, _ in up] == scores.topk(4).indices.tolist()
    assert [i for i, _ in down] == (-scores).topk(4).indices.tolist()
    assert [s for _, s in up] == pytest.approx(scores.topk(4).values.tolist(), rel=1e-5)
