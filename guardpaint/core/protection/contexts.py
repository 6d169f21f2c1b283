"""Each region's context: the pixels of its window that are nearer to it than to any other region there.

A window (the whole frame up to 800 px, else an editor crop) can hold several regions. The noise of a
window is split among them by nearness, so that each region gets a budget of its own (measured on its own
neighbourhood, whatever else shares the window), keeps the noise it held with when another region climbs
the strength ladder, and reports the noise actually written around it.
"""
from __future__ import annotations

import cv2
import numpy as np

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.regions import Region


def context_labels(window: Box, regions: list[Region], members: list[int]) -> np.ndarray:
    """For every pixel of ``window`` (image coordinates), the index (into ``regions``) of the nearest of the
    ``members``: the regions lying in the window. Ties go to the lower index."""
    height, width = window.height, window.width
    if len(members) == 1:
        return np.full((height, width), members[0], np.int32)
    nearest = np.full((height, width), np.inf, np.float32)
    labels = np.zeros((height, width), np.int32)
    for index in members:
        outside = ~regions[index].mask_in(window)
        distance = cv2.distanceTransform(outside.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        closer = distance < nearest
        nearest[closer], labels[closer] = distance[closer], index
    return labels


def window_members(windows: list[Box], regions: list[Region]) -> list[list[int]]:
    """The indices of the regions lying in each window (every region lies in exactly one)."""
    members: list[list[int]] = [[] for _ in windows]
    for index, region in enumerate(regions):
        members[next(i for i, window in enumerate(windows) if window.contains(region.box))].append(index)
    return members
