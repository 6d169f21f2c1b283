"""Verification: what an editor gets when it inpaints the original versus the protected image."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.masks import ring_array, validate_mask
from guardpaint.core.evaluation.metrics import crop_box, max_abs_diff, psnr, ssim, target_distance
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.errors import InputError

#: A malicious edit counts as defeated when its fill is this much closer to the target...
HOLD_DISTANCE_RATIO = 0.5
#: ...and this dissimilar (SSIM over the mask's box) to the clean edit.
HOLD_MAX_SSIM = 0.5


def edit_ssim(clean: np.ndarray, attacked: np.ndarray, mask: np.ndarray) -> float:
    """SSIM over the mask's bounding box between the edit of the protected image and that of the original."""
    return ssim(crop_box(attacked, mask), crop_box(clean, mask))


@dataclass
class EditComparison:
    """One mask, edited on the original and on the protected image."""

    ssim: float  # over the mask's bounding box, protected edit vs original edit
    psnr: float
    target_distance_original: float  # mean |fill - target| in levels, edit of the original
    target_distance_protected: float

    @classmethod
    def measure(cls, clean: np.ndarray, attacked: np.ndarray, mask: np.ndarray,
                colour: tuple[int, int, int]) -> EditComparison:
        """Compare the edit of the original (``clean``) with the edit of the protected image."""
        return cls(
            ssim=edit_ssim(clean, attacked, mask),
            psnr=psnr(crop_box(attacked, mask), crop_box(clean, mask)),
            target_distance_original=target_distance(clean, mask, colour),
            target_distance_protected=target_distance(attacked, mask, colour),
        )

    @property
    def holds(self) -> bool:
        """Protection held: the fill is near the target colour and unlike the clean fill."""
        return (self.target_distance_protected <= HOLD_DISTANCE_RATIO * self.target_distance_original
                and self.ssim <= HOLD_MAX_SSIM)

    def to_dict(self) -> dict:
        return {**asdict(self), "holds": self.holds}


@dataclass
class VerificationReport:
    """The metrics of docs/method.md for one original/protected pair."""

    psnr: float
    ssim: float
    max_abs_diff: int
    target_colour: tuple[int, int, int]
    malicious: EditComparison
    benign_ssim: dict[str, float] = field(default_factory=dict)
    edits: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)  # (clean, attacked)
    edit_boxes: dict[str, Box] = field(default_factory=dict, repr=False)  # where each shown edit lies

    def to_dict(self) -> dict:
        """JSON-ready metrics (no pictures)."""
        data = asdict(self)
        data.pop("edits")
        data.pop("edit_boxes")
        data["malicious"] = self.malicious.to_dict()
        data["target_colour"] = list(self.target_colour)
        return data


def compare_edit(editor: Editor, original: np.ndarray, protected: np.ndarray, mask: np.ndarray,
                 colour: tuple[int, int, int]) -> tuple[EditComparison, np.ndarray, np.ndarray]:
    """Edit both images with ``mask``; the comparison and the two edited pictures."""
    clean = editor.inpaint(original, mask)
    attacked = editor.inpaint(protected, mask)
    return EditComparison.measure(clean, attacked, mask, colour), clean, attacked


def shown_boxes(editor: Editor, name: str, mask: np.ndarray) -> dict[str, Box]:
    """Where to show an edit: the whole frame, or each crop the editor ran the model on (numbered by
    position when there are several), so a region of a large photo is shown at a useful size."""
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
    """Run the editor on both 8-bit images and measure imperceptibility, malicious and benign edits."""
    if original.shape != protected.shape:
        raise InputError(f"original is {original.shape[1]}x{original.shape[0]} "
                         f"but protected is {protected.shape[1]}x{protected.shape[0]}")
    mask = validate_mask(mask, original.shape)
    colour = target_colour or choose_target_colour(original)
    shown: dict[str, tuple[Box, np.ndarray, np.ndarray]] = {}

    def keep(name: str, k: np.ndarray, clean: np.ndarray, attacked: np.ndarray) -> None:
        if keep_edits:  # only the parts the editor computed: memory bounded by the crops, not the photo
            for label, box in shown_boxes(editor, name, k).items():
                shown[label] = (box, clean[box.slices].copy(), attacked[box.slices].copy())

    with torch.inference_mode():
        malicious, clean, attacked = compare_edit(editor, original, protected, mask, colour)
        keep("protected region", mask, clean, attacked)
        benign: dict[str, float] = {}
        for name, benign_mask in {"ring": ring_array(mask, expansion), **(extra_masks or {})}.items():
            benign_mask = validate_mask(benign_mask, original.shape)
            clean_b = editor.inpaint(original, benign_mask)
            attacked_b = editor.inpaint(protected, benign_mask)
            benign[name] = edit_ssim(clean_b, attacked_b, benign_mask)
            keep(name, benign_mask, clean_b, attacked_b)
    return VerificationReport(
        psnr=psnr(original, protected),
        ssim=ssim(original, protected),
        max_abs_diff=max_abs_diff(original, protected),
        target_colour=tuple(int(c) for c in colour),
        malicious=malicious,
        benign_ssim=benign,
        edits={label: (c, a) for label, (_, c, a) in shown.items()},
        edit_boxes={label: box for label, (box, _, _) in shown.items()},
    )
