"""Native, differentiable MAT generator (Mask-Aware Transformer, Li et al., CVPR 2022), state_dict-compatible with
the official ``Generator`` of ``networks/mat.py`` built without per-layer noise (``use_noise=False``, as IOPaint,
spandrel and ComfyUI build it), and so with the released ``Places_512_FullData_G.pth``.

MAT fills a hole in two stages, both fed ``[known - 0.5, image * known]`` with the image in [-1, 1] and ``known``
1 outside the hole:

* **a coarse stage** at width ``dim``: partial convolutions (each output rescaled by how many known pixels its
  window saw, the mask grown as it goes) bring the image down to a 64 x 64 token grid (at the config's
  resolution), five stages of Swin-style window attention run on grids of 64, 32, 16, 32 and 64 tokens, keys of
  still-unknown tokens pushed out of the attention (-100) until a window holds a known token, and a style-modulated
  decoder brings the grid back up to an image;
* **a refining stage**: a plain convolutional encoder (down to 16 x 16) reads the image with the coarse fill in its
  hole, and a StyleGAN2 decoder adds its skips back, scale by scale, accumulating its RGB output.

A latent ``z`` is mapped to a style vector ``w`` (StyleGAN2's mapping network) that, with a "global style" pooled
from the features, modulates both decoders. Both stages keep, at random, half of the entries of one feature map
(the coarse stage's tokens on their smallest grid, the refining stage's 16 px features) and replace the rest by a
learnt map made from ``w``: the official code does it with ``F.dropout`` left in training mode at inference, so
the output depends on the random draw as well as on ``z``. Here the two 0/1 masks are drawn from a
``torch.Generator`` the caller passes, in the order the official code or IOPaint's copy of it draws them (see
:class:`MatGenerator`): the same generator state keeps the same entries.

The network runs on images whose sides are multiples of the config's resolution (the windows must tile the token
grids); at another size than the resolution the shifted windows' attention masks are recomputed, as the official
code does. Inference only: no discriminator, no noise inputs, no truncation (``mapping.w_avg`` is kept for the key
layout, unread).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

#: The coarse stage's transformer: blocks per stage, each stage's window side and token grid side (at the config's
#: resolution); a stage whose grid differs from the one before starts by halving or doubling it.
DEPTHS = (2, 3, 4, 3, 2)
WINDOWS = (8, 16, 16, 16, 8)
GRIDS = (64, 32, 16, 32, 64)
HEADS = 6
#: The learnt maps that replace the dropped entries are made at 16 x 16 (``to_square``).
SQUARE = 16
#: StyleGAN2's conventions: leaky ReLU times sqrt(2); the mapping network's learning-rate multiplier (a run-time
#: gain on its weights and biases); the binomial filter of every resampling step.
SLOPE = 0.2
GAIN = math.sqrt(2.0)
MAPPING_LR = 0.01
BINOMIAL = (1.0, 3.0, 3.0, 1.0)
#: The largest resolution a file may declare (the release is 512 px): beyond it, a crafted file.
MAX_RESOLUTION = 1024
#: The orders the coarse stage's random mask can be drawn in (see :class:`MatGenerator`).
MASK_ORDERS = ("official", "iopaint")
#: What a shifted window adds to the attention between tokens from different regions, and a known-less key adds.
MASKED = -100.0


def check_resolution(resolution: int) -> None:
    """A ValueError unless ``resolution`` is one a MAT generator can have: a power of two from 128 px up to
    :data:`MAX_RESOLUTION`."""
    if resolution < 128 or resolution > MAX_RESOLUTION or resolution & (resolution - 1):
        raise ValueError(f"not a MAT generator of a known resolution: a power of two from 128 to {MAX_RESOLUTION} "
                         f"px, not {resolution}")


@dataclass(frozen=True)
class MatConfig:
    """A MAT generator's sizes; the defaults are the released Places 512 model's.

    ``channels`` pairs each side of the refining stage (16 px up to ``resolution``) with its width;
    ``global_style`` is the width of the refining stage's global style (twice the official table's 4 px entry).
    """

    resolution: int = 512
    dim: int = 180
    channels: tuple[tuple[int, int], ...] = ((16, 512), (32, 512), (64, 512), (128, 256), (256, 128), (512, 64))
    global_style: int = 1024
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 8

    def __post_init__(self) -> None:
        check_resolution(self.resolution)
        if self.dim % HEADS:
            raise ValueError(f"MAT's width ({self.dim}) must be a multiple of its {HEADS} attention heads")
        if tuple(side for side, _ in self.channels) != self.sides:
            raise ValueError(f"MAT's channels must list the sides {self.sides}")

    @property
    def sides(self) -> tuple[int, ...]:
        """The refining stage's sides, from 16 px up."""
        return tuple(SQUARE << i for i in range(int(math.log2(self.resolution // SQUARE)) + 1))

    def width(self, side: int) -> int:
        """The refining stage's width at ``side``."""
        return dict(self.channels)[side]


def activate(x: torch.Tensor) -> torch.Tensor:
    """StyleGAN2's leaky ReLU, times sqrt(2)."""
    return F.leaky_relu(x, SLOPE) * GAIN


def binomial_filter() -> torch.Tensor:
    """The 4x4 binomial filter, summing to 1 (``resample_filter``)."""
    taps = torch.tensor(BINOMIAL)
    kernel = torch.outer(taps, taps)
    return kernel / kernel.sum()


def blur(x: torch.Tensor, kernel: torch.Tensor, pad: int) -> torch.Tensor:
    """Every channel padded with ``pad`` zeros and filtered with the 4x4 ``kernel``."""
    channels = x.shape[1]
    return F.conv2d(x, kernel.to(x.dtype).expand(channels, 1, 4, 4), padding=pad, groups=channels)


def upsample(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Double the side: zeros between the pixels, filtered with the binomial ``kernel`` at a gain of 4."""
    channels = x.shape[1]
    weight = (kernel * 4).to(x.dtype).expand(channels, 1, 4, 4)
    return F.conv_transpose2d(x, weight, stride=2, padding=1, groups=channels)


def resampling_conv(x: torch.Tensor, weight: torch.Tensor, kernel: torch.Tensor, up: bool = False,
                    down: bool = False, groups: int = 1) -> torch.Tensor:
    """StyleGAN2's convolution with resampling, for MAT's (3x3 when it resamples): halving blurs, then convolves
    with a stride of 2; doubling convolves transposed with a stride of 2, then blurs at a gain of 4."""
    if down:
        return F.conv2d(blur(x, kernel, 2), weight, stride=2, groups=groups)
    if up:
        width_out, per_group, size = weight.shape[0] // groups, weight.shape[1], weight.shape[-1]
        weight = weight.reshape(groups, width_out, per_group, size, size).transpose(1, 2)
        weight = weight.reshape(groups * per_group, width_out, size, size).flip(2, 3)
        return blur(F.conv_transpose2d(x, weight, stride=2, groups=groups), kernel * 4, 1)
    return F.conv2d(x, weight, padding=weight.shape[-1] // 2, groups=groups)


class Dense(nn.Module):
    """A fully connected layer whose weights are scaled at run time by ``lr / sqrt(fan-in)`` (and its biases by
    ``lr``), optionally activated."""

    def __init__(self, width_in: int, width_out: int, activated: bool = False, lr: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(width_out, width_in))
        self.bias = nn.Parameter(torch.zeros(width_out))
        self.weight_gain = lr / math.sqrt(width_in)
        self.bias_gain = lr
        self.activated = activated

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        return activate(x) if self.activated else x


class Conv(nn.Module):
    """A convolution whose weights are scaled at run time by ``1 / sqrt(fan-in)``, optionally halving or doubling
    the side, activated unless told otherwise."""

    def __init__(self, width_in: int, width_out: int, size: int = 3, activated: bool = True, up: bool = False,
                 down: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(width_out, width_in, size, size))
        self.bias = nn.Parameter(torch.zeros(width_out))
        self.register_buffer("resample_filter", binomial_filter())
        self.weight_gain = 1 / math.sqrt(width_in * size * size)
        self.activated, self.up, self.down = activated, up, down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = resampling_conv(x, self.weight * self.weight_gain, self.resample_filter, self.up, self.down)
        x = x + self.bias[:, None, None]
        return activate(x) if self.activated else x


class PartialConv(nn.Module):
    """An activated 3x3 convolution that, given the known pixels (1) of its input, rescales each output by nine
    over the number of known pixels its window saw (zero where it saw none) and returns the grown mask."""

    def __init__(self, width_in: int, width_out: int, up: bool = False, down: bool = False) -> None:
        super().__init__()
        self.conv = Conv(width_in, width_out, up=up, down=down)
        self.stride = 2 if down else 1

    def forward(self, x: torch.Tensor, known: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.conv(x)
        if known is None:
            return x, None
        with torch.no_grad():
            seen = F.conv2d(known, known.new_ones(1, 1, 3, 3), stride=self.stride, padding=1)
            known = seen.clamp(0, 1)
            ratio = 9 / (seen + 1e-8) * known
        return x * ratio, known


class ModulatedConv(nn.Module):
    """StyleGAN2's modulated convolution: weights scaled per input channel by an affine map of the style,
    optionally demodulated (each output's weights to unit norm), optionally doubling the side."""

    def __init__(self, width_in: int, width_out: int, size: int, style_dim: int, demodulate: bool = True,
                 up: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, width_out, width_in, size, size))
        self.register_buffer("resample_filter", binomial_filter())
        self.affine = Dense(style_dim, width_in)
        self.weight_gain = 1 / math.sqrt(width_in * size * size)
        self.demodulate, self.up = demodulate, up

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        batch, width_in, height, width = x.shape
        weight = self.weight * self.weight_gain * self.affine(style).view(batch, 1, width_in, 1, 1)
        if self.demodulate:
            weight = weight * (weight.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8).rsqrt()
        weight = weight.reshape(-1, width_in, *weight.shape[-2:])
        x = resampling_conv(x.reshape(1, -1, height, width), weight, self.resample_filter, up=self.up, groups=batch)
        return x.view(batch, -1, *x.shape[-2:])


class StyleConv(nn.Module):
    """A demodulated 3x3 convolution, optionally doubling the side, plus a bias, activated."""

    def __init__(self, width_in: int, width_out: int, style_dim: int, up: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv(width_in, width_out, 3, style_dim, up=up)
        self.bias = nn.Parameter(torch.zeros(width_out))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return activate(self.conv(x, style) + self.bias[:, None, None])


class ToRGB(nn.Module):
    """The RGB of a scale (a modulated 1x1 convolution, not demodulated), plus the previous scale's doubled."""

    def __init__(self, width_in: int, style_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(width_in, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(3))
        self.register_buffer("resample_filter", binomial_filter())

    def forward(self, x: torch.Tensor, style: torch.Tensor, rgb: torch.Tensor | None) -> torch.Tensor:
        out = self.conv(x, style) + self.bias[:, None, None]
        return out if rgb is None else out + upsample(rgb, self.resample_filter)


class StyleBlock(nn.Module):
    """A decoder scale: a doubling style convolution, the encoder's skip added, a second style convolution, and
    the RGB so far."""

    def __init__(self, width_in: int, width_out: int, style_dim: int) -> None:
        super().__init__()
        self.conv0 = StyleConv(width_in, width_out, style_dim, up=True)
        self.conv1 = StyleConv(width_out, width_out, style_dim)
        self.toRGB = ToRGB(width_out, style_dim)

    def forward(self, x: torch.Tensor, rgb: torch.Tensor | None, style: torch.Tensor,
                skip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv1(self.conv0(x, style) + skip, style)
        return x, self.toRGB(x, style, rgb)


def partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """B x H x W x C maps to the tokens of their windows: (B * windows) x window² x C, windows row by row."""
    batch, height, width, channels = x.shape
    x = x.reshape(batch, height // window, window, width // window, window, channels).transpose(2, 3)
    return x.reshape(-1, window * window, channels)


def unpartition(windows: torch.Tensor, window: int, height: int, width: int) -> torch.Tensor:
    """The inverse of :func:`partition`: B x H x W x C maps."""
    channels = windows.shape[-1]
    x = windows.reshape(-1, height // window, width // window, window, window, channels).transpose(2, 3)
    return x.reshape(-1, height, width, channels)


def shift_mask(height: int, width: int, window: int, shift: int) -> torch.Tensor:
    """The attention mask of windows shifted cyclically by ``shift`` on a height x width grid: -100 between tokens
    the shift brought together from different regions of the grid, 0 else (windows x window² x window²)."""
    def regions(side: int) -> torch.Tensor:
        index = torch.zeros(side)
        index[side - window:] = 1
        index[side - shift:] = 2
        return index

    label = partition((regions(height)[:, None] * 3 + regions(width))[None, :, :, None], window).squeeze(-1)
    return torch.where(label[:, :, None] == label[:, None, :], 0.0, MASKED)


class Mlp(nn.Module):
    """Two dense layers, the first activated."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = Dense(dim, hidden, activated=True)
        self.fc2 = Dense(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(x))


class WindowAttention(nn.Module):
    """Multi-head self-attention within each window; queries and keys read unit-normalised tokens."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.q = Dense(dim, dim)
        self.k = Dense(dim, dim)
        self.v = Dense(dim, dim)
        self.proj = Dense(dim, dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        windows, tokens, dim = x.shape
        unit = F.normalize(x, dim=-1)

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(windows, tokens, HEADS, dim // HEADS).transpose(1, 2)

        out = F.scaled_dot_product_attention(heads(self.q(unit)), heads(self.k(unit)), heads(self.v(x)),
                                             attn_mask=bias, scale=(dim // HEADS) ** -0.5)
        return self.proj(out.transpose(1, 2).reshape(windows, tokens, dim))


class SwinBlock(nn.Module):
    """Window attention (windows shifted by half a window in every other block), fused with its input by a dense
    layer, then an MLP (no residual around it). Given the known tokens, keys of unknown ones are pushed out of the
    attention, and a window with any known token becomes known."""

    def __init__(self, dim: int, grid: int, window: int, shift: int) -> None:
        super().__init__()
        self.grid, self.window, self.shift = grid, window, shift
        if shift:
            self.register_buffer("attn_mask", shift_mask(grid, grid, window, shift))
        self.attn = WindowAttention(dim)
        self.fuse = Dense(2 * dim, dim, activated=True)
        self.mlp = Mlp(dim, 2 * dim)

    def forward(self, x: torch.Tensor, known: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x``: B x H x W x C tokens; ``known``: B x H x W x 1 or None."""
        batch, height, width, _ = x.shape
        shortcut, roll = x, (-self.shift, -self.shift)
        if self.shift:
            x = torch.roll(x, roll, dims=(1, 2))
            known = None if known is None else torch.roll(known, roll, dims=(1, 2))
        with torch.no_grad():
            bias, known = self._attention_bias(batch, height, width, known, x.dtype)
        x = unpartition(self.attn(partition(x, self.window), bias), self.window, height, width)
        if self.shift:
            x = torch.roll(x, (self.shift, self.shift), dims=(1, 2))
            known = None if known is None else torch.roll(known, (self.shift, self.shift), dims=(1, 2))
        return self.mlp(self.fuse(torch.cat([shortcut, x], dim=-1))), known

    def _attention_bias(self, batch: int, height: int, width: int, known: torch.Tensor | None,
                        dtype: torch.dtype) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """What the attention adds ((B * windows) x 1 x window² x window², or None), and the known tokens after it."""
        bias = None
        if self.shift:
            shifted = self.attn_mask if (height, width) == (self.grid, self.grid) else shift_mask(
                height, width, self.window, self.shift).to(self.attn_mask)
            bias = shifted.to(dtype).repeat(batch, 1, 1)[:, None]
        if known is None:
            return bias, None
        seen = partition(known, self.window)  # windows x tokens x 1, 0 or 1 (in between only for a soft mask)
        keys = torch.where(seen == 0, MASKED, torch.where(seen == 1, 0.0, seen)).to(dtype).transpose(1, 2)[:, None]
        bias = keys if bias is None else bias + keys
        seen = seen.sum(dim=1, keepdim=True).clamp(0, 1).expand_as(seen)
        return bias, unpartition(seen, self.window, height, width)


class Resample(nn.Module):
    """Halve or double a token grid (a partial convolution)."""

    def __init__(self, dim: int, up: bool) -> None:
        super().__init__()
        self.conv = PartialConv(dim, dim, up=up, down=not up)

    def forward(self, x: torch.Tensor, known: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.conv(x, known)


class TransformerStage(nn.Module):
    """A grid resampled if the stage says so, Swin blocks, and a partial convolution, around a residual."""

    def __init__(self, dim: int, index: int) -> None:
        super().__init__()
        grid, window = GRIDS[index], WINDOWS[index]
        if index and grid != GRIDS[index - 1]:
            self.downsample = Resample(dim, up=grid > GRIDS[index - 1])
        else:
            self.downsample = None
        shift = window // 2 if window < grid else 0  # a window that covers the grid does not shift
        self.blocks = nn.ModuleList(SwinBlock(dim, grid, min(window, grid), shift * (i % 2))
                                    for i in range(DEPTHS[index]))
        self.conv = PartialConv(dim, dim)

    def forward(self, x: torch.Tensor, known: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x``: B x C x H x W; ``known``: B x 1 x H x W or None."""
        if self.downsample is not None:
            x, known = self.downsample(x, known)
        identity, x = x, x.permute(0, 2, 3, 1)
        known = None if known is None else known.permute(0, 2, 3, 1)
        for block in self.blocks:
            x, known = block(x, known)
        known = None if known is None else known.permute(0, 3, 1, 2)
        x, known = self.conv(x.permute(0, 3, 1, 2), known)
        return x + identity, known


def keep_half(x: torch.Tensor, draw: torch.Generator | None, tokens_first: bool = False) -> torch.Tensor:
    """A 0/1 map like the B x C x H x W ``x``, each entry 1 with probability 1/2, drawn from ``draw`` (None: torch's
    default generator) as the official ``F.dropout(0.5 * ones_like(x), training=True)`` draws it on the CPU
    (``empty_like(x).bernoulli_(0.5)``, then doubled): in the memory order of the tensor it drops from, a
    contiguous B x C x H x W map, or with ``tokens_first`` a contiguous B x HW x C token sequence."""
    if not tokens_first:
        return torch.empty_like(x, memory_format=torch.contiguous_format).bernoulli_(0.5, generator=draw)
    return keep_half(x.permute(0, 2, 3, 1), draw).permute(0, 3, 1, 2)


class FirstStage(nn.Module):
    """The coarse stage: partial convolutions down to the 64-token grid, the transformer, its middle half replaced
    by a map made from ``w``, and a style-modulated decoder back to an image fed the encoder's skips."""

    def __init__(self, config: MatConfig) -> None:
        super().__init__()
        dim, halvings = config.dim, int(math.log2(config.resolution // GRIDS[0]))
        self.conv_first = PartialConv(4, dim)
        self.enc_conv = nn.ModuleList(PartialConv(dim, dim, down=True) for _ in range(halvings))
        self.tran = nn.ModuleList(TransformerStage(dim, index) for index in range(len(DEPTHS)))
        self.down_conv = nn.Sequential(*(Conv(dim, dim, down=True) for _ in range(int(math.log2(SQUARE)))))
        self.to_style = Dense(dim, 2 * dim, activated=True)
        self.ws_style = Dense(config.w_dim, dim, activated=True)
        self.to_square = Dense(dim, SQUARE * SQUARE, activated=True)
        self.dec_conv = nn.ModuleList(StyleBlock(dim, dim, 3 * dim) for _ in range(halvings))

    def forward(self, image: torch.Tensor, known: torch.Tensor, w: torch.Tensor, draw: torch.Generator | None,
                tokens_first: bool) -> torch.Tensor:
        x, mask = self.conv_first(torch.cat([known - 0.5, image * known], dim=1), known)
        skips = [x]
        for conv in self.enc_conv:
            x, mask = conv(x, mask)
            skips.append(x)
        skips.pop()  # the grid the transformer starts from
        x, mask = self.tran[0](x, mask)
        fine = x
        x, mask = self.tran[1](x, mask)
        coarse = x
        x, style = self._mix(self.tran[2](x, None)[0], w, draw, tokens_first)
        x = self.tran[3](x, None)[0] + coarse
        x = self.tran[4](x, None)[0] + fine
        rgb = None
        for block, skip in zip(self.dec_conv, reversed(skips), strict=True):
            x, rgb = block(x, rgb, style, skip)
        return rgb * (1 - known) + image * known

    def _mix(self, x: torch.Tensor, w: torch.Tensor, draw: torch.Generator | None,
             tokens_first: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Half the middle's tokens replaced by a map made from ``w`` (stretched linearly over the tokens taken row
        by row), and the decoder's style: the result's global style, then ``w``'s."""
        batch, _, height, width = x.shape
        keep = keep_half(x, draw, tokens_first)
        ws = self.ws_style(w)
        filler = F.interpolate(self.to_square(ws)[:, None], size=height * width, mode="linear", align_corners=False)
        x = x * keep + filler.view(batch, 1, height, width) * (1 - keep)
        return x, torch.cat([self.to_style(self.down_conv(x).mean(dim=(2, 3))), ws], dim=1)


class FromImage(nn.Module):
    """The refining encoder's first block: a 1x1 then a 3x3 convolution."""

    def __init__(self, width_in: int, width_out: int) -> None:
        super().__init__()
        self.conv0 = Conv(width_in, width_out, size=1)
        self.conv1 = Conv(width_out, width_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1(self.conv0(x))


class DownBlock(nn.Module):
    """A refining encoder block: a halving then a plain 3x3 convolution."""

    def __init__(self, width_in: int, width_out: int) -> None:
        super().__init__()
        self.conv0 = Conv(width_in, width_out, down=True)
        self.conv1 = Conv(width_out, width_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1(self.conv0(x))


class Encoder(nn.Module):
    """Blocks ``EncConv_Block_{side}x{side}`` from the resolution down to 16 px; every block's output is a skip."""

    def __init__(self, config: MatConfig) -> None:
        super().__init__()
        self.sides = config.sides[::-1]
        for side in self.sides:
            if side == config.resolution:
                block = FromImage(7, config.width(side))
            else:
                block = DownBlock(config.width(2 * side), config.width(side))
            setattr(self, f"EncConv_Block_{side}x{side}", block)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        features = {}
        for side in self.sides:
            x = features[side] = getattr(self, f"EncConv_Block_{side}x{side}")(x)
        return features


class GlobalStyle(nn.Module):
    """The refining stage's global style: three halving convolutions, an average, a dense layer."""

    def __init__(self, width: int, width_out: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(*(Conv(width, width, down=True) for _ in range(3)))
        self.fc = Dense(width, width_out, activated=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).mean(dim=(2, 3)))


class FirstDecoderBlock(nn.Module):
    """The refining decoder at 16 px: a convolution of the encoder's features plus themselves, a style
    convolution, and the first RGB."""

    def __init__(self, width: int, style_dim: int) -> None:
        super().__init__()
        self.conv0 = Conv(width, width)
        self.conv1 = StyleConv(width, width, style_dim)
        self.toRGB = ToRGB(width, style_dim)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv1(self.conv0(x) + x, style)
        return x, self.toRGB(x, style, None)


class Decoder(nn.Module):
    """Blocks ``Dec_16x16`` up to ``Dec_{resolution}x{resolution}``, styled by ``w`` then the global style."""

    def __init__(self, config: MatConfig, style_dim: int) -> None:
        super().__init__()
        self.sides = config.sides[1:]
        self.Dec_16x16 = FirstDecoderBlock(config.width(SQUARE), style_dim)
        for side in self.sides:
            setattr(self, f"Dec_{side}x{side}", StyleBlock(config.width(side // 2), config.width(side), style_dim))

    def forward(self, features: dict[int, torch.Tensor], style: torch.Tensor) -> torch.Tensor:
        x, rgb = self.Dec_16x16(features[SQUARE], style)
        for side in self.sides:
            x, rgb = getattr(self, f"Dec_{side}x{side}")(x, rgb, style, features[side])
        return rgb


class Synthesis(nn.Module):
    """The two stages: the coarse fill, then the refining encoder-decoder on the image with that fill in its hole,
    half its 16 px features replaced by a map made from ``w``."""

    def __init__(self, config: MatConfig) -> None:
        super().__init__()
        self.first_stage = FirstStage(config)
        self.enc = Encoder(config)
        self.to_square = Dense(config.w_dim, SQUARE * SQUARE, activated=True)
        self.to_style = GlobalStyle(config.width(SQUARE), config.global_style)
        self.dec = Decoder(config, config.w_dim + config.global_style)

    def forward(self, image: torch.Tensor, known: torch.Tensor, w: torch.Tensor, draw: torch.Generator | None,
                tokens_first: bool) -> torch.Tensor:
        coarse = self.first_stage(image, known, w, draw, tokens_first)
        kept = image * known
        features = self.enc(torch.cat([known - 0.5, kept + coarse * (1 - known), kept], dim=1))
        middle = features[SQUARE]
        keep = keep_half(middle, draw)
        filler = F.interpolate(self.to_square(w).view(-1, 1, SQUARE, SQUARE), size=middle.shape[-2:],
                               mode="bilinear", align_corners=False)
        middle = features[SQUARE] = middle * keep + filler * (1 - keep)
        rgb = self.dec(features, torch.cat([w, self.to_style(middle)], dim=1))
        return rgb * (1 - known) + image * known


class Mapping(nn.Module):
    """StyleGAN2's mapping network: ``z`` normalised to a unit second moment, then activated dense layers at a
    learning-rate multiplier of 0.01."""

    def __init__(self, config: MatConfig) -> None:
        super().__init__()
        widths = [config.z_dim] + [config.w_dim] * config.mapping_layers
        for index in range(config.mapping_layers):
            setattr(self, f"fc{index}", Dense(widths[index], widths[index + 1], activated=True, lr=MAPPING_LR))
        self.layers = config.mapping_layers
        self.register_buffer("w_avg", torch.zeros(config.w_dim))  # the truncation centre: in the file, unread

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z.float()
        x = (z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()).to(self.fc0.weight.dtype)
        for index in range(self.layers):
            x = getattr(self, f"fc{index}")(x)
        return x


class MatGenerator(nn.Module):
    """MAT: an image in [-1, 1] (B x 3 x H x W, sides multiples of the config's resolution), its known pixels
    (B x 1 x H x W, 1 known, 0 hole) and a latent (1 or B x z_dim) to the filled image in [-1, 1], the known pixels
    kept as they are.

    ``masks_like`` says in which order the coarse stage's random mask is drawn from the generator, which decides
    which entries a given draw keeps: ``"official"``, as the official code draws it (channel by channel for one
    image, token by token for a batch, as the memory layouts its convolutions return happen to be), or
    ``"iopaint"``, as IOPaint's and spandrel's copies of it draw it (token by token always: their partial
    convolutions' weights are channels-last, a positional argument having landed on ``channels_last``).
    """

    def __init__(self, config: MatConfig, masks_like: str = "official") -> None:
        super().__init__()
        if masks_like not in MASK_ORDERS:
            raise ValueError(f"masks_like is one of {', '.join(MASK_ORDERS)}, not {masks_like!r}")
        self.config = config
        self.masks_like = masks_like
        self.synthesis = Synthesis(config)
        self.mapping = Mapping(config)

    def forward(self, image: torch.Tensor, known: torch.Tensor, latent: torch.Tensor,
                draw: torch.Generator | None = None) -> torch.Tensor:
        """``draw``: the generator of the two random 0/1 masks (None: torch's default one)."""
        side = self.config.resolution
        height, width = image.shape[-2:]
        if height % side or width % side or not height or not width:
            raise ValueError(f"MAT runs on sides that are multiples of {side} px, not {width}x{height}")
        w = self.mapping(latent).expand(image.shape[0], -1)
        tokens_first = self.masks_like == "iopaint" or image.shape[0] > 1
        return self.synthesis(image, known, w, draw, tokens_first)


def infer_config(state: dict[str, torch.Tensor]) -> MatConfig:
    """The configuration a generator's tensors (prefix already stripped) are for, or a ValueError."""
    pattern = re.compile(r"synthesis\.enc\.EncConv_Block_(\d+)x\1\.conv1\.weight")
    sides = sorted(int(match[1]) for key in state if (match := pattern.fullmatch(key)))
    layers = sum(1 for key in state if re.fullmatch(r"mapping\.fc\d+\.weight", key))
    if not sides:
        raise ValueError("not a MAT generator (no encoder blocks EncConv_Block_*)")
    check_resolution(sides[-1])  # before any tensor is looked up: a crafted file may name nothing else
    try:
        return MatConfig(
            resolution=sides[-1],
            dim=state["synthesis.first_stage.conv_first.conv.weight"].shape[0],
            channels=tuple((side, state[f"synthesis.enc.EncConv_Block_{side}x{side}.conv1.weight"].shape[0])
                           for side in sides),
            global_style=state["synthesis.to_style.fc.weight"].shape[0],
            z_dim=state["mapping.fc0.weight"].shape[1],
            w_dim=state[f"mapping.fc{layers - 1}.weight"].shape[0],
            mapping_layers=layers,
        )
    except KeyError as missing:
        raise ValueError(f"not a MAT generator (no tensor {missing})") from None
