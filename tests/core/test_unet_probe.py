"""core/unet_probe.py on a tiny random three-level UNet2DModel (the digit U-Net's shape, smaller): the hooks only read
unless asked to cut, the feature maps have the U-Net's levels' shapes, a cut changes the output, the hooks are gone
after the block (even after an error) and never touch another thread's pass."""
import threading

import numpy as np
import pytest
import torch
from diffusers.models.unets.unet_2d import UNet2DModel

from core.diffusion import ddim_step, guided_noise, noise_schedule
from core.unet_probe import levels, look_inside, opened, top_channels

CHANNELS, SIZE, NO_LABEL = (4, 8, 8), 16, 10


@pytest.fixture(scope="module")
def unet():
    torch.manual_seed(0)
    return UNet2DModel(sample_size=SIZE, in_channels=1, out_channels=1, block_out_channels=CHANNELS,
                       layers_per_block=1, down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3,
                       num_class_embeds=11, norm_num_groups=4).eval()


def inputs(seed=0):
    x = torch.randn((2, 1, SIZE, SIZE), generator=torch.Generator().manual_seed(seed))      # (B, 1, H, W)
    return x, torch.tensor(400), torch.tensor([3, NO_LABEL])


def run(unet, x, t, labels):
    with torch.inference_mode():
        return unet(x, t, class_labels=labels).sample


def test_with_no_cuts_the_hooked_forward_is_the_plain_one_exactly(unet):
    x, t, labels = inputs()
    plain = run(unet, x, t, labels)
    with opened(unet) as probe:
        hooked = run(unet, x, t, labels)
    with opened(unet, cut_skips=[], cut_bottleneck=False):          # a cut of nothing
        nothing_cut = run(unet, x, t, labels)
    assert torch.equal(hooked, plain) and torch.equal(nothing_cut, plain)
    assert list(probe.maps) == ["down.0", "down.1", "down.2", "mid", "up.0", "up.1", "up.2"] == list(levels(unet))


def test_the_feature_maps_have_the_shapes_of_the_unets_levels(unet):
    x, t, labels = inputs()
    with opened(unet) as probe:
        run(unet, x, t, labels)
    n = len(CHANNELS)
    for i, width in enumerate(CHANNELS):                                   # encoder: 16, 8, 4 and its widths
        assert probe.maps[f"down.{i}"].shape == (2, width, SIZE >> i, SIZE >> i)
    assert probe.maps["mid"].shape == (2, CHANNELS[-1], SIZE >> (n - 1), SIZE >> (n - 1))
    for i, width in enumerate(reversed(CHANNELS)):                         # decoder: 4, 8, 16
        assert probe.maps[f"up.{i}"].shape == (2, width, SIZE >> (n - 1 - i), SIZE >> (n - 1 - i))


def test_each_skip_is_concatenated_with_the_decoders_own_channels(unet):
    """h + s = what the up block's ResNet reads (its conv1's input channels): a concatenation, not a sum."""
    x, t, labels = inputs()
    with opened(unet) as probe:
        run(unet, x, t, labels)
    for i, block in enumerate(unet.up_blocks):
        widths = probe.concatenated[f"up.{i}"]
        assert [h + s for h, s in widths] == [resnet.conv1.in_channels for resnet in block.resnets]
    assert probe.concatenated["up.0"][0] == (CHANNELS[-1], CHANNELS[-1])   # the bottleneck's and the deepest map's


@pytest.mark.parametrize("cut", [dict(cut_skips=[0]), dict(cut_skips=[2]), dict(cut_skips=[0, 1, 2]),
                                 dict(cut_bottleneck=True)])
def test_a_cut_changes_the_output_and_zeros_what_it_cuts(unet, cut):
    x, t, labels = inputs()
    plain = run(unet, x, t, labels)
    with opened(unet, **cut) as probe:
        cut_output = run(unet, x, t, labels)
    assert (cut_output - plain).abs().max() > 1e-3
    if cut.get("cut_bottleneck"):
        assert torch.count_nonzero(probe.maps["mid"]) == 0                 # the decoder got zeros
    assert torch.equal(run(unet, x, t, labels), plain)                     # and afterwards the model is itself


def test_a_cut_skip_reaches_the_decoders_resnet_as_zeros_beside_its_own_channels(unet):
    """What up block 1's first ResNet reads: concat[h, s], s all zeros when cut, h not."""
    read = []
    hook = unet.up_blocks[1].resnets[0].register_forward_pre_hook(lambda module, args: read.append(args[0]))
    try:
        with opened(unet, cut_skips=[1]) as probe:
            run(unet, *inputs())
    finally:
        hook.remove()
    h, s = probe.concatenated["up.1"][0]
    assert read[0].shape[1] == h + s
    assert torch.count_nonzero(read[0][:, h:]) == 0 and torch.count_nonzero(read[0][:, :h]) > 0


def test_hooks_are_removed_even_after_an_error(unet):
    with pytest.raises(RuntimeError, match="boom"):
        with opened(unet, cut_skips=[0, 1], cut_bottleneck=True):
            raise RuntimeError("boom")
    assert all(not module._forward_hooks and not module._forward_pre_hooks for module in unet.modules())


def test_another_threads_pass_is_neither_cut_nor_recorded(unet):
    x, t, labels = inputs()
    plain, other = run(unet, x, t, labels), {}
    with opened(unet, cut_skips=[0, 1, 2], cut_bottleneck=True) as probe:
        thread = threading.Thread(target=lambda: other.update(out=run(unet, x, t, labels)))
        thread.start()
        thread.join()
    assert torch.equal(other["out"], plain) and probe.maps == {}


def test_an_unknown_up_block_is_refused(unet):
    with pytest.raises(ValueError, match="0 … 2"):
        with opened(unet, cut_skips=[3]):
            pass


def test_top_channels_are_the_most_varied_ones():
    feature_map = torch.randn((6, 4, 4), generator=torch.Generator().manual_seed(1))
    feature_map[4] *= 10                                                   # the most varied channel
    channels, maps = top_channels(feature_map, 3)
    variance = feature_map.reshape(6, -1).numpy().var(axis=1)
    assert channels.tolist() == list(np.argsort(-variance)[:3]) and channels[0] == 4
    assert torch.equal(maps, feature_map[channels])
    assert top_channels(feature_map, 10)[0].shape == (6,)                  # never more than there are


def test_look_inside_is_the_guided_prediction_and_the_samplers_guess(unet):
    _, alphas_cumprod = noise_schedule("cosine")
    x_t = torch.randn((1, 1, SIZE, SIZE), generator=torch.Generator().manual_seed(4))
    seen = look_inside(unet, x_t, 600, 3, 2.0, NO_LABEL, alphas_cumprod[600])
    with torch.inference_mode():
        eps_cond = unet(x_t, 600, class_labels=torch.tensor([3])).sample
        eps_uncond = unet(x_t, 600, class_labels=torch.tensor([NO_LABEL])).sample
    eps = guided_noise(eps_cond, eps_uncond, 2.0)
    torch.testing.assert_close(seen["eps"], eps, rtol=1e-4, atol=1e-5)
    _, x0_hat = ddim_step(x_t, eps, alphas_cumprod[600], alphas_cumprod[500])
    torch.testing.assert_close(seen["x0_hat"], x0_hat, rtol=1e-4, atol=1e-5)
    assert seen["maps"]["down.0"].shape == (CHANNELS[0], SIZE, SIZE)       # the pass with the digit
    cut = look_inside(unet, x_t, 600, 3, 2.0, NO_LABEL, alphas_cumprod[600], cut_skips=[2])
    assert not torch.allclose(cut["eps"], seen["eps"])
