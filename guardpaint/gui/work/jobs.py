"""The GUI's background jobs as plain functions over core and models (no widgets touched here).

Every job after a protection uses the model and device the protection was made with
(``outcome.model``), never whatever model the user has selected since.
"""
from __future__ import annotations

import threading

import numpy as np
import torch

from guardpaint.document import FolderJob, ProtectionJob
from guardpaint.errors import Cancelled, ModelError
from guardpaint.gui.facade import (
    OPTIMISER,
    Box,
    CaseResult,
    Editor,
    GeneratorSource,
    ProtectedImage,
    ProtectionRequest,
    SuiteReport,
    batch_inputs,
    editors_for,
    protect_item,
    protect_request,
    run_suite,
    shown_boxes,
    validate_mask,
)
from guardpaint.models import Inpainter, load_model
from guardpaint.models.device import select_device
from guardpaint.models.noise_generator import read_generator


class ModelCache:
    """Keeps the models of the last run so repeated runs do not reload weights; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[tuple[str, str], Inpainter] = {}

    def get(self, specs: list[str], device_name: str) -> list[Inpainter]:
        """The models ``specs`` name (registry names or weight files) on the device, loaded once."""
        device = select_device(device_name)
        keys = [(str(spec), str(device)) for spec in specs]
        with self._lock:
            for key in [k for k in self._models if k not in keys]:
                del self._models[key]  # free weights no longer asked for before loading new ones
            for key, spec in zip(keys, specs, strict=True):
                if key not in self._models or self._models[key].source_change():  # a changed file: read it again
                    self._models[key] = load_model(spec, device)
            return [self._models[key] for key in keys]


def _with_models(job: ProtectionJob, models: list[Inpainter], report) -> ProtectionRequest:
    """The job's request against ``models``, from the chosen noise generator when it was trained against every
    model (the line says it starts from it), else from the optimiser (the line says why)."""
    choice = job.generator
    if choice is not None:
        source = GeneratorSource(read_generator(choice.path, models[0].device), choice.refine)
        try:
            request = job.request.for_models(models, source)
        except ModelError as exc:
            report(f"Not using the noise generator: {exc}. Optimising instead…")
        else:
            refine = f", then {choice.refine} refine iterations" if choice.refine else ""
            report(f"Starting from the noise generator {source.generator.name}: one pass{refine}…")
            return request
    report(f"Optimising on {models[0].device}: the first iteration includes the set-up…")
    return job.request.for_models(models)


def run_protection(models: ModelCache, job: ProtectionJob, report, should_cancel) -> ProtectedImage:
    """Protect, encode the output file, re-read it, and verify on the re-read pixels (keeping the edits).
    Reports what it is doing as text (loading, the first iteration, verifying) and each iteration."""
    report("Loading the model…")
    request = _with_models(job, models.get(list(job.specs), job.device), report)
    return protect_request(request, on_iteration=report, should_cancel=should_cancel, keep_edits=True,
                           on_status=report)


def run_test_edit(outcome: ProtectedImage, mask: np.ndarray, should_cancel
                  ) -> dict[str, tuple[Box, np.ndarray, np.ndarray]]:
    """What each editor the protection was made for gets for ``mask`` on the original and on the protected
    image, with each of its models: each part it computed (its box, the two edits there), by label."""
    mask = validate_mask(mask, outcome.source.rgb.shape)
    edits = {}
    for label, model in zip(outcome.verifications, outcome.models, strict=True):
        for name in editors_for(model, outcome.result.settings.editors):
            editor = Editor(model, name, should_cancel)
            with torch.inference_mode():
                clean, attacked = editor.inpaint(outcome.source.rgb, mask), editor.inpaint(outcome.written, mask)
            prefix = outcome.edit_prefix(label, name)
            edits |= {prefix + shown: (box, clean[box.slices], attacked[box.slices])
                      for shown, box in shown_boxes(editor, "test mask", mask).items()}
    return edits


def run_attack_suite(outcome: ProtectedImage, report, should_cancel) -> dict[str, SuiteReport]:
    """The attacker suite on the written protected image with each of the protection's models; each case
    is reported as ``(model label, case)`` as it finishes."""
    suites = {}
    for label, model in zip(outcome.verifications, outcome.models, strict=True):
        def on_case(case: CaseResult, label: str = label) -> None:
            report((label, case))
            if should_cancel():
                raise Cancelled("attack suite cancelled")

        suites[label] = run_suite(model, outcome.source.rgb, outcome.written, outcome.mask,
                                  outcome.result.target_colour, outcome.result.settings.expansion, on_case=on_case,
                                  should_cancel=should_cancel, chosen=outcome.result.settings.editors)
    return suites


def run_batch(models: ModelCache, job: FolderJob, report, should_cancel) -> None:
    """Protect each image of ``job`` in turn with one model load, reporting ``(row, None)`` when an image
    starts and ``(row, report)`` when it is done. Stopping loses only the current image. A noise generator
    not trained against every model fails the folder before its first image."""
    loaded = models.get(list(job.specs), job.device)
    source = OPTIMISER
    if job.generator is not None:
        source = GeneratorSource(read_generator(job.generator.path, loaded[0].device), job.generator.refine)
        source.check(loaded)
    taken: set = set()
    inputs = batch_inputs(job.items)
    for row, item in enumerate(job.items):
        if should_cancel():
            raise Cancelled("batch stopped")
        report((row, None))
        report((row, protect_item(loaded, item, job.settings, job.fmt, taken=taken, inputs=inputs,
                                  should_cancel=should_cancel, source=source)))
