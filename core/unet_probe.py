"""The digit U-Net opened up (knowledge map: U-Net Denoising): its levels' feature maps read through forward hooks,
and two cuts, the skip connections and the bottleneck, made by hooks that replace a tensor with zeros.

A diffusers UNet2DModel is an encoder (down blocks, each halving the picture), a bottleneck (the mid block: ResNet,
self-attention, ResNet at the smallest size) and a decoder (up blocks, each doubling it). The levels, by name:

    down.{i}   down block i's last ResNet: the encoder's feature map at its size, before it is downsampled
    mid        the mid block's output: the bottleneck
    up.{i}     up block i's last ResNet: the decoder's feature map at its size, before it is upsampled

Skips: the encoder's outputs at each size are kept, and up block i (at the same size) CONCATENATES each with its own
input along the channels (torch.cat([h, s], dim=1)) before a ResNet reads them. A transformer's residual stream
ADDS instead (x + f(x), the same width in and out); inside each ResNet block the U-Net adds too.

The hooks act only on the thread that opened the block (another request may be using the same shared model) and
are always removed.
"""
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable

import torch

from core.diffusion import guided_noise


def levels(unet) -> dict[str, torch.nn.Module]:
    """The modules whose outputs are the levels' feature maps, encoder to decoder."""
    named = {f"down.{i}": block.resnets[-1] for i, block in enumerate(unet.down_blocks)}
    named["mid"] = unet.mid_block
    named |= {f"up.{i}": block.resnets[-1] for i, block in enumerate(unet.up_blocks)}
    return named


@dataclass
class Probe:
    """What the hooks saw in the last forward pass inside the block."""
    maps: dict[str, torch.Tensor] = field(default_factory=dict)       # level -> its feature map (B, C, h, w)
    # up.{i} -> [(channels of the decoder's h, channels of the skip s), ...]: one pair per ResNet of the block
    concatenated: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def zeroed_skips(args: tuple) -> tuple:
    """An up block's inputs (h, skips, temb, ...) with every skip tensor replaced by zeros of its shape."""
    hidden, skips, *rest = args
    return (hidden, tuple(torch.zeros_like(skip) for skip in skips), *rest)


@contextmanager
def opened(unet, cut_skips: Iterable[int] = (), cut_bottleneck: bool = False):
    """Within the block, each forward pass of `unet` on this thread records its feature maps into the yielded Probe,
    and the cuts apply: up block i in cut_skips concatenates zeros in place of its skip tensors (the encoder's
    outputs at its size), cut_bottleneck makes the mid block return zeros. Nothing cut: the model's own output."""
    cut_skips = sorted(set(cut_skips))
    if any(not isinstance(i, int) or not 0 <= i < len(unet.up_blocks) for i in cut_skips):
        raise ValueError(f"Skips are cut per up block: 0 … {len(unet.up_blocks) - 1}, got {cut_skips}.")
    owner, probe = threading.get_ident(), Probe()

    def mine() -> bool:
        return threading.get_ident() == owner

    def record(name):
        def hook(module, args, output):
            if mine():
                probe.maps[name] = output
        return hook

    def read_skips(name, cut):
        def hook(module, args):
            if not mine():
                return None
            hidden, skips = args[0], args[1]                                  # skips are used last to first
            widths, channels = [], hidden.shape[1]
            for resnet, skip in zip(module.resnets, reversed(skips)):
                widths.append((channels, skip.shape[1]))
                channels = resnet.conv1.out_channels
            probe.concatenated[name] = widths
            return zeroed_skips(args) if cut else None
        return hook

    def zero_output(module, args, output):
        return torch.zeros_like(output) if mine() else None

    handles = []
    try:
        if cut_bottleneck:                          # before the recorder: the recorded mid is what the decoder gets
            handles.append(unet.mid_block.register_forward_hook(zero_output))
        for name, module in levels(unet).items():
            handles.append(module.register_forward_hook(record(name)))
        for i, block in enumerate(unet.up_blocks):
            handles.append(block.register_forward_pre_hook(read_skips(f"up.{i}", i in cut_skips)))
        yield probe
    finally:
        for handle in handles:                      # always removed, even on error
            handle.remove()


def top_channels(feature_map: torch.Tensor, k: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """The k channels of one feature map (C, h, w) that vary most over the picture (variance over its h * w
    positions): their indices (k,), most varied first, and their maps (k, h, w)."""
    C = feature_map.shape[0]
    variance = feature_map.reshape(C, -1).var(dim=1, unbiased=False)      # (C,)
    order = variance.argsort(descending=True)[:min(k, C)]                 # (k,)
    return order, feature_map[order]


@torch.inference_mode()
def look_inside(unet, x_t: torch.Tensor, t: int, digit: int, w: float, no_label: int, abar_t,
                cut_skips: Iterable[int] = (), cut_bottleneck: bool = False) -> dict:
    """One guided noise prediction for x_t (1, 1, H, W) at timestep t with the U-Net opened (and cut): the passes
    with the digit and without it in one batch of 2, as core.diffusion.sample makes them. Returns the guided "eps"
    and the clean image it implies, "x0_hat" (clipped to [-1, 1], as the sampler does), each (1, 1, H, W); "maps":
    each level's feature map of the pass with the digit (C, h, w); "concatenated": Probe.concatenated."""
    labels = torch.tensor([digit, no_label], device=x_t.device)
    with opened(unet, cut_skips, cut_bottleneck) as probe:
        eps = unet(torch.cat([x_t, x_t]), torch.tensor(t), class_labels=labels).sample         # (2, 1, H, W)
    eps = guided_noise(eps[:1], eps[1:], w)                                                   # (1, 1, H, W)
    abar_t = torch.as_tensor(abar_t).to(x_t.device)
    x0_hat = ((x_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()).clamp(-1, 1)                 # the sampler's guess
    return {"eps": eps, "x0_hat": x0_hat, "maps": {name: m[0] for name, m in probe.maps.items()},
            "concatenated": probe.concatenated}
