"""The attacker's editor with a model, 8 bits in and out: it runs the model on each view
(:func:`~guardpaint.core.editor.views.editor_views`) and pastes the results back as IOPaint does."""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch

from guardpaint.core.editor.differentiable import pad_symmetric
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.pipelines import check_pipeline
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.core.editor.views import View, editor_views
from guardpaint.errors import Cancelled
from guardpaint.models.base import Inpainter


def to_uint8(values: np.ndarray) -> np.ndarray:
    """numpy's ``astype(uint8)`` of floats as IOPaint gets it on x86: truncation, wrapping out of range."""
    return (np.trunc(values).astype(np.int64) % 256).astype(np.uint8)


class Editor:
    """What the attacker's editor does with a model under one pipeline (auto, full, crop, resize).

    ``should_cancel`` is asked before every run of the model (a mask of many parts is many runs) and
    stops the editor with :class:`~guardpaint.errors.Cancelled`.
    """

    def __init__(self, model: Inpainter, pipeline: str = "auto", should_cancel: Callable[[], bool] | None = None
                 ) -> None:
        self.model = model
        self.pipeline = check_pipeline(pipeline)
        self.should_cancel = should_cancel

    def views(self, mask: np.ndarray) -> list[View]:
        """The editor's views for this mask (where it runs the model, at what size)."""
        return editor_views(mask, self.pipeline)

    def view_boxes(self, mask: np.ndarray) -> list[Box]:
        """The parts of the image the editor runs the model on for this mask (for showing the edits)."""
        return [view.box for view in self.views(mask)]

    @torch.inference_mode()
    def inpaint(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Inpaint the True pixels of ``mask`` in the HxWx3 uint8 image as the editor would; uint8."""
        views = self.views(mask)
        results = []
        for view in views:  # every view from the original, then pasted
            if self.should_cancel is not None and self.should_cancel():
                raise Cancelled("cancelled")
            results.append(self.run(rgb, view))
        out = rgb.copy()
        for view, result in zip(views, results, strict=True):
            out[view.box.slices][view.mask] = result[view.mask]
        return out

    def run(self, rgb: np.ndarray, view: View) -> np.ndarray:
        """One view's result, box-sized uint8 (meaningful at the view's mask pixels)."""
        crop = rgb[view.box.slices]
        if view.size is None:
            return np.where(view.mask[..., None], self._fill(crop, view.mask), crop)
        small = cv2.resize(crop, view.size, interpolation=cv2.INTER_CUBIC)
        weight = view.soft[..., None]
        blended = self._fill(small, view.hole) * weight + small * (1 - weight)
        return to_uint8(cv2.resize(blended, (view.box.width, view.box.height), interpolation=cv2.INTER_CUBIC))

    def _fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """The model's raw fill of the whole frame, truncated to 8 bits as the editor does (HxWx3 uint8)."""
        height, width = hole.shape
        image = pad_symmetric(image_to_tensor(rgb, self.model.device), self.model.pad_multiple)
        k = pad_symmetric(mask_to_tensor(hole, self.model.device), self.model.pad_multiple)
        predicted = self.model.predict(image, k).float()[..., :height, :width]
        levels = predicted[0].clamp(0, 1).mul(255.0).floor().to(torch.uint8)
        return levels.permute(1, 2, 0).cpu().numpy()
