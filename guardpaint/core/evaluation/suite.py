"""The attacker suite: edits of a protected image the way real editors and users make them.

Three groups of cases, each compared against the same attack on the original:

* ``mask``: the editor's brush is never exactly the protected region (dilated,
  eroded, shifted, the bounding box, half of it, random strokes);
* ``pipeline``: how editors call LaMa (:mod:`guardpaint.core.pipelines`): the full frame, the
  per-component crop (IOPaint's default above 800 px; a crop by hand below), IOPaint's resize
  above 1280 px; every other case uses the editor's default;
* ``transform``: what happens to a file before anyone edits it (JPEG,
  resizing and back, a PNG round trip).

A case *holds* under the single rule of :class:`guardpaint.core.verify.EditComparison`:
the fill is at most half as far from the target colour as the clean fill and
its SSIM against the clean fill is at most 0.5, i.e. it is visibly not a
plausible completion of the region.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.masks import bounding_box, ring_array, validate_mask
from guardpaint.core.editor.variations import mask_variations, morph
from guardpaint.core.editor.views import RESIZE_LIMIT, uses_crops, uses_resize
from guardpaint.core.evaluation.verify import EditComparison, compare_edit, edit_ssim
from guardpaint.core.io.formats import decode_image, encode_image
from guardpaint.models.base import Inpainter

#: Random brush strokes must cover at least this share of the region.
STROKE_COVERAGE = 0.7
MAX_STROKES = 200

Transform = Callable[[np.ndarray], np.ndarray]


# ----------------------------------------------------------------------------- pipelines
def pipeline_cases(shape: tuple[int, ...]) -> dict[str, str]:
    """The editor pipelines worth trying on an image of this shape, by case name.

    The default pipeline is what every other case uses; IOPaint's resize applies only above its limit.
    """
    crop = "IOPaint crop (+128 px)" if uses_crops(shape, "auto") else "crop around the mask (+128 px, by hand)"
    cases = {"full frame": "full", crop: "crop"}
    if uses_resize(shape, "resize"):
        cases[f"IOPaint resize ({RESIZE_LIMIT} px)"] = "resize"
    return cases


# ----------------------------------------------------------------------------- transforms
def jpeg(quality: int) -> Transform:
    def apply(rgb: np.ndarray) -> np.ndarray:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
        return np.array(Image.open(buffer).convert("RGB"))

    return apply


def rescale(factor: float) -> Transform:
    def apply(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        resized = Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC)
        return np.array(resized.resize((w, h), Image.Resampling.BICUBIC))

    return apply


def png_round_trip(rgb: np.ndarray) -> np.ndarray:
    return decode_image(encode_image(rgb))


TRANSFORMS: dict[str, Transform] = {
    "JPEG q95": jpeg(95),
    "JPEG q90": jpeg(90),
    "JPEG q80": jpeg(80),
    "resize 0.75x and back": rescale(0.75),
    "resize 1.5x and back": rescale(1.5),
    "PNG round trip": png_round_trip,
}


# ----------------------------------------------------------------------------- the suite
@dataclass
class CaseResult:
    """One attack on the protected image next to the same attack on the original."""

    group: str  # "mask", "pipeline" or "transform"
    name: str
    comparison: EditComparison

    @property
    def holds(self) -> bool:
        return self.comparison.holds

    def to_dict(self) -> dict:
        return {"group": self.group, "name": self.name, **self.comparison.to_dict()}


@dataclass
class SuiteReport:
    """Every case, the share that held per group, and benign-edit SSIM away from the region."""

    cases: list[CaseResult]
    benign_ssim: dict[str, float] = field(default_factory=dict)

    def held_fraction(self, group: str | None = None) -> float:
        chosen = [c for c in self.cases if group is None or c.group == group]
        return sum(c.holds for c in chosen) / len(chosen) if chosen else float("nan")

    def groups(self) -> list[str]:
        return list(dict.fromkeys(c.group for c in self.cases))

    def to_dict(self) -> dict:
        return {"cases": [c.to_dict() for c in self.cases],
                "held": {g: self.held_fraction(g) for g in self.groups()} | {"all": self.held_fraction()},
                "benign_ssim": self.benign_ssim}


def _compare(editor: Editor, original: np.ndarray, protected: np.ndarray, mask: np.ndarray,
             colour: tuple[int, int, int]) -> EditComparison:
    return compare_edit(editor, original, protected, mask, colour)[0]


def away_mask(mask: np.ndarray) -> np.ndarray | None:
    """A box of the region's size in the image corner farthest from it, or None when none fits clear of it."""
    top, left, bottom, right = bounding_box(mask)
    h, w = mask.shape
    box_h, box_w = bottom - top, right - left
    clearance = 16
    best = None
    for y in (0, h - box_h):
        for x in (0, w - box_w):
            candidate = np.zeros_like(mask)
            candidate[y:y + box_h, x:x + box_w] = True
            if (morph(candidate, clearance, True) & mask).any():
                continue
            distance = abs(y - top) + abs(x - left)
            if best is None or distance > best[0]:
                best = (distance, candidate)
    return None if best is None else best[1]


def run_suite(model: Inpainter, original: np.ndarray, protected: np.ndarray, mask: np.ndarray,
              colour: tuple[int, int, int], expansion: int = 17, seed: int = 0,
              on_case: Callable[[CaseResult], None] | None = None) -> SuiteReport:
    """Run every case on the 8-bit ``original`` and ``protected`` images; report each through ``on_case``.

    Mask variations and transforms go through the editor's default pipeline (``auto``); the pipeline
    group tries the others.
    """
    mask = validate_mask(mask, original.shape)
    editor = Editor(model)
    cases: list[CaseResult] = []

    def record(group: str, name: str, comparison: EditComparison) -> None:
        case = CaseResult(group, name, comparison)
        cases.append(case)
        if on_case is not None:
            on_case(case)

    with torch.inference_mode():
        exact = _compare(editor, original, protected, mask, colour)
        for name, variant in mask_variations(mask, seed).items():
            record("mask", name, exact if name == "exact" else _compare(editor, original, protected, variant, colour))
        default_view = "crop" if uses_crops(original.shape, "auto") else "full"
        for name, pipeline in pipeline_cases(original.shape).items():  # the default view was measured above
            record("pipeline", name, exact if pipeline == default_view else
                   _compare(Editor(model, pipeline), original, protected, mask, colour))
        for name, transform in TRANSFORMS.items():
            record("transform", name, _compare(editor, transform(original), transform(protected), mask, colour))
        benign = {"ring": ring_array(mask, expansion)}
        far = away_mask(mask)
        if far is not None:
            benign["away from the region"] = far
        benign_ssim = {name: edit_ssim(editor.inpaint(original, b), editor.inpaint(protected, b), b)
                       for name, b in benign.items()}
    return SuiteReport(cases, benign_ssim)
