"""Hardening: random editor attacks, and IOPaint's resize view, as loss terms.

At the ``robust`` level every iteration adds one term per random editor attack: an imprecise
mask (a variation of one region, :mod:`guardpaint.core.editor.variations`) seen through the editor's
view of it, after one of the image attacks of :mod:`~guardpaint.core.protection.attacks` that has a
differentiable twin (JPEG, resizing, blurs, median, noise, curves, saturation, AdverseCleaner...) or none.
Samples come from a generator seeded by the protection's seed, so runs stay reproducible.
Optionally, for photos above 1280 px, IOPaint's resize view of the whole photo is one more term.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.core.editor.variations import mask_variations
from guardpaint.core.editor.views import View, editor_views
from guardpaint.core.protection.attacks import hardening_attacks
from guardpaint.core.protection.terms import Adversarial, LossTerm, Probe
from guardpaint.core.protection.windows import Plan
from guardpaint.errors import InputError

#: The share of random attacks with no image attack (the mask variation alone); the rest draw one attack with
#: a differentiable twin from the suite's list (attacks.py), each as likely.
NO_ATTACK_SHARE = 1 / 3
#: Draws before the sampler falls back to the whole window (its last draw always has a view).
MAX_DRAWS = 100

ImageTransform = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class AttackSample:
    """One random editor attack: a transform before the edit, a mask variation, and the view it is run on."""

    transform: str
    transform_fn: ImageTransform
    mask_name: str
    window: int  # index of the window the view lies in
    box: Box  # the view, in the window's coordinates
    mask: np.ndarray  # bool, box-sized: the variation inside the view
    cropped: bool  # a crop of the image (IOPaint's above 800 px, else by hand) rather than the whole frame

    def probe(self, target: torch.Tensor, device: torch.device) -> Probe:
        hole = mask_to_tensor(self.mask, device)
        return Probe(self.window, self.box, hole, target, hole, transform=self.transform_fn, batch=object())


class AttackSampler:
    """Draws :class:`AttackSample` s for one protection plan: the editor's view of a region's mask variation.

    Above 800 px the view is IOPaint's crop around one component of the variation (the window has
    room for it); on smaller images it is the whole frame, or with probability 1/2 the same crop,
    as a user cropping by hand would cut it.
    """

    def __init__(self, mask: np.ndarray, plan: Plan, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.attacks = hardening_attacks()
        self.plan = plan
        self.shape = mask.shape
        self.choices: list[tuple[int, str, np.ndarray]] = []  # (window, variation name, variation in window)
        for region in plan.regions:
            index = plan.window_of(region)
            window = plan.windows[index]
            variants = mask_variations(region.mask_in(window), seed)
            variants.pop("exact")  # the standard objective already covers the exact mask
            self.choices += [(index, name, variant) for name, variant in variants.items()]

    def _views(self, window: Box, variant: np.ndarray, cropped: bool) -> list[View]:
        """The editor's views of the variation that lie in the window."""
        views = editor_views(variant, "crop" if cropped else "full", self.shape, (window.top, window.left))
        return [view for view in views if window.contains(view.box)]

    def sample(self, active: list[int] | None = None) -> AttackSample:
        """One attack, on a region of the ``active`` windows (all when None)."""
        choices = self.choices if active is None else [c for c in self.choices if c[0] in active]
        for attempt in range(MAX_DRAWS):
            index, name, variant = choices[self.rng.integers(len(choices))]
            window = self.plan.windows[index]
            if self.rng.random() < NO_ATTACK_SHARE:
                transform, fn = "none", (lambda x: x)
            else:
                chosen = self.attacks[int(self.rng.integers(len(self.attacks)))]
                noise_seed = int(self.rng.integers(2**31))
                transform, fn = chosen.name, (lambda x, a=chosen, s=noise_seed: a.twin(x, s))
            cropped = (not self.plan.full_frame or self.rng.random() < 0.5) and attempt < MAX_DRAWS - 1
            views = self._views(window, variant, cropped)
            if views:
                view = views[self.rng.integers(len(views))]
                if view.mask.any() and not view.mask.all():
                    return AttackSample(transform, fn, name, index, view.box.relative_to(window), view.mask,
                                        cropped)
        raise InputError("no editor attack could be drawn for this mask; use the standard level")


class RandomAttacks:
    """``samples`` random editor attacks per iteration, each its own term of weight ``weight / samples``;
    every model of an ensemble is attacked with the same draws."""

    def __init__(self, mask: np.ndarray, plan: Plan, target: torch.Tensor, samples: int, weight: float,
                 seed: int, device: torch.device) -> None:
        self.sampler = AttackSampler(mask, plan, seed)
        self.target, self.samples, self.weight, self.device = target, samples, weight, device

    def draw(self, active: list[int] | None = None) -> list[LossTerm]:
        """This iteration's attacks, on the ``active`` windows (all when None)."""
        return [LossTerm("robust", self.weight / self.samples,
                         [self.sampler.sample(active).probe(self.target, self.device)]) for _ in range(self.samples)]


def resize_view_term(rgb: np.ndarray, mask: np.ndarray, windows: list[Box], target: torch.Tensor, weight: float,
                     device: torch.device) -> LossTerm:
    """IOPaint's resize view of the whole photo (above 1280 px): the fill after a cubic downscale, blended
    with the soft mask as IOPaint blends it, scored where the soft mask is at least 1/2 (about the pixels
    pasted back after upscaling). One pass over a 1280 px image per iteration."""
    (view,) = editor_views(mask, "resize")
    image = image_to_tensor(rgb, device)
    soft = torch.from_numpy(view.soft.astype(np.float32))[None, None].to(device)

    def downscaled(adversarial: Adversarial) -> torch.Tensor:
        frame = image.clone()
        for index, box in enumerate(windows):
            frame[(..., *box.slices)] = adversarial(index)
        return F.interpolate(frame, size=view.model_shape, mode="bicubic", align_corners=False).clamp(0, 1)

    hole = mask_to_tensor(view.hole, device)
    probe = Probe(None, None, hole, target, (soft >= 0.5).float(), source=downscaled, blend=soft, batch="resize")
    return LossTerm("resize view", weight, [probe])
