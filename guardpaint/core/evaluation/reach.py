"""What each region's edit reads, and whether it holds on noise another region's step wrote there.

A region's *reach* is the part of the image the edit of that region can be changed by: for every chosen
editor the box it runs the model on for the region (IOPaint's crop, the whole image...), narrowed to
the model's receptive field around the region where the model declares one
(:attr:`~guardpaint.models.base.Inpainter.reach`, scaled from the model's input to the image). Noise
written there counts for the region, whichever region's context it belongs to: a 5 px dot beside a
70 px face is read with the face's noise. Where the reach holds noise of a stronger step than the
region's own, the judge says whether the region still holds with that noise put back to the original:
the report then names the noise the region holds with (docs/method.md, section 6a).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.inpaint import editors_for
from guardpaint.core.editor.views import editor_views
from guardpaint.core.evaluation.metrics import noise_within
from guardpaint.core.protection.ladder import Judge
from guardpaint.core.protection.loop import ProtectionResult
from guardpaint.models.base import Inpainter


@dataclass(frozen=True)
class Neighbour:
    """Another region's noise inside a region's reach, written by a later (stronger) step than the region's own."""

    region: int  # its number
    step: int
    strength: float  # levels
    budget: str
    shortfall_without: float  # the region's shortfall with this noise in its reach put back to the original

    @property
    def needed(self) -> bool:
        """Whether the region fails without it."""
        return self.shortfall_without > 1

    def to_dict(self) -> dict:
        return {"region": self.region, "step": self.step, "strength": self.strength, "budget": self.budget,
                "shortfall_without": self.shortfall_without, "holds_without": not self.needed}


@dataclass
class Reach:
    """One region's reach: where it lies, the noise written in it, and the stronger neighbours' noise there."""

    box: Box  # its bounding box
    pixels: np.ndarray = field(repr=False)  # HxW bool
    noise: dict[str, float] = field(default_factory=dict)
    neighbours: list[Neighbour] = field(default_factory=list)

    def note(self) -> str:
        """What the region holds with, when a neighbour's noise is needed ("" otherwise)."""
        needed = [n for n in self.neighbours if n.needed]
        if not needed:
            return ""
        names = ", ".join(f"region {n.region}'s step {n.step} ({n.strength:.1f} levels)" for n in needed)
        return f"holds with {names} noise within its reach, and fails without it"

    def to_dict(self) -> dict:
        return {"box": [self.box.top, self.box.left, self.box.bottom, self.box.right], "noise": self.noise,
                "neighbours": [n.to_dict() for n in self.neighbours], "note": self.note() or None}


def reach_of(result: ProtectionResult, index: int, models: list[Inpainter]) -> np.ndarray:
    """Region ``index``'s (0-based) reach in the protection's editors, as an HxW bool mask."""
    shape = result.protected.shape[:2]
    region = result.regions[index]
    pixels = np.zeros(shape, bool)
    for model in models:
        for name in editors_for(model, result.settings.editors):
            for view in editor_views(name, region.mask(shape), kind=model.kind):
                if not view.mask.any():
                    continue
                area = view.box
                if model.reach is not None:
                    scale = max(view.box.height / view.model_shape[0], view.box.width / view.model_shape[1])
                    area = region.box.grown(math.ceil(model.reach * scale), shape).intersection(view.box) or view.box
                pixels[area.slices] = True
    return pixels


def reaches(result: ProtectionResult, models: list[Inpainter], original: np.ndarray, written: np.ndarray,
            judge: Judge) -> list[Reach]:
    """Every region's reach, the noise written there (measured on ``written``, the file as read back) and, for
    each later step's noise of another region inside it, the region's shortfall with that noise put back to
    the original (one judgement each, of the protection with it removed)."""
    changed = (result.protected != original).any(axis=-1)
    out = []
    for index, region in enumerate(result.regions):
        pixels = reach_of(result, index, models)
        rows, cols = np.flatnonzero(pixels.any(axis=1)), np.flatnonzero(pixels.any(axis=0))
        box = Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)
        reach = Reach(box, pixels, noise_within(original, written, pixels))
        own = result.region_outcomes[index]
        for other, outcome in enumerate(result.region_outcomes):
            theirs = result.context_mask(other) & pixels & changed
            if other == index or not theirs.any() or outcome.step <= own.step:
                continue
            without = result.protected.copy()
            without[theirs] = original[theirs]
            shortfall = judge(without)[region.number].worst
            reach.neighbours.append(Neighbour(other + 1, outcome.step, outcome.strength.levels, outcome.budget,
                                              shortfall))
        out.append(reach)
    return out
