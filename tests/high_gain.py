"""A tiny inpainter with a known, high gain: the model the noise can move, for end-to-end tests.

Its fill is a smooth completion of the context (a normalised blur), shifted in logit space
by ``gain`` times the local amplitude of a per-channel checkerboard in the context. Natural
pictures have almost none, so clean edits look like a plausible blur; a checkerboard of a
few levels (exactly what the protection's noise can become) drives the fill to any colour.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from guardpaint.models.base import Inpainter
from guardpaint.models.kinds import LAMA, NetworkKind


class _HighGainNet(nn.Module):
    def __init__(self, gain: float, radius: int) -> None:
        super().__init__()
        self.gain = gain
        self.register_buffer("checker", torch.tensor([[1.0, -1.0], [-1.0, 1.0]]).expand(3, 1, 2, 2) / 4)
        self.radius = radius

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        """Box mean over a (2r+1)^2 window, zeros outside the image (running sums: fast at any radius)."""
        for dim in (-2, -1):
            x = self._box(x, dim)
        return x

    def _box(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        size, r = 2 * self.radius + 1, self.radius
        padding = [0, 0, 0, 0]
        padding[(-1 - dim) * 2:(-1 - dim) * 2 + 2] = [r + 1, r]
        sums = F.pad(x, padding).cumsum(dim)
        length = x.shape[dim]
        return (sums.narrow(dim, size, length) - sums.narrow(dim, 0, length)) / size

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        known = 1 - mask
        weight = self._blur(known).clamp_min(1e-3)
        base = (self._blur(image * known) / weight).clamp(0.02, 0.98)
        height, width = image.shape[-2:]
        carrier = 1 - 2 * ((torch.arange(height)[:, None] + torch.arange(width)[None, :]) % 2).to(image)
        response = F.conv2d(F.pad(image * known, (0, 1, 0, 1), mode="replicate"), self.checker, groups=3)
        valid = F.conv2d(F.pad(known, (0, 1, 0, 1), mode="replicate"), torch.ones_like(self.checker[:1]) / 4)
        amplitude = self._blur(response * carrier * (valid > 0.99)) / weight
        return torch.sigmoid(torch.logit(base) + self.gain * amplitude)


class HighGainInpainter(Inpainter):
    """Registered nowhere; built in tests only."""

    family = "test-high-gain"

    def __init__(self, gain: float = 400.0, radius: int = 15, name: str = "high-gain") -> None:
        super().__init__(name, torch.device("cpu"))
        self.net = _HighGainNet(gain, radius).eval()
        self.reach = radius + 1  # the box blur's radius and the 2 x 2 checkerboard

    @property
    def kind(self) -> NetworkKind:
        """Every editor runs it as it runs LaMa, the network it stands in for."""
        return LAMA

    @property
    def network(self) -> nn.Module:
        return self.net

    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(image, mask)

    def for_attack(self, save_memory: bool = False, dtype: torch.dtype = torch.float32) -> Inpainter:
        return self
