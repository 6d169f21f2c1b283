"""A finished protection: its result, the exact output bytes, and its verification on them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guardpaint.core.editor.geometry import Box
from guardpaint.core.evaluation.metrics import noise_within
from guardpaint.core.evaluation.verify import VerificationReport
from guardpaint.core.io.formats import OutputFormat
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import ProtectionResult
from guardpaint.models.base import Inpainter


@dataclass
class ProtectedImage:
    """A protection, the exact output bytes, and its verification on them."""

    source: LoadedImage
    mask: np.ndarray
    result: ProtectionResult
    data: bytes  # the output file's exact bytes
    written: np.ndarray  # HxWx3 uint8 decoded from ``data``: what every metric was measured on
    verifications: dict[str, VerificationReport]  # per model the noise was optimised against, by label
    models: list[Inpainter]
    timings: dict[str, float] = field(default_factory=dict)
    output_format: OutputFormat = field(default_factory=OutputFormat)
    generator: dict | None = None  # the noise generator it started from, and its refine iterations

    @property
    def model(self) -> Inpainter:
        """The first model: the one the app previews first and the suite and test edits start with."""
        return self.models[0]

    @property
    def verification(self) -> VerificationReport:
        """The first model's verification."""
        return next(iter(self.verifications.values()))

    @property
    def protected(self) -> bool:
        """The verdict: the editor's fill of every region was defeated, on every model."""
        return all(check.holds for check in self.verifications.values())

    def region_noise(self, number: int) -> dict[str, float]:
        """The noise written in region ``number``'s context (the pixels nearer to it than to any other
        region of its window): how many pixels, the largest and the mean change in levels."""
        return noise_within(self.source.rgb, self.written, self.result.context_mask(number - 1))

    def region_holds(self, number: int) -> bool:
        """Whether region ``number`` holds on every model."""
        return all(check.regions[number - 1].holds for check in self.verifications.values())

    def failing(self) -> dict[str, list[int]]:
        """The regions that do not hold, by model label (models where all hold are left out)."""
        return {label: check.failing for label, check in self.verifications.items() if check.failing}

    def shown_edits(self) -> dict[str, tuple[Box, np.ndarray, np.ndarray]]:
        """The kept edits of every model (where they lie, the clean edit, the attacked edit), named by
        model when there are several."""
        several = len(self.verifications) > 1
        return {f"{label}: {name}" if several else name: (check.edit_boxes[name], *pair)
                for label, check in self.verifications.items() for name, pair in check.edits.items()}


def model_labels(models: list[Inpainter]) -> list[str]:
    """Each model's name, numbered where two share one."""
    names = [model.name for model in models]
    return [name if names.count(name) == 1 else f"{name} #{i + 1}" for i, name in enumerate(names)]
