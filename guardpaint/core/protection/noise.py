"""The noise being optimised: one tensor per window, its budget, and the 8-bit image it would write.

Every evaluation sees ``round(clip(x + delta) * 255) / 255``, the pixels the file will hold, with
the gradient passed straight through the rounding and the clip (docs/method.md); for JPEG output
that image then goes through the differentiable JPEG at the file's quality.
"""
from __future__ import annotations

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.regions import Region
from guardpaint.core.editor.tensors import image_to_tensor, tensor_to_image
from guardpaint.core.protection.budget import GATE_FLOOR, base_share, influence_share
from guardpaint.core.protection.contexts import context_labels, window_members
from guardpaint.core.protection.jpeg import jpeg_approx
from guardpaint.core.protection.settings import LEVELS, ProtectionSettings

#: The budgets whose share is the full strength (before any gate): the reference's, and the uniform one.
FULL_BUDGETS = ("uniform", "reference")


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

    Each window is split into its regions' contexts (:mod:`~guardpaint.core.protection.contexts`). A
    pixel's budget is its region's strength (the largest change, on the [0, 1] scale) times the pixel's
    share (:mod:`~guardpaint.core.protection.budget`); a region's context can be frozen at given noise while
    other regions of its window are optimised. A grey image gets one channel of noise for all three, so it
    stays grey; pixels where ``fixed`` is True (fully transparent ones) have a budget of zero. The bounds
    are updated in place, so an optimisation captured once keeps reading them.
    """

    def __init__(self, rgb: np.ndarray, windows: list[Box], regions: list[Region], settings: ProtectionSettings,
                 device: torch.device, fixed: np.ndarray | None = None) -> None:
        self.rgb, self.windows, self.jpeg_quality = rgb, windows, settings.jpeg_quality
        self.members = window_members(windows, regions)
        self.region_windows = [0] * len(regions)
        for window, indices in enumerate(self.members):
            for index in indices:
                self.region_windows[index] = window
        self.labels = [context_labels(box, regions, members) for box, members in zip(windows, self.members,
                                                                                     strict=True)]
        self.contexts = [torch.from_numpy(labels)[None, None].to(device) for labels in self.labels]
        self.images = [image_to_tensor(rgb[box.slices], device) for box in windows]
        # At the standard level every malicious edit masks the region: noise on its own pixels is erased before
        # the model reads it (only the ring's edit reads them, and it wants them unchanged). The robust level's
        # eroded and partial masks read them.
        self.erased = None if settings.level == "robust" else [
            torch.from_numpy(np.logical_or.reduce([region.mask_in(box) for region in regions]))[None, None].to(device)
            for box in windows]
        self.texture_shares = [base_share(rgb[box.slices], "texture", device,
                                          None if fixed is None else fixed[box.slices]) for box in windows]
        self.full_shares = [base_share(rgb[box.slices], "uniform", device, None if fixed is None else fixed[box.slices])
                            for box in windows]
        self.shares = list(self.full_shares if settings.budget in FULL_BUDGETS else self.texture_shares)
        self.strengths = [settings.epsilon] * len(regions)  # per region
        grey = bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())
        channels = 1 if grey else 3
        self.deltas = [initial_noise((1, channels, *image.shape[-2:]), settings, index).to(device).requires_grad_(True)
                       for index, image in enumerate(self.images)]
        self.frozen: list[torch.Tensor | None] = [None] * len(windows)  # pixels held at ``values``
        self.values: list[torch.Tensor | None] = [None] * len(windows)
        self.budgets = [torch.empty_like(share) for share in self.shares]
        self.low = [torch.empty_like(delta, requires_grad=False) for delta in self.deltas]
        self.high = [torch.empty_like(delta, requires_grad=False) for delta in self.deltas]
        self._rebudget()

    def _strength_map(self, window: int) -> torch.Tensor | float:
        """The strength of each pixel of a window: its region's (one number when one region fills it)."""
        members = self.members[window]
        if len({self.strengths[index] for index in members}) == 1:
            return self.strengths[members[0]]
        table = torch.tensor(self.strengths, dtype=torch.float32, device=self.contexts[window].device)
        return table[self.contexts[window]]

    def _rebudget(self) -> None:
        """Recompute every window's budget and bounds from the strengths, shares and frozen pixels (in place)."""
        with torch.no_grad():
            for window, share in enumerate(self.shares):
                self.budgets[window].copy_(self._strength_map(window) * share)
                budget = self.budgets[window].expand_as(self.low[window])
                if self.frozen[window] is None:
                    self.low[window].copy_(-budget)
                    self.high[window].copy_(budget)
                else:
                    self.low[window].copy_(torch.where(self.frozen[window], self.values[window], -budget))
                    self.high[window].copy_(torch.where(self.frozen[window], self.values[window], budget))

    def set_strength(self, regions: list[int], strength: float) -> None:
        """Give ``regions`` (indices) the largest change ``strength``."""
        for index in regions:
            self.strengths[index] = strength
        self._rebudget()

    def _inside(self, window: int, regions: list[int]) -> torch.Tensor:
        """Whether each pixel of a window lies in the context of one of ``regions`` (1x1xhxw bool)."""
        chosen = [index for index in self.members[window] if index in regions]
        return torch.isin(self.contexts[window], torch.tensor(chosen, dtype=self.contexts[window].dtype,
                                                              device=self.contexts[window].device))

    def share_out(self, regions: list[int], budget: str, measured: bool) -> None:
        """Share the strength of ``regions`` out over their contexts by ``budget`` (settings.BUDGETS). With
        ``measured`` the gradient now in the noise (the objective's, at the current iterate) says how much each
        pixel acts on the edit, on each region's own scale (:func:`~guardpaint.core.protection.budget.influence_share`):
        ``adaptive`` multiplies the texture share by it, ``texture`` and ``uniform`` give their share only where
        it is above its floor, so no noise goes where the edit cannot read it; ``reference`` (the paper's) gives
        the full strength to every pixel. Without ``measured`` (a noise generator's start) nothing is gated."""
        for window, delta in enumerate(self.deltas):
            chosen = [i for i in self.members[window] if i in regions]
            if not chosen:
                continue
            base = self.full_shares[window] if budget in FULL_BUDGETS else self.texture_shares[window]
            if measured and budget != "reference" and delta.grad is not None:
                if budget == "adaptive":
                    base = base * influence_share(delta.grad, self.contexts[window])
                else:
                    gate = influence_share(delta.grad, self.contexts[window], GATE_FLOOR) > 0
                    base = torch.where(gate, base, 0.0)
                if self.erased is not None:  # the malicious edits erase the region itself
                    base = torch.where(self.erased[window], 0.0, base)
            if len(chosen) == len(self.members[window]):
                self.shares[window] = base
            else:
                self.shares[window] = torch.where(self._inside(window, chosen), base, self.shares[window])
        self._rebudget()

    def freeze(self, regions: list[int], deltas: list[torch.Tensor]) -> None:
        """Hold the noise of ``regions``' contexts at ``deltas`` (one per window); every other pixel is free."""
        for window, delta in enumerate(deltas):
            if any(index in regions for index in self.members[window]):
                self.frozen[window] = self._inside(window, regions)
                self.values[window] = delta.detach().clone()
            else:
                self.frozen[window] = self.values[window] = None
        self._rebudget()

    def project(self) -> None:
        """Clamp every window's noise to its budget (frozen pixels to their values), in place."""
        with torch.no_grad():
            for delta, low, high in zip(self.deltas, self.low, self.high, strict=True):
                torch.clamp(delta, low, high, out=delta)

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
