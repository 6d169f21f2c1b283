"""Regions: the parts of a protection mask as the editor splits it, each protected and judged on its own.

A region is one external contour of the mask (IOPaint crops around each one above 800 px) with
every mask pixel inside it, holes and islands in holes included. Regions are numbered in reading
order (top to bottom, then left to right), the order a user reads them in, not the editor's
contour order.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from guardpaint.core.editor.geometry import Box, crop_box, place


@dataclass(frozen=True)
class Region:
    """One region of a mask: its number, its bounding box and its pixels inside that box."""

    number: int  # 1-based, reading order
    box: Box
    pixels: np.ndarray = field(compare=False, repr=False)  # bool, box-sized

    @property
    def size(self) -> int:
        """Its number of pixels."""
        return int(self.pixels.sum())

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """This region alone as a full-size HxW bool mask."""
        return self.mask_in(Box(0, 0, *shape[:2]))

    def mask_in(self, box: Box) -> np.ndarray:
        """This region alone inside ``box`` (image coordinates): a box-sized bool mask."""
        return place(self.pixels, self.box, box)

    def crop(self, shape: tuple[int, ...]) -> Box:
        """IOPaint's crop around this region: the part of the image the editor sees for it."""
        return crop_box(self.box, shape)


def region_of(number: int, mask: np.ndarray, origin: tuple[int, int] = (0, 0)) -> Region:
    """The pixels of ``mask`` (a crop at ``origin`` of the image) as one region numbered ``number``."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)
    return Region(number, box.shifted(*origin), mask[box.slices])


def find_regions(mask: np.ndarray) -> list[Region]:
    """The regions of an HxW bool mask, in reading order."""
    binary = mask.astype(np.uint8)
    contours, _ = cv2.findContours(binary * 255, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    _, labels = cv2.connectedComponents(binary, connectivity=8)
    regions = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        box = Box(y, x, y + h, x + w)
        inside = np.zeros((h, w), np.uint8)
        cv2.drawContours(inside, [contour - np.array([x, y])], -1, 1, thickness=cv2.FILLED)
        first_x, first_y = contour[0, 0]
        own = labels[box.slices] == labels[first_y, first_x]  # the component itself, whatever the fill drew
        regions.append((box, own | (inside.astype(bool) & mask[box.slices])))
    regions.sort(key=lambda item: (item[0].top, item[0].left))
    return [Region(number, box, pixels) for number, (box, pixels) in enumerate(regions, start=1)]
