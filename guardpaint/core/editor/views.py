"""What the attacker's editor runs the model on for a mask: IOPaint 1.6's HD strategies as *views*, once.

A :class:`View` is one run of the model: the box of the image the editor cuts out, the mask inside
it, the size the box is scaled to first (only for IOPaint's resize) with the soft mask that scaling
gives, and the paste rule: the view's result replaces the image at the view's mask pixels. Every
consumer reads its geometry from :func:`editor_views`: the 8-bit editor, the differentiable
objective, the robust level's random attacks, the resize view, the attacker suite, the preview.

Facts from IOPaint's source (``iopaint/schema.py``, ``model/base.py``, ``helper.py``; docs/method.md):

* **auto** is IOPaint's default, CROP: an image whose long side is at most 800 px is inpainted
  whole; above that, one crop per external contour of the mask (:func:`~guardpaint.core.editor.geometry.crop_box`),
  inpainted at native resolution with every mask pixel inside it; all crops are computed from
  the original image and then pasted back in contour order.
* **crop** is that per-component crop at any size: on a small image it is what a user who crops by
  hand does, a fair attack too.
* **resize** (API only) acts when the long side exceeds 1280: image and mask are downscaled with
  cubic interpolation to ``int(side * ratio + 0.5)`` (the mask stays soft; any value above 0 is a
  hole for the model), the fill is blended with the soft mask, upscaled with cubic interpolation,
  and only the pixels of the original mask are pasted. Smaller images are inpainted whole.
* **full** runs the model on the whole frame at any size.

The model's output is truncated to 8 bits (not rounded), and so is every blend after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

from guardpaint.core.editor.geometry import Box, component_boxes, crop_box, place
from guardpaint.core.editor.pipelines import check_pipeline, resized_size, uses_crops, uses_resize


@dataclass(frozen=True)
class View:
    """One run of the model by the editor.

    ``mask`` is the editor's mask inside ``box`` (bool, box-sized): at native size it is the hole;
    after the run the view's result replaces the image at exactly these pixels (the paste rule).
    ``size`` is the (width, height) the box is scaled to before the model, None at native size.
    """

    box: Box
    mask: np.ndarray = field(compare=False, repr=False)
    size: tuple[int, int] | None = None

    @property
    def model_shape(self) -> tuple[int, int]:
        """(height, width) of what the model sees."""
        return (self.box.height, self.box.width) if self.size is None else (self.size[1], self.size[0])

    @cached_property
    def soft(self) -> np.ndarray | None:
        """The blend weight at model size (float64 in [0, 1]): the mask scaled with cubic interpolation,
        as IOPaint scales it; None at native size, where the blend is the mask itself."""
        if self.size is None:
            return None
        scaled = cv2.resize(self.mask.astype(np.uint8) * 255, self.size, interpolation=cv2.INTER_CUBIC)
        return scaled.astype(np.float64) / 255.0

    @property
    def hole(self) -> np.ndarray:
        """The pixels the model fills, at model size: the mask, or any non-zero soft weight."""
        return self.mask if self.soft is None else self.soft > 0


def editor_views(mask: np.ndarray, pipeline: str = "auto", shape: tuple[int, ...] | None = None,
                 origin: tuple[int, int] = (0, 0)) -> list[View]:
    """The model runs the editor makes for ``mask`` (HxW bool) under ``pipeline``, in paste order.

    ``mask`` may be the part at ``origin`` of the mask of a larger image of ``shape`` (empty elsewhere):
    the views are then those of that image, in its coordinates.
    """
    shape = tuple(shape or mask.shape)[:2]
    frame = Box(0, 0, *shape)
    placed = Box(origin[0], origin[1], origin[0] + mask.shape[0], origin[1] + mask.shape[1])
    if uses_resize(shape, check_pipeline(pipeline)):
        return [View(frame, place(mask, placed, frame), resized_size(shape))]
    if not uses_crops(shape, pipeline):
        return [View(frame, place(mask, placed, frame))]
    boxes = [crop_box(component.shifted(*origin), shape) for component in component_boxes(mask)]
    return [View(box, place(mask, placed, box)) for box in boxes]
