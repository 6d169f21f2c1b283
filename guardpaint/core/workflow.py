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
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from guardpaint.core.editor.editors import labels as editor_labels
from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.evaluation.judge import RegionJudge
from guardpaint.core.evaluation.outcome import ProtectedImage, model_labels
from guardpaint.core.evaluation.reach import reaches
from guardpaint.core.evaluation.verify import Checks, verify
from guardpaint.core.evaluation.wording import joined
from guardpaint.core.io.files import check_output, write_atomic
from guardpaint.core.io.formats import PNG, OutputFormat, check_storable, decode_image, encode_image, format_for
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import IterationReport, protect
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.models.base import Inpainter
from guardpaint.models.noise_generator import NoiseGenerator


@dataclass(frozen=True)
class Generated:
    """Protect from a noise generator's one pass, then ``refine`` iterations per step (none: one pass)."""

    generator: NoiseGenerator
    refine: int = 0

    def provenance(self) -> dict:
        return self.generator.provenance() | {"refine_iterations": self.refine}


@dataclass
class _Checked:
    """One verification: the output bytes of a protected image, their pixels, each model's report per editor."""

    data: bytes
    written: np.ndarray
    checks: Checks


def verify_written(models: list[Inpainter], image: LoadedImage, mask: np.ndarray, protected: np.ndarray,
                   settings: ProtectionSettings, fmt: OutputFormat, colour: tuple[int, int, int],
                   extra_masks: dict[str, np.ndarray], keep_edits: bool,
                   should_cancel: Callable[[], bool] | None = None,
                   on_status: Callable[[str], None] | None = None) -> _Checked:
    """Encode ``protected`` as the output file, decode it and verify it with every model under every chosen
    editor: the malicious edit region by region, the ring and the benign masks."""
    if on_status is not None:
        on_status(f"Verifying the written {fmt.kind.upper()} with {joined(model_labels(models))} in "
                  f"{joined(editor_labels(settings.editors))}…")
    data = encode_image(protected, image, fmt)
    written = decode_image(data)
    checks = {label: {name: verify(Editor(model, name, should_cancel), image.rgb, written, mask,
                                   extra_masks=extra_masks, target_colour=colour, expansion=settings.expansion,
                                   keep_edits=keep_edits)
                      for name in settings.editors}
              for label, model in zip(model_labels(models), models, strict=True)}
    return _Checked(data, written, checks)


def protect_image(
    models: Inpainter | list[Inpainter],
    image: LoadedImage,
    mask: np.ndarray,
    settings: ProtectionSettings,
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    extra_masks: dict[str, np.ndarray] | None = None,
    keep_edits: bool = False,
    fmt: OutputFormat = PNG,
    on_status: Callable[[str], None] | None = None,
    generated: Generated | None = None,
) -> ProtectedImage:
    """Protect ``image`` over ``mask`` against one model or several, encode the output in ``fmt`` and verify
    on its decoded pixels with each model under each chosen editor. Fully transparent pixels get no noise.
    A judge of the written file (:class:`~guardpaint.core.evaluation.judge.RegionJudge`) chooses each
    step's kept iterate, stops a step that holds and, with auto strength (the default), decides where the
    strength goes up. ``on_status`` hears the final verification of the written file. With
    ``generated`` (a noise generator trained against every model: checked first) each step starts from the
    generator's one pass and runs its refine iterations."""
    models = [models] if isinstance(models, Inpainter) else list(models)
    start = time.perf_counter()
    settings = replace(settings, jpeg_quality=fmt.quality if fmt.lossy else None).validated()
    check_storable(image, fmt)  # before any work
    for model in models if generated is not None else ():
        generated.generator.check_model(model)
    mask = validate_mask(mask, image.rgb.shape)
    extra_masks = {name: validate_mask(k, image.rgb.shape) for name, k in (extra_masks or {}).items()}
    fixed = None if image.alpha is None else image.alpha == 0
    colour = settings.target_colour or choose_target_colour(image.rgb)
    judge = RegionJudge(models, image, mask, settings.editors, fmt, colour, should_cancel)
    result = protect(models, image.rgb, mask, settings, on_iteration=on_iteration, should_cancel=should_cancel,
                     fixed=fixed, judge=judge, source=None if generated is None else generated.generator.noise,
                     refine=None if generated is None else generated.refine)
    verifying = time.perf_counter()
    checked = verify_written(models, image, mask, result.protected, settings, fmt, colour, extra_masks, keep_edits,
                             should_cancel, on_status)
    timings = {"setup_s": result.setup_time, "optimise_s": result.elapsed - result.setup_time - judge.seconds,
               "judge_s": judge.seconds, "verify_s": time.perf_counter() - verifying,
               "total_s": time.perf_counter() - start}
    used = None if generated is None else generated.provenance()
    regions_reach = reaches(result, models, image.rgb, checked.written, judge)
    return ProtectedImage(image, mask, result, checked.data, checked.written, checked.checks, models, timings, fmt,
                          used, regions_reach)


def estimated_output_bytes(image: LoadedImage) -> int:
    """A generous upper bound of the output file's size (raw pixels plus headers), for the disk check."""
    channels = 4 if image.alpha is not None else 3
    return image.rgb.shape[0] * image.rgb.shape[1] * channels + (1 << 20)


def protect_to_file(
    models: Inpainter | list[Inpainter],
    image: LoadedImage,
    mask: np.ndarray,
    output: str | os.PathLike,
    settings: ProtectionSettings,
    inputs: tuple[str | os.PathLike, ...] = (),
    overwrite: bool = False,
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    fmt: OutputFormat | None = None,
    overwrite_hint: bool = True,
    generated: Generated | None = None,
    on_status: Callable[[str], None] | None = None,
) -> ProtectedImage:
    """Check that ``output`` can be written, protect, then write the verified bytes atomically.

    ``inputs`` are the files the output must not replace unless ``overwrite``; the format follows the
    output's suffix unless ``fmt`` is given.
    """
    fmt = fmt or format_for(output)
    check_output(output, inputs, overwrite, estimated_output_bytes(image), overwrite_hint)
    outcome = protect_image(models, image, mask, settings, on_iteration, should_cancel, fmt=fmt, generated=generated,
                            on_status=on_status)
    write_atomic(Path(output), outcome.data)
    return outcome
