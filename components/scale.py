"""The series' numbers beside the model's. The knowledge map's figures are GPT-3's (175 billion parameters): 96
layers of 96 attention heads, a 12,288-dimensional residual stream, and GPT-2's 50,257-token vocabulary. A panel that
shows SmolLM2's shape says the series' number next to it, so a student never reads a number that seems to
contradict the video.

    beside("heads", 9, "SmolLM2") -> "SmolLM2: 9 attention heads per layer; the series' GPT-3: 96 (same design,
                                       scaled down so it runs on a laptop CPU)."
"""
GPT3 = {                                  # quantity -> (the series' number, what it is)
    "layers": (96, "transformer blocks"),
    "heads": (96, "attention heads per layer"),
    "d_model": (12_288, "dimensions of the residual stream"),
    "vocab": (50_257, "tokens in the vocabulary"),                  # GPT-3 uses GPT-2's tokenizer
    "d_mlp": (49_152, "neurons per MLP (4 x 12,288)"),
}
GPT3_PARAMETERS = 175e9
WHY = "same design, scaled down so it runs on a laptop CPU"


def beside(quantity: str, ours: int, model_name: str = "this model") -> str:
    """One line: this model's number, the series' GPT-3 number, and why they differ."""
    series, meaning = GPT3[quantity]
    return f"{model_name}: {ours:,} {meaning}; the series' GPT-3: {series:,} ({WHY})."


def shape_line(model_name: str, layers: int, heads: int, d_model: int, vocab: int) -> str:
    """The whole shape next to GPT-3's, for a panel's note."""
    return (f"**{model_name}**: {layers} layers × {heads} heads, a {d_model:,}-dimensional stream, {vocab:,} tokens. "
            f"**The series' GPT-3**: {GPT3['layers'][0]} layers × {GPT3['heads'][0]} heads, "
            f"{GPT3['d_model'][0]:,} dimensions, {GPT3['vocab'][0]:,} tokens: {WHY}.")
