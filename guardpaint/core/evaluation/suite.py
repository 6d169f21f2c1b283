"""The attacker suite: edits of a protected image the way real editors and users make them.

Groups of cases, each compared against the same attack on the original:

* ``mask``: the editor's brush is never exactly the protected region (dilated,
  eroded, shifted, the bounding box, half of it, random strokes);
* ``pipeline``: every editor of :mod:`guardpaint.core.editor.editors`, whether the protection was made
  for it or not (IOPaint's whole frame, its per-component crop and its resize above 1280 px, ComfyUI at
  256 px or 512 px, the 512 px apps), so a user sees which editors the file is not protected against; every other
  case uses one editor (the first the protection was made for);
* ``transform`` and ``purification``: what happens to the image before anyone edits it, from the one list
  of attacks (:mod:`guardpaint.core.protection.attacks`): re-encoding and resizing; blurs, denoisers,
  curves, AdverseCleaner, the social-media path, shifts off LaMa's 8 px grid.

Every case is judged region by region (:mod:`guardpaint.core.evaluation.verify`): a mask
variation is applied to each region on its own, the editor's mask is their union, and each region
is judged on its own variation. A region *holds* under the single rule of
:class:`~guardpaint.core.evaluation.verify.EditComparison` (the fill is at most half as far from the
target colour as the clean fill and its SSIM against the clean fill is at most 0.5: visibly not a
plausible completion); a case holds when every region does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS, runs
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.inpaint import Editor, check_editors_run, editors_for
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.editor.pipelines import uses_resize
from guardpaint.core.editor.regions import Region, find_regions, region_of
from guardpaint.core.editor.variations import mask_variations, variation_reach
from guardpaint.core.editor.views import editor_views
from guardpaint.core.evaluation.verify import MaskEdit, benign_ssim, judge, ring_ssims
from guardpaint.core.io.formats import decode_image, encode_image
from guardpaint.core.protection.attacks import ATTACKS, shifted, unshifted
from guardpaint.core.protection.groups import SUITE_GROUPS
from guardpaint.errors import InputError
from guardpaint.models.base import Inpainter
from guardpaint.models.kinds import LAMA, NetworkKind

# ----------------------------------------------------------------------------- pipelines
#: The full-frame case runs the model on the whole photo: above this many pixels (a 16 MP photo; big-lama
#: would need tens of GB) it is skipped with a note, as an editor that crops never does it either.
FULL_FRAME_LIMIT = 16_000_000


def pipeline_cases(shape: tuple[int, ...], kind: NetworkKind = LAMA) -> dict[str, str]:
    """The editors worth trying on an image of this shape with a network of ``kind``, by case name (the
    editor's label): each of IOPaint's strategies that acts at this size (its default is one of the others:
    whole frame or crops; its resize only above its limit; the whole frame only up to
    :data:`FULL_FRAME_LIMIT`), and every other editor that runs such a network."""
    names = [name for name in EDITORS if name != "iopaint" and runs(name, kind)]
    if shape[0] * shape[1] > FULL_FRAME_LIMIT:
        names.remove("iopaint:full")
    if not uses_resize(shape, "resize"):
        names.remove("iopaint:resize")
    return {EDITORS[name].label: name for name in names}


def _same_edit(first: str, second: str, mask: np.ndarray, kind: NetworkKind) -> bool:
    """Whether two editors make the same edit of ``mask`` (the same views, transfers and masks) with a network of
    ``kind`` (``Inpainter.kind``)."""
    def keys(name: str) -> list:
        return [(view.box, view.transfer, view.mask.tobytes())
                for view in editor_views(name, mask, kind=kind)]
    return keys(first) == keys(second)


def png_round_trip(rgb: np.ndarray) -> np.ndarray:
    return decode_image(encode_image(rgb))


# ----------------------------------------------------------------------------- the suite
@dataclass
class CaseResult:
    """One attack on the protected image next to the same attack on the original, judged per region."""

    group: str  # "mask", "pipeline" or one of the attack list's groups
    name: str
    edit: MaskEdit
    params: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.edit.holds

    def to_dict(self) -> dict:
        return {"group": self.group, "name": self.name, "params": self.params, **self.edit.to_dict()}


@dataclass
class SuiteReport:
    """Every case, the share that held per group, and benign-edit SSIM away from the regions."""

    cases: list[CaseResult]
    benign_ssim: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # case name: why it was not run

    def held_fraction(self, group: str | None = None) -> float:
        chosen = [c for c in self.cases if group is None or c.group == group]
        return sum(c.holds for c in chosen) / len(chosen) if chosen else float("nan")

    def groups(self) -> list[str]:
        return list(dict.fromkeys(c.group for c in self.cases))

    def to_dict(self) -> dict:
        return {"cases": [c.to_dict() for c in self.cases],
                "held": {g: self.held_fraction(g) for g in self.groups()} | {"all": self.held_fraction()},
                "benign_ssim": self.benign_ssim, "skipped": self.skipped}


def region_variations(regions: list[Region], shape: tuple[int, ...], seed: int = 0
                      ) -> dict[str, tuple[np.ndarray, list[Region], list[int]]]:
    """Each mask variation applied to every region on its own: the editor's mask (their union), the
    variation of each region, numbered as the region, and the numbers of the regions the variation
    vanishes for (an erosion of a thin stroke): the case cannot test those, and says so."""
    union: dict[str, np.ndarray] = {}
    judged: dict[str, list[Region]] = {}
    for region in regions:
        near = region.box.grown(variation_reach(region.box), shape)
        for name, variant in mask_variations(region.mask_in(near), seed).items():
            if name not in union:
                union[name] = np.zeros(shape[:2], bool)
            union[name][near.slices] |= variant
            judged.setdefault(name, []).append(region_of(region.number, variant, (near.top, near.left)))
    numbers = [region.number for region in regions]
    return {name: (mask, judged[name], [n for n in numbers if n not in {r.number for r in judged[name]}])
            for name, mask in union.items() if not mask.all()}


def away_mask(mask: np.ndarray, regions: list[Region], clearance: int = 16) -> np.ndarray | None:
    """A box the size of the largest region in the image corner farthest from every region, or None
    when none fits clear of the mask."""
    largest = max(regions, key=lambda region: region.box.height * region.box.width).box
    height, width = mask.shape
    best = None
    for top in (0, height - largest.height):
        for left in (0, width - largest.width):
            box = Box(top, left, top + largest.height, left + largest.width)
            if mask[box.grown(clearance, mask.shape).slices].any():
                continue
            distance = min(abs(top - r.box.top) + abs(left - r.box.left) for r in regions)
            if best is None or distance > best[0]:
                best = (distance, box)
    if best is None:
        return None
    far = np.zeros_like(mask)
    far[best[1].slices] = True
    return far


def case_count(mask: np.ndarray, groups: tuple[str, ...] = SUITE_GROUPS, seed: int = 0,
               kind: NetworkKind = LAMA) -> int:
    """How many cases :func:`run_suite` runs for ``mask`` (HxW bool) in ``groups`` with a network of
    ``kind``: for "n of N" progress."""
    count = len(region_variations(find_regions(mask), mask.shape, seed)) if "mask" in groups else 0
    count += len(pipeline_cases(mask.shape, kind)) if "pipeline" in groups else 0
    return count + sum(attack.group in groups for attack in ATTACKS)


def run_suite(model: Inpainter, original: np.ndarray, protected: np.ndarray, mask: np.ndarray,
              colour: tuple[int, int, int], expansion: int = 17, seed: int = 0,
              on_case: Callable[[CaseResult], None] | None = None,
              should_cancel: Callable[[], bool] | None = None, groups: tuple[str, ...] = SUITE_GROUPS,
              chosen: tuple[str, ...] = DEFAULT_EDITORS) -> SuiteReport:
    """Run every case of ``groups`` on the 8-bit ``original`` and ``protected`` images; report each through
    ``on_case``.

    ``chosen`` are the editors the protection was made for: mask variations and image attacks go through
    the first; the pipeline group tries every editor and says of each whether it was chosen.
    ``should_cancel`` is asked before every run of the model. A shift moves the editor's mask with the
    image, and both edits are moved back before they are judged.
    """
    unknown = [group for group in groups if group not in SUITE_GROUPS]
    if unknown:
        raise InputError(f"unknown suite group {unknown[0]!r} (use {', '.join(SUITE_GROUPS)})")
    mask = validate_mask(mask, original.shape)
    regions = find_regions(mask)
    check_editors_run([model], chosen)
    chosen = editors_for(model, chosen)  # the editors of the protection that run this model
    editor = Editor(model, chosen[0], should_cancel)
    cases: list[CaseResult] = []

    def record(group: str, name: str, edit: MaskEdit, params: dict | None = None) -> None:
        case = CaseResult(group, name, edit, params or {})
        cases.append(case)
        if on_case is not None:
            on_case(case)

    def attack(editor: Editor, k: np.ndarray, judged: list[Region], before: np.ndarray = original,
               after: np.ndarray = protected, shift: int = 0) -> MaskEdit:
        clean, attacked = editor.inpaint(before, k), editor.inpaint(after, k)
        if shift:
            clean, attacked = unshifted(clean, shift), unshifted(attacked, shift)
        return judge(clean, attacked, judged, colour)

    with torch.inference_mode():
        exact = attack(editor, mask, regions)
        if "mask" in groups:
            for name, (variant, judged, untested) in region_variations(regions, mask.shape, seed).items():
                edit = exact if name == "exact" else attack(editor, variant, judged)
                record("mask", name, replace(edit, untested=untested) if untested else edit)
        kind = model.kind
        for name, other in pipeline_cases(original.shape, kind).items() if "pipeline" in groups else ():
            edit = exact if _same_edit(other, editor.name, mask, kind) else attack(
                Editor(model, other, should_cancel), mask, regions)
            made_for = any(_same_edit(other, name_chosen, mask, kind) for name_chosen in chosen)
            record("pipeline", name, edit, {"editor": other, "protected_against": made_for})
        for image_attack in (a for a in ATTACKS if a.group in groups):
            moved = image_attack.shift
            k = shifted(mask, moved) if moved else mask
            record(image_attack.group, image_attack.name,
                   attack(editor, k, regions, image_attack.apply(original), image_attack.apply(protected), moved),
                   image_attack.params)
        benign = {"ring": min(ring_ssims(editor, original, protected, mask, regions, expansion)[0])}
        far = away_mask(mask, regions)
        if far is not None:
            benign["away from the regions"] = benign_ssim(editor.inpaint(original, far),
                                                          editor.inpaint(protected, far), far)
    full_frame_runs = "iopaint:full" in pipeline_cases(original.shape, kind).values() or kind.fixed_side is not None
    skipped = {} if full_frame_runs else {
        "full frame": f"the photo is over {FULL_FRAME_LIMIT // 10**6} MP: running the model on all of it would take "
                      "tens of GB, and an editor that crops never does"}
    return SuiteReport(cases, benign, skipped)
