"""The editor's operation ``edit(x, k)`` (docs/method.md), differentiable, and the editor itself."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from guardpaint.core.editor.differentiable import pad_symmetric
from guardpaint.core.editor.geometry import PIPELINES, Box, crop_boxes, resized_size, to_uint8, uses_crops, uses_resize
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.errors import InputError
from guardpaint.models.base import Inpainter


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
