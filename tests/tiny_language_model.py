"""A tiny randomly initialised GPT-2 or Llama (no download), for tests of the code that reads a language model's
insides; and the prompt the real SmolLM2 is read on."""
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

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
