"""Protect, encode exactly the bytes that will be written, re-read them and verify on those pixels.

One routine for the CLI, the GUI job, the batch and the benchmarks: every metric a
report gives is measured on the decoded output bytes, which are the file's bytes. For JPEG
output the protection is optimised through a differentiable JPEG at the file's quality, and
verified on the JPEG as written.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from guardpaint.core.editing import Editor
from guardpaint.core.files import check_output, write_atomic
from guardpaint.core.formats import PNG, OutputFormat, check_storable, decode_image, encode_image, format_for
from guardpaint.core.imageio import LoadedImage
from guardpaint.core.protect import IterationReport, ProtectionResult, ProtectionSettings, protect
from guardpaint.core.verify import VerificationReport, verify
from guardpaint.models.base import Inpainter


@dataclass
class ProtectedImage:
    """A protection, the exact output bytes, and its verification on them."""

    source: LoadedImage
    mask: np.ndarray
    result: ProtectionResult
    data: bytes  # the output file's exact bytes
    written: np.ndarray  # HxWx3 uint8 decoded from ``data``: what every metric was measured on
    verification: VerificationReport
    model: Inpainter  # the model the noise was optimised against (and verified with)
    timings: dict[str, float] = field(default_factory=dict)
    output_format: OutputFormat = field(default_factory=OutputFormat)

    @property
    def protected(self) -> bool:
        """The verdict: the editor's fill of the exact region was defeated, on this model."""
        return self.verification.malicious.holds


def protect_image(
    model: Inpainter,
    image: LoadedImage,
    mask: np.ndarray,
    settings: ProtectionSettings,
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    extra_masks: dict[str, np.ndarray] | None = None,
    keep_edits: bool = False,
    fmt: OutputFormat = PNG,
) -> ProtectedImage:
    """Protect ``image`` over ``mask`` against ``model``, encode the output in ``fmt`` and verify on its
    decoded pixels. Fully transparent pixels get no noise."""
    start = time.perf_counter()
    if fmt.lossy:
        settings = replace(settings, jpeg_quality=fmt.quality)
    check_storable(image, fmt)  # before any work
    fixed = None if image.alpha is None else image.alpha == 0
    result = protect(model, image.rgb, mask, settings, on_iteration=on_iteration, should_cancel=should_cancel,
                     fixed=fixed)
    verify_start = time.perf_counter()
    data = encode_image(result.protected, image, fmt)
    written = decode_image(data)
    check = verify(Editor(model), image.rgb, written, mask, extra_masks=extra_masks,
                   target_colour=result.target_colour, expansion=result.settings.expansion, keep_edits=keep_edits)
    end = time.perf_counter()
    timings = {"setup_s": result.setup_time, "optimise_s": result.elapsed - result.setup_time,
               "verify_s": end - verify_start, "total_s": end - start}
    return ProtectedImage(image, mask, result, data, written, check, model, timings, fmt)


def estimated_output_bytes(image: LoadedImage) -> int:
    """A generous upper bound of the output file's size (raw pixels plus headers), for the disk check."""
    channels = 4 if image.alpha is not None else 3
    return image.rgb.shape[0] * image.rgb.shape[1] * channels + (1 << 20)


def protect_to_file(
    model: Inpainter,
    image: LoadedImage,
    mask: np.ndarray,
    output: str | os.PathLike,
    settings: ProtectionSettings,
    inputs: tuple[str | os.PathLike, ...] = (),
    overwrite: bool = False,
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    fmt: OutputFormat | None = None,
) -> ProtectedImage:
    """Check that ``output`` can be written, protect, then write the verified bytes atomically.

    ``inputs`` are the files the output must not replace unless ``overwrite``; the format follows the
    output's suffix unless ``fmt`` is given.
    """
    fmt = fmt or format_for(output)
    check_output(output, inputs, overwrite, estimated_output_bytes(image))
    outcome = protect_image(model, image, mask, settings, on_iteration, should_cancel, fmt=fmt)
    write_atomic(Path(output), outcome.data)
    return outcome
