"""The verdict's own measure, cheap enough to ask while the noise is optimised: each region's shortfall on
the file as it would be written, under every chosen editor and on every model.

A full verification also edits the ring and the benign masks; the shortfall needs only the malicious edit.
The clean edits do not change while the noise does, so they are made once: a judgement is then the
written file (encoded and decoded exactly as the output will be), one run of each editor on it and the
verdict's rule (:class:`~guardpaint.core.evaluation.verify.EditComparison`). The loop asks it every few
iterations to keep the iterate the verdict prefers and to stop a step that holds (docs/method.md,
section 6a); auto strength asks it after each step.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from guardpaint.core.editor.inpaint import Editor, editors_for
from guardpaint.core.editor.regions import find_regions
from guardpaint.core.evaluation.verify import MaskEdit, judge
from guardpaint.core.io.formats import OutputFormat, decode_image, encode_image
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.ladder import Shortfall
from guardpaint.models.base import Inpainter


class RegionJudge:
    """Judges protected images of one protection, region by region; it remembers its last judgement, so the
    image a step ended on and the ladder then judges is not judged twice."""

    def __init__(self, models: list[Inpainter], image: LoadedImage, mask: np.ndarray, editors: tuple[str, ...],
                 fmt: OutputFormat, colour: tuple[int, int, int],
                 should_cancel: Callable[[], bool] | None = None) -> None:
        self.image, self.mask, self.fmt, self.colour = image, mask, fmt, colour
        self.regions = find_regions(mask)
        self.editors = [Editor(model, name, should_cancel) for model in models for name in editors_for(model, editors)]
        self._clean: list[np.ndarray] | None = None
        self._last: tuple[np.ndarray, dict[int, Shortfall]] | None = None
        self.calls = 0  # judgements made (not counting the remembered one)
        self.seconds = 0.0

    def edits(self, protected: np.ndarray) -> list[MaskEdit]:
        """Every editor's malicious edit of the written ``protected`` image, judged region by region."""
        if self._clean is None:
            self._clean = [editor.inpaint(self.image.rgb, self.mask) for editor in self.editors]
        written = decode_image(encode_image(protected, self.image, self.fmt))
        return [judge(clean, editor.inpaint(written, self.mask), self.regions, self.colour)
                for editor, clean in zip(self.editors, self._clean, strict=True)]

    def __call__(self, protected: np.ndarray) -> dict[int, Shortfall]:
        """Each region's :class:`~guardpaint.core.protection.ladder.Shortfall`, by region number."""
        if self._last is not None and np.array_equal(self._last[0], protected):
            return self._last[1]
        start = time.perf_counter()
        edits = self.edits(protected)
        verdict = {}
        for index, region in enumerate(self.regions):
            comparisons = [edit.comparisons[index] for edit in edits]
            shortfalls = [comparison.shortfall for comparison in comparisons]
            verdict[region.number] = Shortfall(max(shortfalls), min(shortfalls),
                                               sum(comparison.holds for comparison in comparisons))
        self._last = (protected.copy(), verdict)
        self.calls += 1
        self.seconds += time.perf_counter() - start
        return verdict
