"""Hardening: expectation over the attacks of :mod:`guardpaint.core.attacks`, made differentiable.

At the ``robust`` level every iteration of the protection loop adds the mean
attack loss over a few random editor attacks: an imprecise mask (a variation
of the region) run through the editor's view of it, and a JPEG or resize round
trip of the image before the edit (differentiable approximations). Samples are
drawn from a generator seeded by the protection's seed, so runs stay
reproducible. Optionally, for photos above 1280 px, IOPaint's RESIZE view of the
whole image is one more term (:class:`ResizeViewTerm`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.editor.geometry import Box, component_boxes, crop_box, resized_size
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.core.editor.variations import mask_variations
from guardpaint.core.protection.jpeg import jpeg_approx
from guardpaint.core.protection.losses import masked_mse
from guardpaint.core.protection.windows import Plan
from guardpaint.errors import InputError
from guardpaint.models.base import Inpainter
from guardpaint.models.device import autocast_context

#: JPEG qualities and resize factors sampled during hardening (the suite tests 80-95 and 0.75x / 1.5x).
JPEG_QUALITIES = (75, 95)
RESIZE_FACTORS = (0.7, 1.6)
#: Draws before the sampler falls back to the whole window (its last draw always has a view).
MAX_DRAWS = 100

ImageTransform = Callable[[torch.Tensor], torch.Tensor]


def resize_round_trip(image: torch.Tensor, factor: float) -> torch.Tensor:
    """Resize by ``factor`` (antialiased) and back to the original size, differentiably."""
    height, width = image.shape[-2:]
    size = (max(8, round(height * factor)), max(8, round(width * factor)))
    resized = F.interpolate(image, size=size, mode="bilinear", antialias=factor < 1, align_corners=False)
    return F.interpolate(resized, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)


@dataclass(frozen=True)
class AttackSample:
    """One random editor attack: a transform before the edit, a mask variation, and the view it is run on."""

    transform: str
    transform_fn: ImageTransform
    mask_name: str
    window: int  # index of the window the view lies in
    box: Box  # the view, in the window's coordinates
    mask: torch.Tensor  # 1x1xhxw, the variation inside the view
    cropped: bool  # a crop of the image (IOPaint's above 800 px, else by hand) rather than the whole frame


class AttackSampler:
    """Draws :class:`AttackSample` s for one protection plan: the editor's view of a mask variation.

    Above 800 px the view is IOPaint's crop around one component of the variation (the window has
    room for it); on smaller images it is the whole frame, or with probability 1/2 the same crop,
    as a user cropping by hand would cut it.
    """

    def __init__(self, mask: np.ndarray, plan: Plan, device: torch.device, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.device = device
        self.plan = plan
        self.shape = mask.shape
        self.choices: list[tuple[int, str, np.ndarray]] = []  # (window, variation name, variation in window)
        for index, window in enumerate(plan.windows):
            variants = mask_variations(mask[window.box.slices], seed)
            variants.pop("exact")  # the standard objective already covers the exact mask
            self.choices += [(index, name, variant) for name, variant in variants.items()]

    def _views(self, window: Box, variant: np.ndarray) -> list[Box]:
        """The editor's crops of the variation that lie in the window, in the window's coordinates."""
        crops = []
        for component in component_boxes(variant):
            absolute = Box(component.top + window.top, component.left + window.left,
                           component.bottom + window.top, component.right + window.left)
            crop = crop_box(absolute, self.shape)
            if window.contains(crop):
                crops.append(crop.relative_to(window))
        return crops

    def sample(self) -> AttackSample:
        for attempt in range(MAX_DRAWS):
            index, name, variant = self.choices[self.rng.integers(len(self.choices))]
            window = self.plan.windows[index].box
            kind = self.rng.integers(3)
            if kind == 0:
                transform, fn = "none", (lambda x: x)
            elif kind == 1:
                quality = int(self.rng.integers(JPEG_QUALITIES[0], JPEG_QUALITIES[1] + 1))
                transform, fn = f"JPEG q{quality}", (lambda x, q=quality: jpeg_approx(x, q))
            else:
                factor = float(self.rng.uniform(*RESIZE_FACTORS))
                transform, fn = f"resize {factor:.2f}x", (lambda x, f=factor: resize_round_trip(x, f))
            cropped = (not self.plan.full_frame or self.rng.random() < 0.5) and attempt < MAX_DRAWS - 1
            views = self._views(window, variant) if cropped else [Box(0, 0, window.height, window.width)]
            if views:
                box = views[self.rng.integers(len(views))]
                inside = variant[box.slices]
                if inside.any() and not inside.all():
                    return AttackSample(transform, fn, name, index, box, mask_to_tensor(inside, self.device),
                                        cropped)
        raise InputError("no editor attack could be drawn for this mask; use the standard level")


class RobustTerm:
    """The hardening loss: mean attack loss over ``samples`` random editor attacks per call."""

    def __init__(self, model: Inpainter, mask: np.ndarray, plan: Plan, target: torch.Tensor, samples: int,
                 precision: str, seed: int) -> None:
        self.model = model
        self.target = target
        self.samples = samples
        self.precision = precision
        self.sampler = AttackSampler(mask, plan, model.device, seed)

    def attack_loss(self, adversarial: list[torch.Tensor], sample: AttackSample) -> torch.Tensor:
        image = sample.transform_fn(adversarial[sample.window][(..., *sample.box.slices)])
        with autocast_context(self.model.device, self.precision):
            edited = edit(self.model, image, sample.mask)
        return masked_mse(edited, self.target.expand_as(edited), sample.mask)[0]

    def __call__(self, adversarial: list[torch.Tensor]) -> torch.Tensor:
        losses = [self.attack_loss(adversarial, self.sampler.sample()) for _ in range(self.samples)]
        return torch.stack(losses).mean()


class ResizeViewTerm:
    """IOPaint's RESIZE view of the whole photo (above 1280 px): the attack loss after a cubic downscale,
    the fill blended with the soft mask as IOPaint blends it. Costs one pass over a 1280 px image."""

    def __init__(self, model: Inpainter, rgb: np.ndarray, mask: np.ndarray, plan: Plan, target: torch.Tensor,
                 precision: str) -> None:
        self.model, self.target, self.precision = model, target, precision
        self.image = image_to_tensor(rgb, model.device)
        self.boxes = [w.box for w in plan.windows]
        self.size = resized_size(mask.shape)
        soft = cv2.resize(mask.astype(np.uint8) * 255, self.size, interpolation=cv2.INTER_CUBIC)
        self.weight = torch.from_numpy(soft.astype(np.float32) / 255.0)[None, None].to(model.device)
        self.hole = (self.weight > 0).float()
        self.scored = (self.weight >= 0.5).float()  # about the pixels pasted back after upscaling

    def __call__(self, adversarial: list[torch.Tensor]) -> torch.Tensor:
        full = self.image.clone()
        for box, window in zip(self.boxes, adversarial, strict=True):
            full[(..., *box.slices)] = window
        small = F.interpolate(full, size=self.size[::-1], mode="bicubic", align_corners=False).clamp(0, 1)
        with autocast_context(self.model.device, self.precision):
            filled = edit(self.model, small, self.hole)
        blended = filled * self.weight + small * (1 - self.weight)
        return masked_mse(blended, self.target.expand_as(blended), self.scored)[0]
