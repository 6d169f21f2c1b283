"""The document: the app's one owner of its state: the image, its masks by role, the settings, models and
output format, the protection it is asked for and the outcome it got, and a folder being protected.

Invariants the app relies on:

* the outcome belongs to one job: a new protection clears it (a cancelled or failed one leaves
  none), and a late result of a replaced job is dropped;
* the outcome is *current* only while the image, the protection mask and the models are those it was
  made for; Export writes exactly :meth:`Document.export_data`, and only a current outcome;
* a mask has a role: the protection mask is what gets protected and saved as ``photo.mask.png``, the
  test mask only ever tries edits and is saved as ``photo.test-mask.png``;
* while a folder is being protected no other image is opened (its rows open in the editor afterwards).

Views observe the events (the canvas, the panels, the status bar, the preview); every change goes
through the methods.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from guardpaint.core.batch import BatchItem
from guardpaint.core.evaluation.outcome import ProtectedImage
from guardpaint.core.evaluation.suite import SuiteReport
from guardpaint.core.generator.settings import GeneratorUse
from guardpaint.core.io.conventions import MASK_SUFFIXES, PROTECTION, TEST
from guardpaint.core.io.formats import PNG, OutputFormat, encode_image
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.document.events import Event
from guardpaint.errors import InputError

ROLES = (PROTECTION, TEST)
#: Why an outcome is not (or no longer) what Export would write: :meth:`Document.stale_reason`.
NO_PROTECTION = "no protection yet"
MASK_CHANGED = "the protection mask changed since this protection"
MODEL_CHANGED = "the model changed since this protection"


@dataclass(frozen=True)
class GeneratorChoice:
    """A noise generator file to start protections from (when it was trained against the models), and the
    refine iterations after its one pass."""

    path: Path
    refine: int = GeneratorUse.refine


@dataclass(frozen=True)
class FolderJob:
    """What one Protect Folder run is asked to do: the images and the document's settings when it started."""

    items: list[BatchItem] = field(repr=False)
    specs: tuple[str, ...]
    device: str
    settings: ProtectionSettings
    fmt: OutputFormat
    generator: GeneratorChoice | None = None


@dataclass(frozen=True)
class ProtectionJob:
    """What one protection run is asked to do: the request, checked at the door and a snapshot (later edits
    cannot change it midway), and the models and noise generator to run it with."""

    request: ProtectionRequest
    specs: tuple[str, ...]
    device: str
    generator: GeneratorChoice | None = None


class Document:
    """The app's state. Views observe the events; every change goes through the methods."""

    def __init__(self, specs: list[str] | None = None, device: str = "auto") -> None:
        self.image: LoadedImage | None = None
        self.path: Path | None = None
        self.masks: dict[str, np.ndarray] = {}
        self.specs: tuple[str, ...] = tuple(specs or ())
        self.device = device
        self.settings = ProtectionSettings()
        self.fmt: OutputFormat = PNG
        self.generator: GeneratorChoice | None = None
        self.running: ProtectionJob | None = None
        self.folder: FolderJob | None = None  # a folder being protected
        self.outcome: ProtectedImage | None = None
        self.job: ProtectionJob | None = None  # what the outcome was made for
        self.suites: dict[str, SuiteReport] | None = None
        self.exported_path: Path | None = None
        self.image_changed, self.mask_changed, self.models_changed = Event(), Event(), Event()
        self.settings_changed, self.outcome_changed, self.run_changed = Event(), Event(), Event()

    # ------------------------------------------------------------------ image and masks
    def check_can_open(self) -> None:
        """An InputError when another image may not be opened now (a folder is being protected)."""
        if self.folder is not None:
            raise InputError("A folder is being protected: stop it (Protect Folder > Stop) before opening an image.")

    def open(self, image: LoadedImage, path: Path) -> None:
        """A new image: empty masks, no outcome."""
        self.check_can_open()
        self.image, self.path = image, Path(path)
        self.masks = {role: np.zeros(image.rgb.shape[:2], bool) for role in ROLES}
        self.running = None
        self._drop_outcome()
        self.image_changed.emit()

    def set_mask(self, role: str, mask: np.ndarray, source: object = None) -> None:
        """Replace the ``role`` mask (``source``: the view that made the change, so it need not redraw)."""
        if self.image is None or role not in ROLES:
            return
        if mask.shape != self.image.rgb.shape[:2]:
            raise InputError(f"the {role} mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
                             f"{self.image.size[0]}x{self.image.size[1]}")
        self.masks[role] = mask.astype(bool, copy=True)
        self.mask_changed.emit(role, source)

    def mask(self, role: str = PROTECTION) -> np.ndarray | None:
        return self.masks.get(role)

    def mask_file_name(self, role: str) -> str:
        """The name a mask of ``role`` is saved under beside the image (``photo.mask.png``...)."""
        stem = self.path.stem if self.path is not None else "mask"
        return f"{stem}{MASK_SUFFIXES[role]}"

    # ------------------------------------------------------------------ settings and models
    def set_models(self, specs: list[str], device: str | None = None) -> None:
        self.specs = tuple(specs)
        self.device = device or self.device
        self.models_changed.emit()

    def set_generator(self, choice: GeneratorChoice | None) -> None:
        """The noise generator the next protections start from (when it matches their models), or none."""
        self.generator = choice
        self.settings_changed.emit()

    def set_settings(self, settings: ProtectionSettings, fmt: OutputFormat, device: str | None = None) -> None:
        """What the next protection will use (a folder uses them too); the device is the models' device."""
        self.settings, self.fmt = settings, fmt
        self.settings_changed.emit()
        if device is not None and device != self.device:
            self.set_models(list(self.specs), device)

    # ------------------------------------------------------------------ protection
    def begin_protection(self) -> ProtectionJob:
        """Start a protection of the current image and protection mask with the document's settings (the test
        mask, when it masks some but not all of the image, is tried as a benign edit): checked here, before any
        work. The previous outcome is gone (one truth: nothing is shown or exported until this one finishes)."""
        if self.image is None:
            raise InputError("open an image first")
        if self.folder is not None:
            raise InputError("A folder is being protected: wait for it, or stop it, then protect this image.")
        mask, test = self.masks[PROTECTION], self.masks[TEST]
        if not mask.any():
            raise InputError("Paint the region to protect first (Protection mask layer).")
        extra = {"test mask": test.copy()} if test.any() and not test.all() else None
        request = ProtectionRequest.checked(self.image, mask.copy(), self.settings, self.fmt, extra_masks=extra)
        job = ProtectionJob(request, self.specs, self.device, self.generator)
        self._drop_outcome()
        self.running = job
        self.run_changed.emit()
        return job

    def finish_protection(self, job: ProtectionJob, outcome: ProtectedImage) -> bool:
        """The result of ``job``; False (and dropped) when another job replaced it."""
        if job is not self.running:
            return False
        self.running = None
        self.outcome, self.job, self.suites, self.exported_path = outcome, job, None, None
        self.run_changed.emit()
        self.outcome_changed.emit()
        return True

    def end_run(self, job: ProtectionJob) -> None:
        """``job`` was cancelled or failed: it leaves no outcome."""
        if job is self.running:
            self.running = None
            self.run_changed.emit()

    # ------------------------------------------------------------------ a folder
    def begin_folder(self, items: list[BatchItem]) -> FolderJob:
        """Start protecting ``items`` with the document's settings, models and format."""
        if self.running is not None or self.folder is not None:
            raise InputError("A protection is running: wait for it, or cancel it, then Start again.")
        self.folder = FolderJob(list(items), self.specs, self.device, self.settings, self.fmt, self.generator)
        self.run_changed.emit()
        return self.folder

    def end_folder(self, job: FolderJob) -> None:
        if job is self.folder:
            self.folder = None
            self.run_changed.emit()

    def _drop_outcome(self) -> None:
        had = self.outcome is not None
        self.outcome = self.job = self.suites = self.exported_path = None
        if had:
            self.outcome_changed.emit()

    # ------------------------------------------------------------------ what the outcome is good for
    def stale_reason(self) -> str | None:
        """Why the outcome is not the current image's protection any more, or None when it is (opening an
        image drops the outcome, so the image is always the outcome's)."""
        if self.outcome is None or self.job is None:
            return NO_PROTECTION
        if not np.array_equal(self.job.request.mask, self.masks[PROTECTION]):
            return MASK_CHANGED
        if self.job.specs != self.specs:
            return MODEL_CHANGED
        return None

    @property
    def exportable(self) -> bool:
        return self.stale_reason() is None

    def set_suites(self, outcome: ProtectedImage, suites: dict[str, SuiteReport]) -> None:
        if outcome is self.outcome:
            self.suites = suites

    def export_data(self, fmt: OutputFormat | None = None) -> bytes:
        """The file Export writes: the verified bytes, or their pixels in another lossless format. A JPEG
        other than the one measured is refused (its pixels would be new, unmeasured ones)."""
        reason = self.stale_reason()
        if reason is not None:
            raise InputError(f"nothing to export: {reason}")
        outcome = self.outcome
        fmt = fmt or outcome.output_format
        if fmt == outcome.output_format:
            return outcome.data
        if fmt.lossy:
            raise InputError(f"this protection was optimised and measured for {outcome.output_format.describe()}; "
                             f"to export {fmt.describe()}, choose it as the output format and protect again")
        return encode_image(outcome.written, outcome.source, fmt)

    def mark_exported(self, path: Path) -> None:
        self.exported_path = Path(path)

    @property
    def pending_export(self) -> bool:
        """A protection exists that has not been exported (current or not: undoing a stroke makes it current
        again, so closing or opening another image asks first)."""
        return self.outcome is not None and self.exported_path is None
