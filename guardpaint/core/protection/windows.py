"""Which views of the image the protection optimises, and where the noise may live.

The objective's three edits (the region ``m``, its dilation ``E(m)``, the ring ``R``) are computed
where the attacker's editor computes them (:mod:`guardpaint.core.pipelines`): on the whole frame up
to 800 px, above that on IOPaint's crop around each connected component of each of those masks.
The noise lives in *windows*: the union of those crops (plus room for the robust level's mask
variations), overlapping ones merged. Outside the windows the protected image is the input, bit
for bit, and memory and time grow with the windows, not with the photo.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guardpaint.core.editor.geometry import Box, component_boxes, crop_boxes, uses_crops
from guardpaint.core.editor.masks import dilate_array, ring_array

#: The loss terms of docs/method.md, in the order the loop reports them.
TERMS = ("attack", "incomplete", "hide")
#: The editor pipelines a protection can be made for (IOPaint's resize is the robust level's extra view).
VIEW_PIPELINES = ("auto", "full", "crop")
#: How far the robust level's mask variations reach beyond the region at least (dilation 32 px, shifts 8 px).
ROBUST_REACH = 40


@dataclass(frozen=True)
class View:
    """One edit the objective computes: a term, the image box the editor runs the model on, its mask."""

    term: str
    box: Box
    mask: np.ndarray = field(compare=False, repr=False)  # bool, box-sized


@dataclass
class Window:
    """A box where the noise may be non-zero, and the views computed inside it."""

    box: Box
    views: list[View] = field(default_factory=list)


@dataclass
class Plan:
    """All windows of one protection; ``full_frame`` when the editor runs the model on the whole image."""

    windows: list[Window]
    full_frame: bool


def robust_reach(mask: np.ndarray) -> int:
    """How far the robust level's mask variations reach beyond the region: the dilations and shifts, or
    half the thickest random stroke (a sixth of the largest component's side), whichever is further."""
    largest = max(max(box.height, box.width) for box in component_boxes(mask))
    return max(ROBUST_REACH, largest // 6 + 1)


def term_masks(mask: np.ndarray, expansion: int) -> dict[str, np.ndarray]:
    """The masks of the three terms: the region, its dilation and the ring between them."""
    return {"attack": mask, "incomplete": dilate_array(mask, expansion), "hide": ring_array(mask, expansion)}


def _aligned(box: Box, grid: int, shape: tuple[int, ...]) -> Box:
    """``box`` grown outward to the ``grid`` (JPEG's 16 px blocks, counted from the image's corner)."""
    return Box(box.top // grid * grid, box.left // grid * grid, min(shape[0], -(-box.bottom // grid) * grid),
               min(shape[1], -(-box.right // grid) * grid))


def plan_protection(mask: np.ndarray, expansion: int, robust: bool = False, pipeline: str = "auto",
                    grid: int = 1) -> Plan:
    """The views and windows for protecting ``mask`` (HxW bool) against the editor's ``pipeline``;
    windows snap to a ``grid`` (16 for JPEG output, so a window holds whole JPEG blocks)."""
    height, width = mask.shape
    masks = term_masks(mask, expansion)
    if not uses_crops(mask.shape, pipeline):
        whole = Box(0, 0, height, width)
        return Plan([Window(whole, [View(term, whole, masks[term]) for term in TERMS])], full_frame=True)
    views = [View(term, box, masks[term][box.slices]) for term in TERMS for box in crop_boxes(masks[term])]
    boxes = [view.box for view in views]
    if robust:
        boxes += crop_boxes(dilate_array(mask, 2 * robust_reach(mask) + 1))
    windows = [Window(box) for box in merge_boxes([_aligned(b, grid, mask.shape) for b in merge_boxes(boxes)])]
    for view in views:
        next(w for w in windows if w.box.contains(view.box)).views.append(view)
    return Plan(windows, full_frame=False)


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes merged into their bounding boxes, until none overlap."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if merged[i].overlaps(merged[j]):
                    merged[i] = merged[i].union(merged.pop(j))
                    changed = True
                    break
            if changed:
                break
    return sorted(merged, key=lambda b: (b.top, b.left))
