"""How an editor's brush misses the protected region: the mask variations the suite and the robust level try."""
from __future__ import annotations

import cv2
import numpy as np

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.masks import bounding_box

#: Random brush strokes must cover at least this share of the region.
STROKE_COVERAGE = 0.7
MAX_STROKES = 200
#: How far the variations reach beyond the region at least (dilation 32 px, shifts 8 px).
MIN_REACH = 40


def variation_reach(box: Box) -> int:
    """How far the variations of a region with this bounding box reach beyond it: the dilations and
    shifts, or half the thickest random stroke (a sixth of its longest side), whichever is further."""
    return max(MIN_REACH, max(box.height, box.width) // 6 + 1)


def morph(mask: np.ndarray, radius: int, grow: bool) -> np.ndarray:
    """``mask`` dilated (``grow``) or eroded by a square of ``2 * radius + 1``."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    op = cv2.dilate if grow else cv2.erode
    return op(mask.astype(np.uint8), kernel).astype(bool)


def _shift(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(mask)
    h, w = mask.shape
    src = mask[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def _strokes(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thick random brush strokes across the region's box until they cover enough of it."""
    top, left, bottom, right = bounding_box(mask)
    size = max(bottom - top, right - left)
    strokes = np.zeros(mask.shape, np.uint8)
    region = mask.sum()
    for _ in range(MAX_STROKES):
        if (strokes.astype(bool) & mask).sum() >= STROKE_COVERAGE * region:
            return strokes.astype(bool)
        y0, y1 = rng.integers(top, bottom, 2)
        x0, x1 = rng.integers(left, right, 2)
        width = int(rng.integers(max(3, size // 6), max(4, size // 3)))
        cv2.line(strokes, (int(x0), int(y0)), (int(x1), int(y1)), 1, width)
    return strokes.astype(bool) | mask  # a region too thin for random strokes: cover it outright


def mask_variations(mask: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """The editor masks to try, by name; variants that would be empty or cover everything are left out."""
    top, left, bottom, right = bounding_box(mask)
    middle_row, middle_col = (top + bottom) // 2, (left + right) // 2
    rows = np.arange(mask.shape[0])[:, None]
    cols = np.arange(mask.shape[1])[None, :]
    box = np.zeros_like(mask)
    box[top:bottom, left:right] = True
    variants = {
        "exact": mask,
        "dilated 8 px": morph(mask, 8, True),
        "dilated 16 px": morph(mask, 16, True),
        "dilated 32 px": morph(mask, 32, True),
        "eroded 4 px": morph(mask, 4, False),
        "shifted 8 px down-right": _shift(mask, 8, 8),
        "shifted 8 px up-left": _shift(mask, -8, -8),
        "bounding box": box,
        "top half": mask & (rows < middle_row),
        "bottom half": mask & (rows >= middle_row),
        "left half": mask & (cols < middle_col),
        "right half": mask & (cols >= middle_col),
        "random strokes": _strokes(mask, np.random.default_rng(seed)),
    }
    return {name: m for name, m in variants.items() if m.any() and not m.all()}
