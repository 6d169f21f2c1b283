"""Protect, encode exactly the bytes that will be written, re-read them and verify on those pixels.

One routine for the CLI, the GUI job, the batch and the benchmarks, on a request checked at the door
(:class:`~guardpaint.core.protection.request.ProtectionRequest`): every metric a
report gives is measured on the decoded output bytes, which are the file's bytes. For JPEG
output the protection is optimised through a differentiable JPEG at the file's quality, and
verified on the JPEG as written.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from guardpaint.core.editor.editors import labels as editor_labels
from guardpaint.core.editor.inpaint import Editor, editors_for
from guardpaint.core.evaluation.judge import RegionJudge
from guardpaint.core.evaluation.outcome import ProtectedImage, model_labels
from guardpaint.core.evaluation.reach import reaches
from guardpaint.core.evaluation.verify import Checks, verify_checked
from guardpaint.core.evaluation.wording import joined
from guardpaint.core.io.files import write_atomic
from guardpaint.core.io.formats import PNG, OutputFormat, decode_image, encode_image
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import IterationReport, protect
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import OPTIMISER, NoiseSource
from guardpaint.errors import InputError
from guardpaint.models.base import Inpainter


@dataclass
class _Checked:
    """One verification: the output bytes of a protected image, their pixels, each model's report per editor."""

    data: bytes
    written: np.ndarray
    checks: Checks


def verify_written(request: ProtectionRequest, protected: np.ndarray, keep_edits: bool,
                   should_cancel: Callable[[], bool] | None = None,
                   on_status: Callable[[str], None] | None = None) -> _Checked:
    """Encode ``protected`` as the request's output file, decode it and verify it with every model under every
    chosen editor that runs it: the malicious edit region by region, the ring and the benign masks."""
    image, settings, fmt, models = request.image, request.settings, request.fmt, request.models
    if on_status is not None:
        pairs = [f"{label} in {joined(editor_labels(editors_for(model, settings.editors)))}"
                 for label, model in zip(model_labels(models), models, strict=True)]
        on_status(f"Verifying the written {fmt.kind.upper()} with {', and '.join(pairs)}…")
    data = encode_image(protected, image, fmt)
    written = decode_image(data)
    checks = {label: {name: verify_checked(Editor(model, name, should_cancel), image.rgb, written, request.mask,
                                           request.extra_masks, request.colour, settings.expansion, keep_edits)
                      for name in editors_for(model, settings.editors)}
              for label, model in zip(model_labels(models), models, strict=True)}
    return _Checked(data, written, checks)


def protect_request(
    request: ProtectionRequest,
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    keep_edits: bool = False,
    on_status: Callable[[str], None] | None = None,
) -> ProtectedImage:
    """Protect as ``request`` (checked at the door, with its models) asks, encode the output in its format and
    verify on the decoded pixels with each model under each chosen editor. Fully transparent pixels get no
    noise. A judge of the written file (:class:`~guardpaint.core.evaluation.judge.RegionJudge`) chooses each
    step's kept iterate, stops a step that holds and, with auto strength (the default), decides where the
    strength goes up. ``on_status`` hears the final verification of the written file; ``keep_edits`` keeps
    the edits' crops for showing them."""
    start = time.perf_counter()
    models, image, settings = list(request.models), request.image, request.settings
    judge = RegionJudge(models, image, request.mask, settings.editors, request.fmt, request.colour, should_cancel)
    result = protect(models, image.rgb, request.mask, settings, on_iteration=on_iteration,
                     should_cancel=should_cancel, fixed=request.fixed, judge=judge, source=request.source,
                     colour=request.colour)
    verifying = time.perf_counter()
    checked = verify_written(request, result.protected, keep_edits, should_cancel, on_status)
    timings = {"setup_s": result.setup_time, "optimise_s": result.elapsed - result.setup_time - judge.seconds,
               "judge_s": judge.seconds, "verify_s": time.perf_counter() - verifying,
               "total_s": time.perf_counter() - start}
    regions_reach = reaches(result, models, image.rgb, checked.written, judge)
    return ProtectedImage(image, request.mask, result, checked.data, checked.written, checked.checks, models,
                          timings, request.fmt, request.source.provenance(), regions_reach)


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
    source: NoiseSource = OPTIMISER,
) -> ProtectedImage:
    """:func:`protect_request` for a request made here: ``image`` over ``mask`` against one model or several,
    output in ``fmt``, starting from ``source`` (for callers that hold their inputs in memory)."""
    request = ProtectionRequest.checked(image, mask, settings, fmt, extra_masks=extra_masks)
    return protect_request(request.for_models(models, source), on_iteration, should_cancel, keep_edits, on_status)


def protect_to_file(
    request: ProtectionRequest,
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> ProtectedImage:
    """Protect as ``request`` asks, then write the verified bytes atomically to its output (checked at the
    door)."""
    if request.output is None:
        raise InputError("this protection request names no output file")
    outcome = protect_request(request, on_iteration, should_cancel, on_status=on_status)
    write_atomic(request.output, outcome.data)
    return outcome
