"""The editor's operation ``edit(x, k)`` (docs/method.md), differentiable, and the editor itself."""
from __future__ import annotations

import contextlib

import cv2
import numpy as np
import torch

from guardpaint.core.pipelines import PIPELINES, Box, crop_boxes, resized_size, to_uint8, uses_crops, uses_resize
from guardpaint.core.tensors import image_to_tensor, mask_to_tensor
from guardpaint.errors import InputError
from guardpaint.models.base import Inpainter


def pad_symmetric(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom/right to a multiple by mirroring including the edge (numpy 'symmetric'), as editors do."""
    height, width = x.shape[-2:]
    pad_h = -height % multiple
    pad_w = -width % multiple
    if pad_h:
        x = torch.cat([x, x[..., height - pad_h:, :].flip(-2)], dim=-2)
    if pad_w:
        x = torch.cat([x, x[..., :, width - pad_w:].flip(-1)], dim=-1)
    return x


def edit(model: Inpainter, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``k * G(x, k) + (1 - k) * x`` on the padded image, cropped back.

    ``image`` is Bx3xHxW in [0, 1]; ``mask`` is Bx1xHxW (or 1x1xHxW) in {0, 1}.
    Differentiable with respect to ``image``.
    """
    height, width = image.shape[-2:]
    mask = mask.expand(image.shape[0], -1, -1, -1)
    x = pad_symmetric(image, model.pad_multiple)
    k = pad_symmetric(mask, model.pad_multiple)
    predicted = model.predict(x, k).float()
    blended = k * predicted + (1 - k) * x
    return blended[..., :height, :width]


def autocast_context(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast where asked for and supported; otherwise a no-op."""
    if precision == "bf16" and device.type in ("cuda", "cpu"):
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


class Editor:
    """What the attacker's editor does with a model (:mod:`guardpaint.core.pipelines`): 8-bit in and out."""

    def __init__(self, model: Inpainter, pipeline: str = "auto") -> None:
        if pipeline not in PIPELINES:
            raise InputError(f"unknown pipeline {pipeline!r} (use {', '.join(PIPELINES)})")
        self.model = model
        self.pipeline = pipeline

    @torch.inference_mode()
    def inpaint(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Inpaint the True pixels of ``mask`` in the HxWx3 uint8 image as the editor would; uint8."""
        if uses_resize(rgb.shape, self.pipeline):
            return self._resized(rgb, mask)
        if uses_crops(rgb.shape, self.pipeline):
            results = [(box, self._whole(rgb[box.slices], mask[box.slices])) for box in crop_boxes(mask)]
            out = rgb.copy()
            for box, crop in results:  # all crops from the original, then pasted in contour order
                out[box.slices] = crop
            return out
        return self._whole(rgb, mask)

    def view_boxes(self, mask: np.ndarray) -> list[Box]:
        """The parts of the image the editor runs the model on for this mask (for showing the edits)."""
        if uses_crops(mask.shape, self.pipeline):
            return crop_boxes(mask)
        return [Box(0, 0, *mask.shape[:2])]

    def _fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """The model's raw fill of the whole frame, truncated to 8 bits as the editor does (HxWx3 uint8)."""
        height, width = hole.shape
        image = pad_symmetric(image_to_tensor(rgb, self.model.device), self.model.pad_multiple)
        k = pad_symmetric(mask_to_tensor(hole, self.model.device), self.model.pad_multiple)
        predicted = self.model.predict(image, k).float()[..., :height, :width]
        levels = predicted[0].clamp(0, 1).mul(255.0).floor().to(torch.uint8)
        return levels.permute(1, 2, 0).cpu().numpy()

    def _whole(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.where(mask[..., None], self._fill(rgb, mask), rgb)

    def _resized(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """IOPaint's RESIZE: cubic down (soft mask), fill, soft blend, cubic up, paste the mask's pixels."""
        height, width = mask.shape
        size = resized_size(mask.shape)
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)
        soft = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_CUBIC)
        weight = (soft.astype(np.float64) / 255.0)[..., None]
        blended = self._fill(small, soft > 0) * weight + small * (1 - weight)
        upscaled = cv2.resize(blended, (width, height), interpolation=cv2.INTER_CUBIC)
        return to_uint8(np.where(mask[..., None], upscaled, rgb))
