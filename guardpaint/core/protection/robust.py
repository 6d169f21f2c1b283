"""Hardening: random editor attacks as loss terms.

At the ``robust`` level every iteration adds one term per random editor attack: an imprecise
mask (a variation of one region, :mod:`guardpaint.core.editor.variations`) seen through an editor's
view of it, after one of the image attacks of :mod:`~guardpaint.core.protection.attacks` that has a
differentiable twin (JPEG, resizing, blurs, median, noise, curves, saturation, AdverseCleaner...) or none.
The editor is IOPaint's crop or whole frame, or, when the protection is made for several editors, one
of them drawn at random. Samples come from a generator seeded by the protection's seed, so runs stay
reproducible.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.variations import mask_variations
from guardpaint.core.editor.views import View, editor_views, iopaint_views
from guardpaint.core.protection.attacks import hardening_attacks
from guardpaint.core.protection.loss_terms import ROBUST_TERM
from guardpaint.core.protection.terms import LossTerm, Probe, view_probe
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
    window_box: Box  # that window (image coordinates)
    view: View  # the editor's view of the variation (image coordinates)
    cropped: bool  # a crop of the image (IOPaint's above 800 px, else by hand) rather than the whole frame
    editor: str = "iopaint"  # the editor whose view it is

    @property
    def box(self) -> Box:
        """The view, in the window's coordinates."""
        return self.view.box.relative_to(self.window_box)

    @property
    def mask(self) -> np.ndarray:
        """The variation inside the view (bool, box-sized)."""
        return self.view.mask

    def probe(self, target: torch.Tensor, device: torch.device) -> Probe:
        return view_probe(self.view, self.window, self.window_box, target, device, self.transform_fn, object())


class AttackSampler:
    """Draws :class:`AttackSample` s for one protection plan: an editor's view of a region's mask variation.

    The editor is the plan's one, or one of its several drawn at random. For IOPaint, above 800 px the
    view is its crop around one component of the variation (the window has room for it); on smaller
    images it is the whole frame, or with probability 1/2 the same crop, as a user cropping by hand
    would cut it. Other editors' views are their own.
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

    def _views(self, window: Box, variant: np.ndarray, editor: str, cropped: bool) -> list[View]:
        """The editor's views of the variation that lie in the window: for IOPaint its crop or the whole frame."""
        origin = (window.top, window.left)
        if editor.startswith("iopaint"):
            views = iopaint_views(variant, "crop" if cropped else "full", self.shape, origin)
        else:
            views = editor_views(editor, variant, self.shape, origin)
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
            editors = self.plan.editors
            editor = editors[0] if len(editors) == 1 else editors[int(self.rng.integers(len(editors)))]
            last = attempt == MAX_DRAWS - 1
            cropped = (not self.plan.full_frame or self.rng.random() < 0.5) and not last
            views = self._views(window, variant, "iopaint" if last else editor, cropped)
            if views:
                view = views[self.rng.integers(len(views))]
                if view.mask.any() and not view.mask.all():
                    return AttackSample(transform, fn, name, index, window, view, cropped, editor)
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
        return [LossTerm(ROBUST_TERM.name, self.weight / self.samples,
                         [self.sampler.sample(active).probe(self.target, self.device)]) for _ in range(self.samples)]
