"""The model-family layer: every named hook point exists on both families and reads what its name says, checked
against the model's own outputs (output_hidden_states, output_attentions) on tiny random models."""
import numpy as np
import pytest
import torch

from core.attention import masked_scores
from core.transformer import hook_points, hooks, layout
from tests.core.test_residual import attached_hooks, tiny

IDS = [5, 17, 3, 88, 42, 9]


@pytest.fixture(params=["gpt2", "llama"])
def model(request):
    return tiny(request.param)


def test_every_block_has_the_same_named_points(model):
    names = set(hook_points(model))
    L = len(layout(model).blocks)
    for part in ("hook_resid_pre", "attn", "attn.hook_qkv", "hook_mlp_in", "mlp.hook_post", "mlp", "hook_resid_post"):
        assert {f"blocks.{l}.{part}" for l in range(L)} <= names
    assert "hook_embed" in names


def test_the_stream_points_equal_the_models_hidden_states(model):
    L = len(layout(model).blocks)
    seen = {}

    def keep(name):
        def save(x):
            seen[name] = x[0].clone()
        return save

    names = [f"blocks.{l}.hook_resid_pre" for l in range(L)] + [f"blocks.{l}.hook_resid_post" for l in range(L - 1)]
    with torch.inference_mode(), hooks(model, {name: keep(name) for name in names}):
        hidden = model(torch.tensor([IDS]), output_hidden_states=True).hidden_states     # L + 1 of (1, T, d)
    for l in range(L):
        torch.testing.assert_close(seen[f"blocks.{l}.hook_resid_pre"], hidden[l][0])
    for l in range(L - 1):                  # the last hidden state is after the final norm: not a block's output
        torch.testing.assert_close(seen[f"blocks.{l}.hook_resid_post"], hidden[l + 1][0])


def test_the_qkv_point_reproduces_the_models_attention(model):
    L = len(layout(model).blocks)
    qkv = {}

    def keep(layer):
        def save(x):
            qkv[layer] = x
        return save

    model.set_attn_implementation("eager")
    with torch.inference_mode(), hooks(model, {f"blocks.{l}.attn.hook_qkv": keep(l) for l in range(L)}):
        attentions = model(torch.tensor([IDS]), output_attentions=True).attentions      # L of (1, H, T, T)
    for l in range(L):
        q, k, _ = qkv[l]
        pattern = masked_scores(q[0], k[0]).softmax(-1)
        np.testing.assert_allclose(pattern.numpy(), attentions[l][0].numpy(), atol=1e-5)


def test_hooks_are_removed_and_unknown_names_refused(model):
    before = attached_hooks(model)
    with pytest.raises(ValueError, match="Unknown hook point 'blocks.99.mlp'"):
        with hooks(model, {"blocks.0.mlp": print, "blocks.99.mlp": print}):
            pass
    assert attached_hooks(model) == before


def test_the_mlp_hidden_point_is_what_the_down_projection_turns_into_the_mlps_output(model):
    L = len(layout(model).blocks)
    seen = {}
    names = [f"blocks.{l}.{part}" for l in range(L) for part in ("mlp.hook_post", "mlp")]
    with torch.inference_mode(), hooks(model, {name: (lambda n: lambda x: seen.setdefault(n, x.clone()))(name)
                                               for name in names}):
        model(torch.tensor([IDS]))
    for l in range(L):
        down = layout(model).down_projections[l]
        assert seen[f"blocks.{l}.mlp.hook_post"].shape[-1] == (down.in_features if hasattr(down, "in_features")
                                                                 else down.weight.shape[0])
        torch.testing.assert_close(down(seen[f"blocks.{l}.mlp.hook_post"]), seen[f"blocks.{l}.mlp"])
