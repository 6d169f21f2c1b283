"""The noise generator's network: a small U-Net whose head mixes the model's grid patterns, within the
budget, in one pass; its architecture and the bounds a file may declare."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from guardpaint.errors import ModelError
from guardpaint.models.noise_generator.inputs import INPUTS, PHASE_CHANNELS, phase_channels

#: Bounds of the architecture a file may declare (a crafted one could declare anything).
LIMITS = {"width": 128, "depth": 5, "blocks": 8}



@dataclass(frozen=True)
class GeneratorConfig:
    """The architecture: ``width`` channels at full resolution, doubled at each of ``depth`` downsamplings,
    ``blocks`` residual blocks at the bottom."""

    width: int = 32
    depth: int = 3
    blocks: int = 2

    def checked(self) -> GeneratorConfig:
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= limit:
                raise ModelError(f"noise generator {name} {value!r} is outside 1-{limit}")
        return self


def _conv(inputs: int, outputs: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, stride, 1, padding_mode="reflect"), nn.LeakyReLU(0.2))


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv(channels, channels), nn.Conv2d(channels, channels, 3, 1, 1,
                                                                       padding_mode="reflect"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class NoiseNetwork(nn.Module):
    """A U-Net: encoder, residual bottom, decoder with skips. Its head gives, per colour channel and pixel, a
    coefficient for a constant plane and for each phase plane; their sum, through tanh, scales the budget.
    The noise is thus a locally modulated mixture of the model's grid patterns (any noise at all, through
    the constant plane's coefficient): turning a grid pattern on with a sign the content decides is one
    product, which a stack of convolutions and LeakyReLUs would otherwise have to learn to approximate."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig()) -> None:
        super().__init__()
        self.config = config.checked()
        widths = [config.width * 2**level for level in range(config.depth + 1)]
        self.stem = _conv(INPUTS + PHASE_CHANNELS, widths[0])
        self.down = nn.ModuleList(nn.Sequential(_conv(widths[i], widths[i + 1], 2), _conv(widths[i + 1], widths[i + 1]))
                                  for i in range(config.depth))
        self.bottom = nn.Sequential(*(_Residual(widths[-1]) for _ in range(config.blocks)))
        self.up = nn.ModuleList(_conv(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(config.depth)))
        # per colour channel, one coefficient map for a constant plane and one for each phase plane
        self.head = nn.Conv2d(widths[0], 3 * (1 + PHASE_CHANNELS), 3, 1, 1, padding_mode="reflect")
        # channels-last: the same values, 1.3x faster on a CPU at 512 px (loading and moving keep the layout)
        self.to(memory_format=torch.channels_last)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        height, width = features.shape[-2:]
        multiple = 2**self.config.depth
        x = F.pad(features, (0, -width % multiple, 0, -height % multiple), mode="replicate")
        phase = phase_channels(*x.shape[-2:], x.device, x.dtype)
        x = torch.cat([x, phase.expand(x.shape[0], -1, -1, -1)], dim=1).contiguous(memory_format=torch.channels_last)
        skips = [self.stem(x)]
        for layer in self.down:
            skips.append(layer(skips[-1]))
        x = self.bottom(skips.pop())
        for layer in self.up:
            skip = skips.pop()
            x = layer(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        coefficients = self.head(x).unflatten(1, (3, 1 + PHASE_CHANNELS))
        planes = torch.cat([torch.ones_like(phase[:, :1]), phase], dim=1).unsqueeze(1)
        return torch.tanh((coefficients * planes).sum(dim=2))[..., :height, :width]
