"""The GUI's background jobs as plain functions over core and models (no widgets touched here)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from guardpaint.core.attacks import CaseResult, SuiteReport, run_suite
from guardpaint.core.editing import Inpainter
from guardpaint.core.imageio import LoadedImage, decode_png, encode_png
from guardpaint.core.protect import ProtectionResult, ProtectionSettings, protect
from guardpaint.core.verify import VerificationReport, verify
from guardpaint.errors import Cancelled
from guardpaint.models import LoadedModel, load_model
from guardpaint.models.device import select_device


class ModelCache:
    """Keeps the last loaded model so repeated runs do not reload weights; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._model: LoadedModel | None = None

    def get(self, name_or_path: str, device_name: str) -> LoadedModel:
        device = select_device(device_name)
        key = (str(name_or_path), str(device))
        with self._lock:
            if self._key != key or self._model is None:
                self._model = None  # free the old weights before loading new ones
                self._model = load_model(name_or_path, device)
                self._key = key
            return self._model


@dataclass
class ProtectOutcome:
    """Everything the window shows and exports after a protection."""

    result: ProtectionResult
    png: bytes  # the exact file Export writes
    protected: np.ndarray  # decoded from ``png``: what every metric was measured on
    report: VerificationReport
    model_name: str
    device: str
    mask: np.ndarray  # the protection mask this outcome was made for


def run_protection(models: ModelCache, model_spec: str, device: str, image: LoadedImage, mask: np.ndarray,
                   test_mask: np.ndarray | None, settings: ProtectionSettings, report, should_cancel
                   ) -> ProtectOutcome:
    """Protect, encode the PNG, re-read it, and verify on the re-read pixels."""
    model = models.get(model_spec, device)
    result = protect(model.generator, image.rgb, mask, settings, model.device, on_iteration=report,
                     should_cancel=should_cancel)
    png = encode_png(result.protected, image)
    written = decode_png(png)
    extra = {"test mask": test_mask} if test_mask is not None and test_mask.any() else None
    check = verify(Inpainter(model.generator, model.device), image.rgb, written, mask, extra_masks=extra,
                   target_colour=result.target_colour, expansion=settings.expansion, keep_edits=True)
    return ProtectOutcome(result, png, written, check, model.name, str(model.device), mask)


def run_test_edit(models: ModelCache, model_spec: str, device: str, original: np.ndarray,
                  protected: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What an editor gets for ``mask`` on the original and on the protected image."""
    model = models.get(model_spec, device)
    inpainter = Inpainter(model.generator, model.device)
    with torch.inference_mode():
        return inpainter.inpaint(original, mask), inpainter.inpaint(protected, mask)


def run_attack_suite(models: ModelCache, model_spec: str, device: str, original: np.ndarray,
                     outcome: ProtectOutcome, report, should_cancel) -> SuiteReport:
    """The attacker suite on the written protected image; each case is reported as it finishes."""
    model = models.get(model_spec, device)

    def on_case(case: CaseResult) -> None:
        report(case)
        if should_cancel():
            raise Cancelled("attack suite cancelled")

    return run_suite(Inpainter(model.generator, model.device), original, outcome.protected, outcome.mask,
                     outcome.result.target_colour, outcome.result.settings.expansion, on_case=on_case)
