"""Which views of the image the protection optimises, and where the noise may live.

The objective's three edits (the region ``m``, its dilation ``E(m)``, the ring ``R``) are computed
on every chosen editor's views of those masks (:func:`~guardpaint.core.editor.views.editor_views`):
for IOPaint the whole frame up to 800 px, above that its crop around each connected component; for
ComfyUI and the 512 px resize apps the whole frame at their model's size; for the patch apps a square
around the mask. A network of one fixed side (MI-GAN) gets its own views (IOPaint's shrunk crops; the other
editors do not run it), and each model's terms use the views made for its kind. Two editors that make the
same edit for the same kind of network (the same box, differentiable transfer and mask) share it. The
noise lives in *windows*: the union of the views' boxes (plus room for the robust level's mask
variations), overlapping ones merged. Outside the windows the protected image is the input, bit for
bit, and memory and time grow with the windows, not with the photo.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from guardpaint.core.editor.editors import DEFAULT_EDITORS
from guardpaint.core.editor.geometry import Box, component_boxes
from guardpaint.core.editor.masks import dilate_array, ring_array
from guardpaint.core.editor.regions import Region, find_regions
from guardpaint.core.editor.variations import variation_reach
from guardpaint.core.editor.views import View, editor_views, iopaint_views
from guardpaint.core.protection.loss_terms import STANDARD_TERMS, TERM_NAMES
from guardpaint.models.kinds import LAMA, NetworkKind


@dataclass(frozen=True)
class TermView:
    """One edit of the objective: a term, the window it lies in, the editor's view (image coordinates) and the
    editor that makes it (the first chosen one, when several make the same edit)."""

    term: str
    window: int
    view: View
    editor: str = DEFAULT_EDITORS[0]
    kind: NetworkKind = LAMA  # the networks it is for


@dataclass
class Plan:
    """The windows of one protection, the views inside them, and the regions they protect."""

    windows: list[Box]
    views: list[TermView]  # grouped by window, in window order
    full_frame: bool  # every view is of the whole image (one window)
    regions: list[Region]
    editors: tuple[str, ...] = DEFAULT_EDITORS  # the editors the views are made for

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


def _editor_views(masks: dict[str, np.ndarray], editors: tuple[str, ...], kinds: tuple[NetworkKind, ...]
                  ) -> list[tuple[str, str, NetworkKind, View]]:
    """(term, editor, kind, view) for every chosen editor's views of each term's mask, for networks of each of
    ``kinds``, in term order; a view another editor already makes for the same networks (the same box,
    differentiable transfer and mask) is kept once, under the first editor."""
    views, seen = [], set()
    for term in TERM_NAMES:
        for kind in kinds:
            for name in editors:
                for view in editor_views(name, masks[term], kind=kind):
                    key = (term, kind, view.box, view.transfer.differentiable(), view.mask.tobytes())
                    if key not in seen:
                        seen.add(key)
                        views.append((term, name, kind, view))
    return views


def plan_protection(mask: np.ndarray, expansion: int, editors: tuple[str, ...], robust: bool = False,
                    grid: int = 1, kinds: tuple[NetworkKind, ...] = (LAMA,)) -> Plan:
    """The views and windows for protecting ``mask`` (HxW bool) against ``editors`` running networks of
    ``kinds`` (``Inpainter.kind`` of each model); windows snap to a ``grid`` (16 for JPEG output, so a
    window holds whole JPEG blocks)."""
    views = _editor_views(term_masks(mask, expansion), editors, kinds)
    regions = find_regions(mask)
    frame = Box(0, 0, *mask.shape)
    if all(view.box == frame for *_, view in views):
        return Plan([frame], [TermView(term, 0, view, name, kind) for term, name, kind, view in views], True,
                    regions, editors)
    boxes = [view.box for *_, view in views]
    if robust:
        boxes += [view.box for view in iopaint_views(dilate_array(mask, 2 * robust_reach(mask) + 1), "crop")]
    windows = merge_boxes([_aligned(b, grid, mask.shape) for b in merge_boxes(boxes)])
    placed = [TermView(term, next(i for i, w in enumerate(windows) if w.contains(view.box)), view, name, kind)
              for term, name, kind, view in views]
    return Plan(windows, sorted(placed, key=lambda tv: tv.window), False, regions, editors)
