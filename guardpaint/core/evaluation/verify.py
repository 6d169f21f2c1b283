"""Verification: what an editor gets when it inpaints the original versus the protected image, region by region.

Every region of the protection mask (:mod:`guardpaint.core.editor.regions`) is judged on its own pixels:
the SSIM of its fill with the clean fill taken over those pixels alone (:func:`masked_ssim`), the
distances to the target colour over them too. Untouched pixels around a thin stroke or a small dot never
dilute the comparison, and one region never takes in another's fill. The verdict holds only when every
region holds.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.masks import ring_array, validate_mask
from guardpaint.core.editor.regions import Region, find_regions
from guardpaint.core.evaluation.metrics import masked_psnr, masked_ssim, max_abs_diff, psnr, ssim, target_distance
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.errors import InputError

#: A malicious edit counts as defeated when its fill is this much closer to the target...
HOLD_DISTANCE_RATIO = 0.5
#: ...and this dissimilar (SSIM over the region's own pixels) to the clean edit.
HOLD_MAX_SSIM = 0.5


@dataclass
class EditComparison:
    """One region's fill, edited on the original and on the protected image."""

    ssim: float  # over the region's own pixels (masked SSIM), protected edit vs original edit
    psnr: float  # over the region's own pixels
    target_distance_original: float  # mean |fill - target| in levels over the region's pixels, original
    target_distance_protected: float

    @classmethod
    def measure(cls, clean: np.ndarray, attacked: np.ndarray, region: Region,
                colour: tuple[int, int, int]) -> EditComparison:
        """Compare the edit of the original (``clean``) with the edit of the protected image over ``region``."""
        clean_box, attacked_box = clean[region.box.slices], attacked[region.box.slices]
        return cls(
            ssim=masked_ssim(attacked_box, clean_box, region.pixels),
            psnr=masked_psnr(attacked_box, clean_box, region.pixels),
            target_distance_original=target_distance(clean_box, region.pixels, colour),
            target_distance_protected=target_distance(attacked_box, region.pixels, colour),
        )

    @property
    def shortfall(self) -> float:
        """How far the edit is from being defeated: the larger of the two criteria as a share of its limit
        (the fill's distance to the target against half the clean fill's, its SSIM against 0.5). At most 1
        means it holds; lower is better, so a stronger step "brings a region closer" when this falls."""
        distance = self.target_distance_protected / max(HOLD_DISTANCE_RATIO * self.target_distance_original, 1e-9)
        return max(distance, self.ssim / HOLD_MAX_SSIM)

    @property
    def holds(self) -> bool:
        """Protection held: the fill is near the target colour and unlike the clean fill."""
        return (self.target_distance_protected <= HOLD_DISTANCE_RATIO * self.target_distance_original
                and self.ssim <= HOLD_MAX_SSIM)

    def to_dict(self) -> dict:
        return {**asdict(self), "shortfall": self.shortfall, "holds": self.holds}


@dataclass
class MaskEdit:
    """The edit of one editor mask, judged region by region (``numbers`` name the protected regions)."""

    numbers: list[int]
    comparisons: list[EditComparison]
    untested: list[int] = field(default_factory=list)  # regions this edit could not test (its mask missed them)

    @property
    def holds(self) -> bool:
        return all(comparison.holds for comparison in self.comparisons)

    @property
    def failing(self) -> list[int]:
        """The numbers of the regions that do not hold."""
        return [n for n, comparison in zip(self.numbers, self.comparisons, strict=True) if not comparison.holds]

    def worst(self) -> tuple[int, EditComparison]:
        """The region that holds least: a failing one first, then the highest SSIM."""
        pairs = list(zip(self.numbers, self.comparisons, strict=True))
        return max(pairs, key=lambda pair: (not pair[1].holds, pair[1].ssim))

    def to_dict(self) -> dict:
        return {"holds": self.holds, "regions": [{"region": n, **comparison.to_dict()}
                                                 for n, comparison in zip(self.numbers, self.comparisons, strict=True)],
                "not_tested": self.untested}


def judge(clean: np.ndarray, attacked: np.ndarray, regions: list[Region], colour: tuple[int, int, int]) -> MaskEdit:
    """Judge an edit region by region."""
    return MaskEdit([r.number for r in regions], [EditComparison.measure(clean, attacked, r, colour) for r in regions])


def benign_ssim(clean: np.ndarray, attacked: np.ndarray, mask: np.ndarray) -> float:
    """How unaffected an edit elsewhere is: the lowest SSIM over the pixels of each part of its mask."""
    return min(masked_ssim(attacked[r.box.slices], clean[r.box.slices], r.pixels) for r in find_regions(mask))


@dataclass
class RegionVerdict:
    """One protected region: the malicious edit of the mask, judged over it, and the edit of its ring."""

    region: Region
    malicious: EditComparison
    ring_ssim: float

    @property
    def holds(self) -> bool:
        return self.malicious.holds

    def to_dict(self) -> dict:
        return {"region": self.region.number, **self.malicious.to_dict(), "ring_ssim": self.ring_ssim}


@dataclass
class VerificationReport:
    """The metrics of docs/method.md for one original/protected pair and one model, per region."""

    psnr: float
    ssim: float
    max_abs_diff: int
    target_colour: tuple[int, int, int]
    regions: list[RegionVerdict]
    benign_ssim: dict[str, float] = field(default_factory=dict)  # per benign mask: its lowest part
    edits: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)  # (clean, attacked)
    edit_boxes: dict[str, Box] = field(default_factory=dict, repr=False)  # where each shown edit lies

    @property
    def holds(self) -> bool:
        """The verdict: every region's edit is defeated."""
        return all(verdict.holds for verdict in self.regions)

    @property
    def failing(self) -> list[int]:
        return [verdict.region.number for verdict in self.regions if not verdict.holds]

    def worst(self) -> RegionVerdict:
        """The region that holds least (a failing one first, then the highest SSIM)."""
        return max(self.regions, key=lambda verdict: (not verdict.holds, verdict.malicious.ssim))

    def to_dict(self) -> dict:
        """JSON-ready metrics (no pictures)."""
        return {"psnr": self.psnr, "ssim": self.ssim, "max_abs_diff": self.max_abs_diff,
                "target_colour": list(self.target_colour), "holds": self.holds,
                "regions": [verdict.to_dict() for verdict in self.regions], "benign_ssim": self.benign_ssim}


#: Verifications of one pair of images: per model (by label), per editor (by name).
Checks = dict[str, dict[str, VerificationReport]]


def each_check(checks: Checks) -> list[tuple[str, str, VerificationReport]]:
    """(model label, editor name, verification) for every model and editor."""
    return [(label, name, check) for label, by_editor in checks.items() for name, check in by_editor.items()]


def region_shortfall(checks: Checks, index: int, pick: Callable[[Iterable[float]], float] = max) -> float:
    """Region ``index``'s (0-based) shortfall where it holds least (``pick`` max: on the worst model under the
    worst editor) or, with ``min``, where it holds best."""
    return pick(check.regions[index].malicious.shortfall for _, _, check in each_check(checks))


def failing_editors(checks: Checks, index: int) -> list[str]:
    """The editors under which region ``index`` (0-based) does not hold on some model, in the chosen order."""
    return list(dict.fromkeys(name for _, name, check in each_check(checks) if not check.regions[index].holds))


def ring_ssims(editor: Editor, original: np.ndarray, protected: np.ndarray, mask: np.ndarray,
               regions: list[Region], expansion: int) -> tuple[list[float], np.ndarray, np.ndarray]:
    """The edit of the ring around the mask, judged per region over the ring's pixels around it (within half
    the expansion of its box): the SSIMs, and the two edits."""
    ring = ring_array(mask, expansion)
    clean, attacked = editor.inpaint(original, ring), editor.inpaint(protected, ring)
    boxes = [region.box.grown(expansion // 2, mask.shape) for region in regions]
    return [masked_ssim(attacked[box.slices], clean[box.slices], ring[box.slices]) for box in boxes], clean, attacked


def shown_region_boxes(regions: list[Region], shape: tuple[int, ...]) -> dict[int, Box]:
    """Where to show each region's edits: the editor's crop around it (the part the editor reads)."""
    return {region.number: region.crop(shape) for region in regions}


def shown_boxes(editor: Editor, name: str, mask: np.ndarray) -> dict[str, Box]:
    """Where to show an edit of another mask: the whole frame, or each crop the editor ran the model on
    (numbered by position when there are several), so a large photo is shown at a useful size."""
    boxes = sorted(editor.view_boxes(mask), key=lambda box: (box.top, box.left))
    if len(boxes) == 1:
        return {name: boxes[0]}
    return {f"{name} {i}": box for i, box in enumerate(boxes, start=1)}


def verify(
    editor: Editor,
    original: np.ndarray,
    protected: np.ndarray,
    mask: np.ndarray,
    extra_masks: dict[str, np.ndarray] | None = None,
    target_colour: tuple[int, int, int] | None = None,
    expansion: int = 17,
    keep_edits: bool = False,
) -> VerificationReport:
    """Run the editor on both 8-bit images and measure imperceptibility, and the malicious and benign
    edits region by region. ``keep_edits`` keeps each region's crop of the edits for showing them. The
    inputs are checked here (:func:`verify_checked` takes checked ones)."""
    if original.shape != protected.shape:
        raise InputError(f"original is {original.shape[1]}x{original.shape[0]} "
                         f"but protected is {protected.shape[1]}x{protected.shape[0]}")
    mask = validate_mask(mask, original.shape)
    extra = {name: validate_mask(other, original.shape) for name, other in (extra_masks or {}).items()}
    colour = target_colour or choose_target_colour(original)
    return verify_checked(editor, original, protected, mask, extra, colour, expansion, keep_edits)


def verify_checked(editor: Editor, original: np.ndarray, protected: np.ndarray, mask: np.ndarray,
                   extra_masks: dict[str, np.ndarray], colour: tuple[int, int, int], expansion: int,
                   keep_edits: bool) -> VerificationReport:
    """:func:`verify` on inputs already checked (a protection request's): images of one shape, HxW bool masks."""
    regions = find_regions(mask)
    shown: dict[str, tuple[Box, np.ndarray, np.ndarray]] = {}

    def keep(boxes: dict[str, Box], clean: np.ndarray, attacked: np.ndarray) -> None:
        if keep_edits:  # only the parts the editor computed: memory bounded by the crops, not the photo
            shown.update({label: (box, clean[box.slices].copy(), attacked[box.slices].copy())
                          for label, box in boxes.items()})

    with torch.inference_mode():
        clean, attacked = editor.inpaint(original, mask), editor.inpaint(protected, mask)
        malicious = judge(clean, attacked, regions, colour)
        crops = shown_region_boxes(regions, mask.shape)
        keep({f"region {n}": box for n, box in crops.items()}, clean, attacked)
        rings, clean_ring, attacked_ring = ring_ssims(editor, original, protected, mask, regions, expansion)
        keep({f"ring around region {n}": box for n, box in crops.items()}, clean_ring, attacked_ring)
        benign = {"ring": min(rings)}
        for name, benign_mask in extra_masks.items():
            clean_b, attacked_b = editor.inpaint(original, benign_mask), editor.inpaint(protected, benign_mask)
            benign[name] = benign_ssim(clean_b, attacked_b, benign_mask)
            keep(shown_boxes(editor, name, benign_mask), clean_b, attacked_b)
    return VerificationReport(
        psnr=psnr(original, protected),
        ssim=ssim(original, protected),
        max_abs_diff=max_abs_diff(original, protected),
        target_colour=tuple(int(c) for c in colour),
        regions=[RegionVerdict(region, comparison, ring_ssim)
                 for region, comparison, ring_ssim in zip(regions, malicious.comparisons, rings, strict=True)],
        benign_ssim=benign,
        edits={label: (c, a) for label, (_, c, a) in shown.items()},
        edit_boxes={label: box for label, (box, _, _) in shown.items()},
    )
