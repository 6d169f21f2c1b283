"""Mask geometry: validation, dilation, the benign ring and bounding boxes."""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from guardpaint.errors import InputError

#: Most separate parts a mask may have: the editor runs the model once per part above 800 px, and the
#: protection and its verification must run every one of those views.
MAX_REGIONS = 100


def count_parts(mask: np.ndarray) -> int:
    """How many separate parts (external contours) the editor splits ``mask`` into."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return len(contours)


def validate_mask(mask: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """Check a boolean protection mask against an image's HxW; return it as bool."""
    if mask.shape[:2] != tuple(image_shape[:2]):
        raise InputError(
            f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is {image_shape[1]}x{image_shape[0]}"
        )
    mask = mask.astype(bool)
    if not mask.any():
        raise InputError("the mask is empty: paint the region to protect (white = protected)")
    if mask.all():
        raise InputError("the mask covers the whole image: leave some context around the protected region")
    parts = count_parts(mask)
    if parts > MAX_REGIONS:
        raise InputError(f"the mask has {parts:,} separate parts, more than the {MAX_REGIONS} GuardPaint takes: the "
                         "editor runs the model once per part, and so must the protection; join nearby strokes "
                         "into one (brush over the gaps) or protect fewer regions")
    return mask


def dilate(mask: torch.Tensor, kernel: int) -> torch.Tensor:
    """Binary dilation by a ``kernel`` x ``kernel`` square (E(m) of docs/method.md); 1x1xHxW float in {0,1}."""
    if kernel <= 1:
        return (mask > 0).to(mask.dtype)
    weight = torch.ones(1, 1, kernel, kernel, dtype=mask.dtype, device=mask.device)
    left = (kernel - 1) // 2
    padded = F.pad(mask, (left, kernel - 1 - left, left, kernel - 1 - left))
    return (F.conv2d(padded, weight) > 0).to(mask.dtype)


def dilate_array(mask: np.ndarray, kernel: int) -> np.ndarray:
    """:func:`dilate` for a bool HxW array (same window placement), fast on full-size photos."""
    if kernel <= 1:
        return mask.astype(bool)
    left = (kernel - 1) // 2
    element = np.ones((kernel, kernel), np.uint8)
    return cv2.dilate(mask.astype(np.uint8), element, anchor=(left, left)).astype(bool)


def ring(mask: torch.Tensor, kernel: int) -> torch.Tensor:
    """``E(m) - m`` clipped to {0, 1}: the band around the protected region."""
    return (dilate(mask, kernel) - mask).clamp(0, 1)


def ring_array(mask: np.ndarray, kernel: int) -> np.ndarray:
    """:func:`ring` for a bool HxW array: the band of width ``kernel // 2`` around the region."""
    return dilate_array(mask, kernel) & ~mask


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), exclusive end, of the True pixels of a 2-D mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise InputError("the mask is empty")
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1
