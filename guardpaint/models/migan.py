"""Native, differentiable MI-GAN generator (Picsart AI Research, ICCV 2023), state_dict-compatible with the
official inference module (``lib/model_zoo/migan_inference.py``) and so with its released weights
(``migan_512_places2.pt``, ``migan_256_places2.pt``, ``migan_256_ffhq.pt``) and IOPaint's traced
``migan_traced.pt``.

MI-GAN is a small encoder-decoder of depthwise-separable convolutions in StyleGAN2's manner: every block
halves (encoder) or doubles (decoder) the side with a fixed [1, 3, 3, 1] binomial filter, the decoder
adds a learnt amount of a fixed noise image per layer and accumulates its RGB output across scales. It
runs at one side only (256 or 512): the noise images and the upsampler's zero-insertion pattern are
buffers of that size. Its input is ``[known - 0.5, image * known]`` with the image in [-1, 1] and
``known`` 1 outside the hole; its output is an image in [-1, 1].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: The sides the released generators run at.
SIDES = (256, 512)
#: Channels of a block at side ``s``: ``min(CHANNEL_BASE // s, CHANNEL_MAX)`` (the official defaults).
CHANNEL_BASE = 32768
CHANNEL_MAX = 512
#: StyleGAN2's activation: leaky ReLU, a gain of sqrt(2), clamped.
SLOPE = 0.2
GAIN = math.sqrt(2.0)
CLAMP = 256.0
#: The binomial filter of every resampling step.
BINOMIAL = (1.0, 3.0, 3.0, 1.0)


def channels(side: int) -> int:
    """The width of the blocks at ``side``."""
    return min(CHANNEL_BASE // side, CHANNEL_MAX)


def activate(x: torch.Tensor) -> torch.Tensor:
    """Leaky ReLU times sqrt(2), clamped to +-256 (``lrelu_agc`` in the official code)."""
    return (F.leaky_relu(x, SLOPE) * GAIN).clamp(-CLAMP, CLAMP)


def binomial_kernel(gain: float) -> torch.Tensor:
    """The 4x4 binomial filter, summing to ``gain``: 1x1x4x4."""
    taps = torch.tensor(BINOMIAL)
    kernel = torch.outer(taps, taps)
    return (kernel / kernel.sum() * gain)[None, None]


def _depthwise(width: int, kernel: int, **options) -> nn.Conv2d:
    return nn.Conv2d(width, width, kernel, groups=width, bias=False, **options)


class Downsample2d(nn.Module):
    """Halve the side: the binomial filter, stride 2 (a depthwise convolution whose weights the file holds)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.filter = _depthwise(width, 4, stride=2, padding=1)
        with torch.no_grad():
            self.filter.weight.copy_(binomial_kernel(1.0).expand(width, 1, 4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.filter(x)


class Upsample2d(nn.Module):
    """Double the side: zeros inserted between the pixels (nearest upsampling times a 0/1 pattern, a buffer of
    the output's side), then the binomial filter with a gain of 4."""

    def __init__(self, width: int, side: int) -> None:
        super().__init__()
        pattern = torch.tensor([[1.0, 0.0], [0.0, 0.0]]).repeat(side // 2, side // 2)
        self.register_buffer("filter_const", pattern[None, None])
        self.filter = _depthwise(width, 4)
        with torch.no_grad():
            self.filter.weight.copy_(binomial_kernel(4.0).expand(width, 1, 4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest") * self.filter_const
        return self.filter(F.pad(x, (2, 1, 2, 1)))


class SeparableConv2d(nn.Module):
    """A 3x3 depthwise convolution, activated, optionally halved, a 1x1 convolution, optionally doubled, plus
    the layer's scaled noise image, activated."""

    def __init__(self, width_in: int, width_out: int, side: int = 0, down: bool = False, up: bool = False,
                 noise: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(width_in, width_in, 3, padding=1, groups=width_in)
        self.conv2 = nn.Conv2d(width_in, width_out, 1, bias=False)
        self.downsample = Downsample2d(width_in) if down else None
        self.upsample = Upsample2d(width_out, side) if up else None
        self.use_noise = noise
        if noise:
            self.register_buffer("noise_const", torch.randn(side, side))
            self.noise_strength = nn.Parameter(torch.zeros([]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = activate(self.conv1(x))
        if self.downsample is not None:
            x = self.downsample(x)
        x = self.conv2(x)
        if self.upsample is not None:
            x = self.upsample(x)
        if self.use_noise:
            x = x + self.noise_const * self.noise_strength
        return activate(x)


class EncoderBlock(nn.Module):
    """Two separable convolutions, the second halving the side (not in the last block); the first block also
    reads the 4-channel input through ``fromrgb``."""

    def __init__(self, width_in: int, width_out: int, reads_input: bool = False, down: bool = True) -> None:
        super().__init__()
        self.fromrgb = nn.Conv2d(4, width_in, 1) if reads_input else None
        self.conv1 = SeparableConv2d(width_in, width_in)
        self.conv2 = SeparableConv2d(width_in, width_out, down=down)

    def forward(self, x: torch.Tensor | None, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fromrgb is not None:
            read = activate(self.fromrgb(image))
            x = read if x is None else x + read
        feature = self.conv1(x)
        return self.conv2(feature), feature


class Encoder(nn.Module):
    """Blocks ``b{side}`` ... ``b8`` halving the side, then ``b4``; each block's first features feed the decoder."""

    def __init__(self, side: int) -> None:
        super().__init__()
        self.sides = [2 ** i for i in range(int(math.log2(side)), 2, -1)]
        for index, block_side in enumerate(self.sides):
            block = EncoderBlock(channels(block_side), channels(block_side // 2), reads_input=index == 0)
            setattr(self, f"b{block_side}", block)
        self.b4 = EncoderBlock(channels(4), channels(4), down=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        x, features = None, {}
        for block_side in [*self.sides, 4]:
            x, features[block_side] = getattr(self, f"b{block_side}")(x, image)
        return x, features


class SynthesisBlockFirst(nn.Module):
    """The decoder at 4 px: two separable convolutions around the encoder's features, and its RGB."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1 = SeparableConv2d(width, width)
        self.conv2 = SeparableConv2d(width, width)
        self.torgb = nn.Conv2d(width, 3, 1)

    def forward(self, x: torch.Tensor, feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv2(self.conv1(x) + feature)
        return x, self.torgb(x)


class SynthesisBlock(nn.Module):
    """The decoder at ``side``: upsampled features plus the encoder's, and the RGB so far upsampled plus this
    scale's."""

    def __init__(self, width_in: int, width_out: int, side: int) -> None:
        super().__init__()
        self.conv1 = SeparableConv2d(width_in, width_out, side, up=True, noise=True)
        self.conv2 = SeparableConv2d(width_out, width_out, side, noise=True)
        self.torgb = nn.Conv2d(width_out, 3, 1)
        self.upsample = Upsample2d(3, side)

    def forward(self, x: torch.Tensor, feature: torch.Tensor, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv2(self.conv1(x) + feature)
        return x, self.upsample(rgb) + self.torgb(x)


class Synthesis(nn.Module):
    """Blocks ``b4``, ``b8`` ... ``b{side}``."""

    def __init__(self, side: int) -> None:
        super().__init__()
        self.sides = [2 ** i for i in range(3, int(math.log2(side)) + 1)]
        self.b4 = SynthesisBlockFirst(channels(4))
        for block_side in self.sides:
            setattr(self, f"b{block_side}", SynthesisBlock(channels(block_side // 2), channels(block_side), block_side))

    def forward(self, x: torch.Tensor, features: dict[int, torch.Tensor]) -> torch.Tensor:
        x, rgb = self.b4(x, features[4])
        for block_side in self.sides:
            x, rgb = getattr(self, f"b{block_side}")(x, features[block_side], rgb)
        return rgb


class MiganGenerator(nn.Module):
    """MI-GAN at ``side`` px: a 1x4xSxS input (see the module's docstring) to a 1x3xSxS image in [-1, 1]."""

    def __init__(self, side: int = 512) -> None:
        super().__init__()
        if side not in SIDES:
            raise ValueError(f"MI-GAN runs at {' or '.join(map(str, SIDES))} px, not {side}")
        self.side = side
        self.synthesis = Synthesis(side)
        self.encoder = Encoder(side)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bottleneck, features = self.encoder(x)
        return self.synthesis(bottleneck, features)


def infer_side(state_dict: dict[str, torch.Tensor]) -> int:
    """The side a generator's tensors are for (prefix already stripped), or a ValueError."""
    sides = [side for side in SIDES if f"encoder.b{side}.fromrgb.weight" in state_dict]
    if len(sides) != 1:
        raise ValueError(f"not a MI-GAN generator of a known side ({' or '.join(map(str, SIDES))} px)")
    return sides[0]
