"""Which views of the image the protection optimises, and where the noise may live.

The objective's three edits (the region ``m``, its dilation ``E(m)``, the ring ``R``) are computed
on the editor's views of those masks (:func:`~guardpaint.core.editor.views.editor_views`): the whole
frame up to 800 px, above that IOPaint's crop around each connected component. The noise lives in
*windows*: the union of those crops (plus room for the robust level's mask variations), overlapping
ones merged. Outside the windows the protected image is the input, bit for bit, and memory and
time grow with the windows, not with the photo.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from guardpaint.core.editor.geometry import Box, component_boxes
from guardpaint.core.editor.masks import dilate_array, ring_array
from guardpaint.core.editor.pipelines import uses_crops
from guardpaint.core.editor.regions import Region, find_regions
from guardpaint.core.editor.variations import variation_reach
from guardpaint.core.editor.views import View, editor_views
from guardpaint.core.protection.loss_terms import STANDARD_TERMS, TERM_NAMES


@dataclass(frozen=True)
class TermView:
    """One edit of the objective: a term, the window it lies in, and the editor's view (image coordinates)."""

    term: str
    window: int
    view: View


@dataclass
class Plan:
    """The windows of one protection, the views inside them, and the regions they protect."""

    windows: list[Box]
    views: list[TermView]  # grouped by window, in window order
    full_frame: bool  # the editor runs the model on the whole image
    regions: list[Region]

    def window_of(self, region: Region) -> int:
        """The index of the window the region's noise lives in."""
        return next(i for i, window in enumerate(self.windows) if window.contains(region.box))


def robust_reach(mask: np.ndarray) -> int:
    """How far the robust level's mask variations reach beyond the regions (the furthest of any region)."""
    return max(variation_reach(box) for box in component_boxes(mask))


def term_masks(mask: np.ndarray, expansion: int) -> dict[str, np.ndarray]:
    """The mask each standard term edits, by term: the region, its dilation or the ring between them."""
    masks = {"region": mask, "dilation": dilate_array(mask, expansion), "ring": ring_array(mask, expansion)}
    return {term.name: masks[term.mask] for term in STANDARD_TERMS}


def _aligned(box: Box, grid: int, shape: tuple[int, ...]) -> Box:
    """``box`` grown outward to the ``grid`` (JPEG's 16 px blocks, counted from the image's corner)."""
    return Box(box.top // grid * grid, box.left // grid * grid, min(shape[0], -(-box.bottom // grid) * grid),
               min(shape[1], -(-box.right // grid) * grid))


def _overlapping_groups(boxes: list[Box]) -> list[list[Box]]:
    """The boxes grouped by overlap, transitively: a sweep down the image with a union-find."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].top)
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for position, i in enumerate(order):
        for j in order[position + 1:]:
            if boxes[j].top >= boxes[i].bottom:
                break  # sorted by top: no later box reaches up into this one
            if boxes[i].overlaps(boxes[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[Box]] = {}
    for i, box in enumerate(boxes):
        groups.setdefault(root(i), []).append(box)
    return list(groups.values())


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes merged into their bounding boxes, until none overlap; in reading order."""
    merged = list(boxes)
    while True:
        groups = _overlapping_groups(merged)
        if len(groups) == len(merged):
            return sorted(merged, key=lambda b: (b.top, b.left))
        merged = [functools.reduce(Box.union, group) for group in groups]


def plan_protection(mask: np.ndarray, expansion: int, robust: bool = False, pipeline: str = "auto",
                    grid: int = 1) -> Plan:
    """The views and windows for protecting ``mask`` (HxW bool) against the editor's ``pipeline``;
    windows snap to a ``grid`` (16 for JPEG output, so a window holds whole JPEG blocks)."""
    masks = term_masks(mask, expansion)
    views = [(term, view) for term in TERM_NAMES for view in editor_views(masks[term], pipeline)]
    regions = find_regions(mask)
    if not uses_crops(mask.shape, pipeline):
        return Plan([Box(0, 0, *mask.shape)], [TermView(term, 0, view) for term, view in views], True, regions)
    boxes = [view.box for _, view in views]
    if robust:
        boxes += [view.box for view in editor_views(dilate_array(mask, 2 * robust_reach(mask) + 1), "crop")]
    windows = merge_boxes([_aligned(b, grid, mask.shape) for b in merge_boxes(boxes)])
    placed = [TermView(term, next(i for i, w in enumerate(windows) if w.contains(view.box)), view)
              for term, view in views]
    return Plan(windows, sorted(placed, key=lambda tv: tv.window), False, regions)
