"""The noise being optimised: one tensor per window, its budget, and the 8-bit image it would write.

Every evaluation sees ``round(clip(x + delta) * 255) / 255``, the pixels the file will hold, with
the gradient passed straight through the rounding and the clip (docs/method.md); for JPEG output
that image then goes through the differentiable JPEG at the file's quality.
"""
from __future__ import annotations

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.tensors import image_to_tensor, tensor_to_image
from guardpaint.core.protection.budget import base_share, influence_share
from guardpaint.core.protection.jpeg import jpeg_approx
from guardpaint.core.protection.settings import ProtectionSettings

LEVELS = 255.0


def quantised_adversarial(image: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """``clip(x + delta)`` rounded to 8-bit levels; gradients pass straight through both."""
    raw = image + delta
    written = (raw.clamp(0, 1) * LEVELS).round() / LEVELS
    return raw + (written - raw).detach()


def initial_noise(shape: tuple[int, ...], settings: ProtectionSettings, window: int) -> torch.Tensor:
    """Uniform in [0, init_scale), seeded by the protection's seed and the window's index."""
    seeded = torch.Generator().manual_seed(settings.seed + 7919 * window)
    return torch.rand(shape, generator=seeded) * settings.init_scale


class WindowNoise:
    """The noise of every window of a protection (leaf tensors for the optimiser) and its budgets.

    A window's budget is its strength (the largest change, on the [0, 1] scale) times each pixel's share
    (:mod:`~guardpaint.core.protection.budget`). A grey image gets one channel of noise for all three, so it
    stays grey; pixels where ``fixed`` is True (fully transparent ones) have a budget of zero.
    """

    def __init__(self, rgb: np.ndarray, windows: list[Box], settings: ProtectionSettings, device: torch.device,
                 fixed: np.ndarray | None = None) -> None:
        self.rgb, self.windows, self.jpeg_quality = rgb, windows, settings.jpeg_quality
        self.images = [image_to_tensor(rgb[box.slices], device) for box in windows]
        self.shares = [base_share(rgb[box.slices], settings.budget, device,
                                  None if fixed is None else fixed[box.slices]) for box in windows]
        self.strengths = [settings.epsilon] * len(windows)
        self.budgets: list[torch.Tensor] = []
        self._rebudget()
        grey = bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())
        channels = 1 if grey else 3
        self.deltas = [initial_noise((1, channels, *image.shape[-2:]), settings, index).to(device).requires_grad_(True)
                       for index, image in enumerate(self.images)]

    def _rebudget(self) -> None:
        self.budgets = [strength * share for strength, share in zip(self.strengths, self.shares, strict=True)]

    def set_strength(self, windows: list[int], strength: float) -> None:
        """Give ``windows`` the largest change ``strength`` (their shares unchanged)."""
        for window in windows:
            self.strengths[window] = strength
        self._rebudget()

    def shape_by_influence(self) -> None:
        """Multiply every window's shares by each pixel's influence, measured from the gradient now in the
        noise (the objective's, at the first iterate): noise only where it acts."""
        self.shares = [share if delta.grad is None else share * influence_share(delta.grad)
                       for share, delta in zip(self.shares, self.deltas, strict=True)]
        self._rebudget()

    def project(self) -> None:
        """Clamp every window's noise to its budget, in place."""
        with torch.no_grad():
            for delta, budget in zip(self.deltas, self.budgets, strict=True):
                torch.clamp(delta, -budget, budget, out=delta)

    def zero_grad(self) -> None:
        for delta in self.deltas:
            delta.grad = None

    def adversarial(self, window: int) -> torch.Tensor:
        """The protected window as the file will hold it (after JPEG, for JPEG output)."""
        written = quantised_adversarial(self.images[window], self.deltas[window])
        return jpeg_approx(written, self.jpeg_quality) if self.jpeg_quality else written

    def clean(self, window: int) -> torch.Tensor:
        """The window without noise."""
        return self.images[window]

    def snapshot(self, window: int) -> torch.Tensor:
        return self.deltas[window].detach().clone()

    def restore(self, window: int, delta: torch.Tensor) -> None:
        """Set a window's noise back to a snapshot."""
        with torch.no_grad():
            self.deltas[window].copy_(delta)

    def written(self, deltas: list[torch.Tensor]) -> np.ndarray:
        """The full HxWx3 uint8 image with ``deltas`` (one per window) added: exactly what gets written."""
        protected = self.rgb.copy()
        for box, image, delta in zip(self.windows, self.images, deltas, strict=True):
            protected[box.slices] = tensor_to_image(quantised_adversarial(image, delta))
        return protected
