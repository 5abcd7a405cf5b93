"""Cross-attention recording (core/cross_attention.py) on a tiny random Stable Diffusion U-Net: the recording
processors give diffusers' own output, the maps sum to 1 over the tokens everywhere, the original processors come
back, and another thread's pass is neither recorded nor changed; the grounding loss (TokenCompose's, halves as the
masks) against a loop over positions, and its gradient reaches the cross-attention's weights."""
import threading

import pytest
import torch

from core.cross_attention import (cross_attention_maps, grounding_loss, left_shares, more_on_left,
                                  recording_cross_attention)
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


def random_attention(batch=3, heads=2, grid=4, tokens=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((batch, heads, grid * grid, tokens), generator=g).softmax(dim=-1)


def test_left_shares_against_a_loop_over_positions():
    a = random_attention()
    B, heads, N, L = a.shape
    grid = 4
    expected = torch.zeros(B, L)
    for b in range(B):
        for token in range(L):
            left = total = 0.0
            for position in range(N):
                row, column = divmod(position, grid)                   # positions run row by row
                mass = sum(float(a[b, h, position, token]) for h in range(heads)) / heads
                total += mass
                left += mass if column < grid // 2 else 0.0
            expected[b, token] = left / total
    torch.testing.assert_close(left_shares(a), expected, rtol=1e-5, atol=1e-6)


def test_more_on_left_against_a_loop_over_columns():
    maps = torch.rand((3, 5, 4, 6), generator=torch.Generator().manual_seed(1))    # (samples, tokens, h, w)
    loop = [[sum(float(maps[i, t, r, c]) for r in range(4) for c in range(3)) >
             sum(float(maps[i, t, r, c]) for r in range(4) for c in range(3, 6)) for t in range(5)] for i in range(3)]
    assert more_on_left(maps).tolist() == loop


def test_the_grounding_loss_is_zero_on_its_own_half_a_quarter_when_flat_and_a_mean_over_words_and_layers():
    grid, L = 4, 3
    flat = torch.full((1, 1, grid * grid, L), 1 / L)
    only_left = torch.zeros(1, 1, grid, grid, L)
    only_left[..., :grid // 2, :] = 1.0
    only_left = only_left.reshape(1, 1, grid * grid, L)
    rows, tokens = torch.tensor([0, 0]), torch.tensor([1, 2])
    left = torch.tensor([True, False])
    assert float(grounding_loss([("a", flat)], rows, tokens, left)) == pytest.approx(0.25)
    # word 1 (left) is read only on the left: 0; word 2 (right) also only on the left: its share on the right is 0
    assert float(grounding_loss([("a", only_left)], rows, tokens, left)) == pytest.approx((0 + 1) / 2)
    assert float(grounding_loss([("a", flat), ("b", only_left)], rows, tokens, left)) == \
        pytest.approx((0.25 + 0.25 + 0 + 1) / 4)
    assert float(grounding_loss([("a", flat)], rows[:0], tokens[:0], left[:0])) == 0.0


def test_kept_with_its_gradient_the_grounding_loss_trains_the_cross_attention(pipe):
    latents, t, text = inputs(pipe)
    pipe.unet.requires_grad_(True)                                  # the app loads it frozen; training does not
    try:
        with recording_cross_attention(pipe.unet, keep_grad=True) as record:
            pipe.unet(latents, t, encoder_hidden_states=text)
        assert all(probabilities.requires_grad for _, probabilities in record.calls)
        loss = grounding_loss(record.calls, torch.tensor([0, 1]), torch.tensor([3, 5]), torch.tensor([True, False]))
        loss.backward()
        keys = [m.to_k.weight.grad for name, m in pipe.unet.named_modules() if name.endswith("attn2")]
        assert keys and all(grad is not None and grad.abs().sum() > 0 for grad in keys)
    finally:
        pipe.unet.zero_grad(set_to_none=True)
        pipe.unet.requires_grad_(False)
