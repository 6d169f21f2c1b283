"""How the attacker's editor runs LaMa: IOPaint 1.6's HD strategies, reproduced exactly.

Facts from IOPaint's source (``iopaint/schema.py``, ``model/base.py``, ``helper.py``; see docs/method.md):

* **auto** is IOPaint's default, CROP: an image whose long side is at most 800 px is inpainted
  whole; above that, one crop per external contour of the mask, the contour's box grown by
  128 px and shifted inward at the image edges, inpainted at native resolution with every mask
  pixel inside it, and pasted back (the crop rectangles in contour order, all computed on the
  original image first).
* **crop** is that per-component crop at any size: on a small image it is what a user who
  crops by hand does, a fair attack too.
* **resize** (API only) acts when the long side exceeds 1280: image and mask are downscaled with
  cubic interpolation (the mask stays soft; any value above 0 is a hole for the model), the
  result is blended with the soft mask, upscaled with cubic interpolation, and only the pixels
  of the original mask are pasted. Smaller images are inpainted whole.
* **full** runs the model on the whole frame at any size.

The model's output is truncated to 8 bits (not rounded), and so is every blend after it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: IOPaint's defaults (``InpaintRequest``): the web UI cannot change them.
CROP_TRIGGER = 800
CROP_MARGIN = 128
RESIZE_LIMIT = 1280
PIPELINES = ("auto", "full", "crop", "resize")


@dataclass(frozen=True)
class Box:
    """A rectangle of an image, exclusive end: ``image[top:bottom, left:right]``."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)

    def contains(self, other: Box) -> bool:
        return (self.top <= other.top and self.left <= other.left and self.bottom >= other.bottom
                and self.right >= other.right)

    def overlaps(self, other: Box) -> bool:
        return (self.top < other.bottom and other.top < self.bottom and self.left < other.right
                and other.left < self.right)

    def union(self, other: Box) -> Box:
        return Box(min(self.top, other.top), min(self.left, other.left), max(self.bottom, other.bottom),
                   max(self.right, other.right))

    def relative_to(self, outer: Box) -> Box:
        """This box in the coordinates of ``outer`` (which contains it)."""
        return Box(self.top - outer.top, self.left - outer.left, self.bottom - outer.top, self.right - outer.left)


def component_boxes(mask: np.ndarray) -> list[Box]:
    """The bounding box of each external contour of the mask, in OpenCV's contour order (IOPaint's)."""
    binary = mask.astype(np.uint8) * 255
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        boxes.append(Box(y, x, y + h, x + w))
    return boxes


def _crop_axis(low: int, high: int, margin: int, size: int) -> tuple[int, int]:
    """IOPaint's ``_crop_box`` on one axis: centred, grown, shifted inward at the edges, then clipped."""
    centre = (low + high) // 2
    half = (high - low + 2 * margin) // 2
    start, end = centre - half, centre + half
    clipped_start, clipped_end = max(start, 0), min(end, size)
    if start < 0:
        clipped_end += -start
    if end > size:
        clipped_start -= end - size
    return max(clipped_start, 0), min(clipped_end, size)


def crop_box(component: Box, shape: tuple[int, ...], margin: int = CROP_MARGIN) -> Box:
    """The crop IOPaint cuts around one mask component (1 px narrower when the grown size is odd)."""
    top, bottom = _crop_axis(component.top, component.bottom, margin, shape[0])
    left, right = _crop_axis(component.left, component.right, margin, shape[1])
    return Box(top, left, bottom, right)


def crop_boxes(mask: np.ndarray, margin: int = CROP_MARGIN) -> list[Box]:
    """IOPaint's crops for a mask, in the order it pastes them."""
    return [crop_box(box, mask.shape, margin) for box in component_boxes(mask)]


def uses_crops(shape: tuple[int, ...], pipeline: str) -> bool:
    """Whether ``pipeline`` inpaints per-component crops of an image of this shape."""
    return pipeline == "crop" or (pipeline == "auto" and max(shape[:2]) > CROP_TRIGGER)


def uses_resize(shape: tuple[int, ...], pipeline: str) -> bool:
    return pipeline == "resize" and max(shape[:2]) > RESIZE_LIMIT


def resized_size(shape: tuple[int, ...], limit: int = RESIZE_LIMIT) -> tuple[int, int]:
    """(width, height) of IOPaint's downscaled image: ``int(side * ratio + 0.5)``."""
    height, width = shape[:2]
    ratio = limit / max(height, width)
    return int(width * ratio + 0.5), int(height * ratio + 0.5)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """numpy's ``astype(uint8)`` of floats as IOPaint gets it on x86: truncation, wrapping out of range."""
    return (np.trunc(values).astype(np.int64) % 256).astype(np.uint8)
