"""Hardening: expectation over the attacks of :mod:`guardpaint.core.attacks`, made differentiable.

At the ``robust`` level every iteration of the protection loop adds the mean
attack loss over a few random editor attacks: an imprecise mask (a variation
of the region), IOPaint's crop pipeline, and a JPEG or resize round trip of
the image before the edit (differentiable approximations). Samples are drawn
from a generator seeded by the protection's seed, so runs stay reproducible.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from guardpaint.core.attacks import crop_box_with_margin, mask_variations
from guardpaint.core.editing import autocast_context, edit
from guardpaint.core.jpeg import jpeg_approx
from guardpaint.core.losses import masked_mse
from guardpaint.core.tensors import mask_to_tensor
from guardpaint.models.base import Inpainter

#: JPEG qualities and resize factors sampled during hardening (the suite tests 80-95 and 0.75x / 1.5x).
JPEG_QUALITIES = (75, 95)
RESIZE_FACTORS = (0.7, 1.6)

ImageTransform = Callable[[torch.Tensor], torch.Tensor]


def resize_round_trip(image: torch.Tensor, factor: float) -> torch.Tensor:
    """Resize by ``factor`` (antialiased) and back to the original size, differentiably."""
    height, width = image.shape[-2:]
    size = (max(8, round(height * factor)), max(8, round(width * factor)))
    resized = F.interpolate(image, size=size, mode="bilinear", antialias=factor < 1, align_corners=False)
    return F.interpolate(resized, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)


@dataclass(frozen=True)
class AttackSample:
    """One random editor attack: the transform applied before the edit, the mask, and an optional crop."""

    transform: str
    transform_fn: ImageTransform
    mask_name: str
    mask: torch.Tensor  # 1x1xHxW
    crop: tuple[int, int, int, int] | None  # (top, left, bottom, right) or None for the full frame


class AttackSampler:
    """Draws :class:`AttackSample` s for one image and protection mask."""

    def __init__(self, mask: np.ndarray, device: torch.device, seed: int) -> None:
        variants = mask_variations(mask, seed)
        variants.pop("exact")  # the standard objective already covers the exact mask
        self.masks = {name: mask_to_tensor(m, device) for name, m in variants.items()}
        self.crops = {name: crop_box_with_margin(m) for name, m in variants.items()}
        self.size = mask.shape
        self.rng = np.random.default_rng(seed)

    def sample(self) -> AttackSample:
        names = list(self.masks)
        mask_name = names[self.rng.integers(len(names))]
        kind = self.rng.integers(3)
        if kind == 0:
            transform, fn = "none", (lambda x: x)
        elif kind == 1:
            quality = int(self.rng.integers(JPEG_QUALITIES[0], JPEG_QUALITIES[1] + 1))
            transform, fn = f"JPEG q{quality}", (lambda x: jpeg_approx(x, quality))
        else:
            factor = float(self.rng.uniform(*RESIZE_FACTORS))
            transform, fn = f"resize {factor:.2f}x", (lambda x: resize_round_trip(x, factor))
        crop = self.crops[mask_name] if self.rng.random() < 0.5 else None
        if crop is not None and crop == (0, 0, *self.size):
            crop = None  # the crop would be the whole frame
        return AttackSample(transform, fn, mask_name, self.masks[mask_name], crop)


class RobustTerm:
    """The hardening loss: mean attack loss over ``samples`` random attacks per call."""

    def __init__(self, model: Inpainter, mask: np.ndarray, target: torch.Tensor, samples: int,
                 precision: str, seed: int) -> None:
        self.model = model
        self.target = target
        self.samples = samples
        self.precision = precision
        self.device = model.device
        self.sampler = AttackSampler(mask, model.device, seed)

    def attack_loss(self, adversarial: torch.Tensor, sample: AttackSample) -> torch.Tensor:
        image, mask = sample.transform_fn(adversarial), sample.mask
        if sample.crop is not None:
            top, left, bottom, right = sample.crop
            image, mask = image[..., top:bottom, left:right], mask[..., top:bottom, left:right]
        with autocast_context(self.device, self.precision):
            edited = edit(self.model, image, mask)
        return masked_mse(edited, self.target.expand_as(edited), mask)[0]

    def __call__(self, adversarial: torch.Tensor) -> torch.Tensor:
        losses = [self.attack_loss(adversarial, self.sampler.sample()) for _ in range(self.samples)]
        return torch.stack(losses).mean()
