"""Cross-attention recording (core/cross_attention.py) on a tiny random Stable Diffusion U-Net: the recording
processors give diffusers' own output, the maps sum to 1 over the tokens everywhere, the original processors come
back, and another thread's pass is neither recorded nor changed."""
import threading

import pytest
import torch

from core.cross_attention import cross_attention_maps, recording_cross_attention
from models.image_pipeline import load_image_pipeline
from tests.tiny_pipeline import tiny_pipeline


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    return load_image_pipeline(str(tiny_pipeline(tmp_path_factory.mktemp("tiny-sd-attn"))), "cpu")


def inputs(pipe, batch=2):
    g = torch.Generator().manual_seed(0)
    latents = torch.randn((batch, *pipe.latent_shape), generator=g)
    text = torch.randn((batch, 12, pipe.unet.config.cross_attention_dim), generator=g)
    return latents, torch.tensor(500), text


def test_recording_leaves_the_unets_output_unchanged(pipe):
    latents, t, text = inputs(pipe)
    with torch.no_grad():
        expected = pipe.unet(latents, t, encoder_hidden_states=text).sample
        with recording_cross_attention(pipe.unet) as record:
            recorded = pipe.unet(latents, t, encoder_hidden_states=text).sample
    torch.testing.assert_close(recorded, expected, rtol=1e-5, atol=1e-6)
    attn2 = [name for name in pipe.unet.attn_processors if ".attn2." in name]
    assert len(record.calls) == len(attn2) > 0


def test_the_attention_is_a_softmax_over_the_tokens_computed_by_hand(pipe):
    latents, t, text = inputs(pipe, batch=1)
    block = next(m for name, m in pipe.unet.named_modules() if name.endswith("attn2"))
    seen = {}
    def keep(module, args, kwargs):
        seen.setdefault("h", args[0] if args else kwargs["hidden_states"])

    handle = block.register_forward_pre_hook(keep, with_kwargs=True)
    try:
        with torch.no_grad(), recording_cross_attention(pipe.unet) as record:
            pipe.unet(latents, t, encoder_hidden_states=text)
    finally:
        handle.remove()
    h = seen["h"]                                                                      # (1, N, C)
    q, k = block.to_q(h), block.to_k(text)                                             # (1, N, H*d), (1, L, H*d)
    heads = block.heads
    d = q.shape[-1] // heads
    q = q.view(1, -1, heads, d).transpose(1, 2)
    k = k.view(1, -1, heads, d).transpose(1, 2)
    by_hand = (q @ k.transpose(-1, -2) / d ** 0.5).softmax(dim=-1)                    # (1, heads, N, L)
    torch.testing.assert_close(record.calls[0][1], by_hand, rtol=1e-4, atol=1e-6)


def test_maps_sum_to_one_over_tokens_at_every_position(pipe):
    latents, t, text = inputs(pipe)
    with torch.no_grad(), recording_cross_attention(pipe.unet) as record:
        pipe.unet(latents, t, encoder_hidden_states=text)
    maps = cross_attention_maps(record.calls, 8, rows=slice(0, 1))                    # (L, 8, 8)
    assert maps.shape == (12, 8, 8)
    torch.testing.assert_close(maps.sum(dim=0), torch.ones(8, 8), rtol=1e-5, atol=1e-5)
    assert (maps >= 0).all()
    with pytest.raises(ValueError, match="no cross-attention"):
        cross_attention_maps([], 8)


def test_the_processors_come_back_even_after_an_error(pipe):
    before = dict(pipe.unet.attn_processors)
    with pytest.raises(RuntimeError):
        with recording_cross_attention(pipe.unet):
            raise RuntimeError("a failing request")
    assert {name: type(p) for name, p in pipe.unet.attn_processors.items()} == \
        {name: type(p) for name, p in before.items()}


def test_another_threads_pass_is_not_recorded_and_not_changed(pipe):
    latents, t, text = inputs(pipe)
    with torch.no_grad():
        expected = pipe.unet(latents, t, encoder_hidden_states=text).sample
    other = {}
    with torch.no_grad(), recording_cross_attention(pipe.unet) as record:
        thread = threading.Thread(target=lambda: other.setdefault(
            "out", pipe.unet(latents, t, encoder_hidden_states=text).sample))
        thread.start()
        thread.join()
    assert record.calls == []
    torch.testing.assert_close(other["out"], expected, rtol=1e-5, atol=1e-6)
