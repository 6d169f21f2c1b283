"""Rectangles of an image, a mask's components and IOPaint 1.6's crop box around one: the box rule, once.

IOPaint (``model/base.py`` ``_crop_box``, ``helper.py`` ``boxes_from_mask``) splits a mask into its
external contours, takes each one's bounding box, grows it by 128 px on every side around its
centre (integer halves, so the crop can be 1 px narrower than box + 256), shifts it inward where it
crosses an edge, and clips it only when it is larger than the image.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: IOPaint's crop margin (``InpaintRequest.hd_strategy_crop_margin``): the web UI cannot change it.
CROP_MARGIN = 128


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

    def intersection(self, other: Box) -> Box | None:
        """The part both boxes share, or None."""
        return Box(max(self.top, other.top), max(self.left, other.left), min(self.bottom, other.bottom),
                   min(self.right, other.right)) if self.overlaps(other) else None

    def grown(self, margin: int, shape: tuple[int, ...]) -> Box:
        """This box grown by ``margin`` on every side, clipped to an image of ``shape``."""
        return Box(max(0, self.top - margin), max(0, self.left - margin), min(shape[0], self.bottom + margin),
                   min(shape[1], self.right + margin))

    def shifted(self, down: int, right: int) -> Box:
        """This box moved by ``down`` rows and ``right`` columns."""
        return Box(self.top + down, self.left + right, self.bottom + down, self.right + right)

    def relative_to(self, outer: Box) -> Box:
        """This box in the coordinates of ``outer`` (which contains it)."""
        return Box(self.top - outer.top, self.left - outer.left, self.bottom - outer.top, self.right - outer.left)


def place(mask: np.ndarray, at: Box, box: Box) -> np.ndarray:
    """The part of ``mask`` (a crop lying at ``at`` in the image) that falls in ``box``; False elsewhere."""
    if at == box:
        return mask
    out = np.zeros((box.height, box.width), bool)
    common = at.intersection(box)
    if common is not None:
        out[common.relative_to(box).slices] = mask[common.relative_to(at).slices]
    return out


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


def _fit_axis(low: int, high: int, side: int, size: int) -> tuple[int, int]:
    """A span of ``side`` centred on ``[low, high)``, shifted inward where it crosses an edge, clipped to ``size``."""
    start = (low + high) // 2 - side // 2
    start = max(0, min(start, size - side))
    return start, min(start + side, size)


def square_around(box: Box, side: int, shape: tuple[int, ...]) -> Box:
    """A ``side`` x ``side`` square centred on ``box``, shifted inside an image of ``shape`` (clipped to it
    where the image is smaller): a patch around a mask."""
    top, bottom = _fit_axis(box.top, box.bottom, side, shape[0])
    left, right = _fit_axis(box.left, box.right, side, shape[1])
    return Box(top, left, bottom, right)

