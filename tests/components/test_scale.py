"""The series' numbers beside the model's: GPT-3's shape as the knowledge map gives it, consistent with its 175
billion parameters, written next to this model's."""
import pytest

from components.scale import GPT3, GPT3_PARAMETERS, WHY, beside, shape_line


def test_gpt3s_numbers_make_its_175_billion_parameters():
    layers, d_model, vocab = GPT3["layers"][0], GPT3["d_model"][0], GPT3["vocab"][0]
    assert GPT3["d_mlp"][0] == 4 * d_model
    assert d_model % GPT3["heads"][0] == 0 and d_model // GPT3["heads"][0] == 128        # 128 dimensions a head
    per_block = 4 * d_model ** 2 + 2 * d_model * GPT3["d_mlp"][0]                       # W_Q, W_K, W_V, W_O; the MLP
    assert layers * per_block + vocab * d_model == pytest.approx(GPT3_PARAMETERS, rel=0.01)


def test_one_line_says_both_numbers_and_why_they_differ():
    assert beside("heads", 9, "SmolLM2") == (f"SmolLM2: 9 attention heads per layer; the series' GPT-3: 96 ({WHY}).")
    assert beside("vocab", 49_152) == "this model: 49,152 tokens in the vocabulary; the series' GPT-3: 50,257 " \
                                       f"({WHY})."
    with pytest.raises(KeyError):
        beside("experts", 8)


def test_the_shape_line_puts_the_whole_shape_next_to_gpt3s():
    line = shape_line("SmolLM2-135M", 30, 9, 576, 49_152)
    assert line == ("**SmolLM2-135M**: 30 layers × 9 heads, a 576-dimensional stream, 49,152 tokens. "
                    f"**The series' GPT-3**: 96 layers × 96 heads, 12,288 dimensions, 50,257 tokens: {WHY}.")
