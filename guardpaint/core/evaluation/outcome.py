"""A finished protection: its result, the exact output bytes, and its verification on them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guardpaint.core.editor.editors import labels as editor_labels
from guardpaint.core.editor.geometry import Box
from guardpaint.core.evaluation.metrics import noise_within
from guardpaint.core.evaluation.reach import Reach
from guardpaint.core.evaluation.verify import Checks, VerificationReport, each_check
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
    verifications: Checks  # per model the noise was optimised against (by label), per chosen editor (by name)
    models: list[Inpainter]
    timings: dict[str, float] = field(default_factory=dict)
    output_format: OutputFormat = field(default_factory=OutputFormat)
    generator: dict | None = None  # the noise generator it started from, and its refine iterations
    reaches: list[Reach] = field(default_factory=list)  # per region: what its edit reads, and the noise there

    @property
    def model(self) -> Inpainter:
        """The first model: the one the app previews first and the suite and test edits start with."""
        return self.models[0]

    @property
    def verification(self) -> VerificationReport:
        """The first model's verification under the first editor."""
        return next(iter(next(iter(self.verifications.values())).values()))

    @property
    def protected(self) -> bool:
        """The verdict: every editor's fill of every region was defeated, on every model."""
        return all(check.holds for _, _, check in each_check(self.verifications))

    def region_noise(self, number: int) -> dict[str, float]:
        """The noise written in region ``number``'s context (the pixels nearer to it than to any other
        region of its window): how many pixels, the largest and the mean change in levels."""
        return noise_within(self.source.rgb, self.written, self.result.context_mask(number - 1))

    def region_holds(self, number: int) -> bool:
        """Whether region ``number`` holds on every model under every editor."""
        return all(check.regions[number - 1].holds for _, _, check in each_check(self.verifications))

    def edit_prefix(self, label: str, editor: str) -> str:
        """What names an edit by ``label``'s model in ``editor``: the model where there are several, the editor
        where there are several ("big-lama, ComfyUI: "), nothing for one model and one editor."""
        models = len(self.verifications) > 1
        editors = any(len(by_editor) > 1 for by_editor in self.verifications.values())
        prefix = ", ".join([label] * models + editor_labels((editor,)) * editors)
        return f"{prefix}: " if prefix else ""

    def edit_maker(self, name: str) -> str:
        """Who made the shown edit ``name`` (named as :meth:`edit_prefix` names it): "big-lama in ComfyUI"."""
        for label, editor, _ in each_check(self.verifications):
            prefix = self.edit_prefix(label, editor)
            if name.startswith(prefix):  # no prefix: one model, one editor
                return f"{label} in {editor_labels((editor,))[0]}"
        return ""

    def shown_edits(self) -> dict[str, tuple[Box, np.ndarray, np.ndarray]]:
        """The kept edits of every model and editor (where they lie, the clean edit, the attacked edit), named
        by model and editor where there are several (:meth:`edit_prefix`)."""
        return {self.edit_prefix(label, editor) + name: (check.edit_boxes[name], *pair)
                for label, editor, check in each_check(self.verifications) for name, pair in check.edits.items()}


def model_labels(models: list[Inpainter]) -> list[str]:
    """Each model's name, numbered where two share one."""
    names = [model.name for model in models]
    return [name if names.count(name) == 1 else f"{name} #{i + 1}" for i, name in enumerate(names)]

