"""The GUI's background jobs as plain functions over core and models (no widgets touched here).

Every job after a protection uses the model and device the protection was made with
(``outcome.model``), never whatever model the user has selected since.
"""
from __future__ import annotations

import threading

import numpy as np
import torch

from guardpaint.core.attacks import CaseResult, SuiteReport, run_suite
from guardpaint.core.batch import DONE, FAILED, SKIPPED, BatchItem, protect_item
from guardpaint.core.editing import Editor
from guardpaint.core.formats import OutputFormat
from guardpaint.core.imageio import LoadedImage
from guardpaint.core.pipelines import Box
from guardpaint.core.protect import ProtectionSettings
from guardpaint.core.verify import shown_boxes
from guardpaint.core.workflow import ProtectedImage, protect_image
from guardpaint.errors import Cancelled
from guardpaint.models import Inpainter, load_model
from guardpaint.models.device import select_device


class ModelCache:
    """Keeps the last loaded model so repeated runs do not reload weights; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._model: Inpainter | None = None

    def get(self, name_or_path: str, device_name: str) -> Inpainter:
        device = select_device(device_name)
        key = (str(name_or_path), str(device))
        with self._lock:
            if self._key != key or self._model is None:
                self._model = None  # free the old weights before loading new ones
                self._model = load_model(name_or_path, device)
                self._key = key
            return self._model


def run_protection(models: ModelCache, model_spec: str, device: str, image: LoadedImage, mask: np.ndarray,
                   test_mask: np.ndarray | None, settings: ProtectionSettings, fmt: OutputFormat, report,
                   should_cancel) -> ProtectedImage:
    """Protect, encode the output file, re-read it, and verify on the re-read pixels (keeping the edits)."""
    model = models.get(model_spec, device)
    extra = {"test mask": test_mask} if test_mask is not None and test_mask.any() else None
    return protect_image(model, image, mask, settings, on_iteration=report, should_cancel=should_cancel,
                         extra_masks=extra, keep_edits=True, fmt=fmt)


def run_test_edit(outcome: ProtectedImage, mask: np.ndarray) -> dict[str, tuple[Box, np.ndarray, np.ndarray]]:
    """What the editor gets for ``mask`` on the original and on the protected image, with the protection's
    model: each part it computed (its box, the two edits there), by label."""
    editor = Editor(outcome.model)
    with torch.inference_mode():
        clean, attacked = editor.inpaint(outcome.source.rgb, mask), editor.inpaint(outcome.written, mask)
    return {label: (box, clean[box.slices], attacked[box.slices])
            for label, box in shown_boxes(editor, "test mask", mask).items()}


def run_attack_suite(outcome: ProtectedImage, report, should_cancel) -> SuiteReport:
    """The attacker suite on the written protected image, with the protection's model; case by case."""
    def on_case(case: CaseResult) -> None:
        report(case)
        if should_cancel():
            raise Cancelled("attack suite cancelled")

    return run_suite(outcome.model, outcome.source.rgb, outcome.written, outcome.mask,
                     outcome.result.target_colour, outcome.result.settings.expansion, on_case=on_case)


def run_batch(models: ModelCache, model_spec: str, device: str, items: list[BatchItem],
              settings: ProtectionSettings, fmt: OutputFormat, report, should_cancel) -> dict[str, int]:
    """Protect each image in turn with one model load, reporting ``(row, None)`` when an image starts and
    ``(row, report)`` when it is done; counts per status. Stopping loses only the current image."""
    model = models.get(model_spec, device)
    taken: set = set()
    counts = {DONE: 0, SKIPPED: 0, FAILED: 0}
    for row, item in enumerate(items):
        if should_cancel():
            raise Cancelled("batch stopped")
        report((row, None))
        result = protect_item(model, item, settings, fmt, taken=taken, should_cancel=should_cancel)
        counts[result["status"]] += 1
        report((row, result))
    return counts
