"""Exporting the protected image and its report: never over the input, confirm what is not protection."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QWidget

from guardpaint.core.evaluation.outcome import ProtectedImage
from guardpaint.core.evaluation.report import made_with_demo, protection_report, region_list
from guardpaint.core.io.conventions import SUFFIXES
from guardpaint.core.io.files import same_file, write_atomic
from guardpaint.core.io.formats import OutputFormat, encode_image, format_for
from guardpaint.errors import GuardPaintError, InputError
from guardpaint.gui.protection_controller import ProtectionController
from guardpaint.gui.qimage import noise_visual

SHEET_COLUMNS = ["original", "protected", "noise (amplified)", "edit of original", "edit of protected"]


def export_suggestion(folder: Path, image_path: Path, suffix: str) -> Path:
    """``<stem>-protected.png`` (or ``-report.json``) in ``folder``, numbered so it is never the input."""
    candidate = folder / f"{image_path.stem}-{suffix}"
    number = 2
    while same_file(candidate, image_path):
        candidate = folder / f"{image_path.stem}-{suffix.split('.')[0]}-{number}.{suffix.split('.')[-1]}"
        number += 1
    return candidate


def confirmation_needed(outcome: ProtectedImage) -> str | None:
    """Why exporting this outcome deserves a second thought, or None."""
    if made_with_demo(outcome):
        return ("This protection was made with the demo model. It does not protect the image against the "
                "real LaMa that editors run. Export it anyway?")
    failing = outcome.failing()
    if failing:
        total = len(outcome.verification.regions)
        where = " and ".join(label if total == 1 else f"{label} ({region_list(numbers)} of {total})"
                             for label, numbers in failing.items())
        return f"This protection does not hold against {where}: the editor still fills it plausibly. Export it anyway?"
    return None


def comparison_sheet(outcome: ProtectedImage) -> np.ndarray:
    """:data:`SHEET_COLUMNS` side by side, for the (first) region as the editor saw it."""
    box, clean, attacked = next(iter(outcome.shown_edits().values()))
    original, protected = outcome.source.rgb[box.slices], outcome.written[box.slices]
    noise = noise_visual(original, protected)
    return np.concatenate([original, protected, noise, clean, attacked], axis=1)


FILTERS = {"png": "PNG (*.png)", "webp": "WebP, lossless (*.webp)", "jpeg": "JPEG (*.jpg *.jpeg)"}


def export_bytes(outcome: ProtectedImage, fmt: OutputFormat) -> bytes:
    """The file to write: the verified bytes, or the verified pixels in another lossless format.

    A JPEG other than the one the protection was optimised and measured for is refused: its pixels
    would be new, unmeasured ones."""
    if fmt == outcome.output_format:
        return outcome.data
    if fmt.lossy:
        raise InputError(f"this protection was optimised and measured for {outcome.output_format.describe()}; "
                         f"to export {fmt.describe()}, choose it as the output format and protect again")
    return encode_image(outcome.written, outcome.source, fmt)


class ExportController:
    """File > Export Protected Image and File > Export Report, for the current protection."""

    def __init__(self, window: QWidget, protection: ProtectionController, image_path: Callable[[], Path | None],
                 error: Callable[[str], None], confirm: Callable[[str], bool], status: Callable[[str], None],
                 last_dir: Callable[[str], str], remember_dir: Callable[[str, str], None]) -> None:
        self.window, self.protection, self.image_path = window, protection, image_path
        self.error, self.confirm, self.status = error, confirm, status
        self.last_dir, self.remember_dir = last_dir, remember_dir
        self.exported_path: Path | None = None
        protection.outcomeChanged.connect(self._reset)

    @property
    def pending(self) -> bool:
        """A protection exists that has not been exported yet."""
        return self.protection.outcome is not None and self.exported_path is None

    def _reset(self) -> None:
        self.exported_path = None

    def export_dialog(self) -> Path | None:
        outcome, image_path = self.protection.outcome, self.image_path()
        if outcome is None or image_path is None:
            return None
        fmt = outcome.output_format
        suggestion = export_suggestion(Path(self.last_dir("export")), image_path, f"protected{fmt.suffix}")
        filters = [FILTERS[fmt.kind], *(f for kind, f in FILTERS.items() if kind != fmt.kind)]
        path, _ = QFileDialog.getSaveFileName(self.window, "Export protected image", str(suggestion),
                                              ";;".join(filters))
        return self.export_protected(path) if path else None

    def export_protected(self, path: str | Path) -> Path | None:
        """Write the verified file atomically, never over the input; the path written, or None."""
        outcome, image_path = self.protection.outcome, self.image_path()
        if outcome is None or image_path is None:
            return None
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(outcome.output_format.suffix)
        try:
            fmt = format_for(path, outcome.output_format.quality if path.suffix.lower() in SUFFIXES["jpeg"] else None)
            data = export_bytes(outcome, fmt)
        except GuardPaintError as exc:
            self.error(str(exc))
            return None
        if same_file(path, image_path):
            self.error(f"{path.name} is the original image; choose another name so the original is kept.")
            return None
        question = confirmation_needed(outcome)
        if question is not None and not self.confirm(question):
            return None
        try:
            write_atomic(path, data)
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not export: {exc}")
            return None
        self.exported_path = path
        self.remember_dir("export", str(path))
        self.status(f"Exported {path}")
        return path

    def export_report_dialog(self) -> bool:
        outcome, image_path = self.protection.outcome, self.image_path()
        if outcome is None or image_path is None:
            return False
        suggestion = export_suggestion(Path(self.last_dir("export")), image_path, "report.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export report", str(suggestion), "JSON (*.json)")
        return bool(path) and self.export_report(path)

    def export_report(self, path: str | Path) -> bool:
        """The report (the CLI's schema) as JSON, and a comparison sheet PNG beside it (``<name>-sheet.png``):
        the columns of :data:`SHEET_COLUMNS`; never over the original or the exported image."""
        outcome = self.protection.outcome
        if outcome is None:
            return False
        path = Path(path).with_suffix(".json")
        sheet = path.with_name(f"{path.stem}-sheet.png")
        if any(same_file(sheet, other) for other in (self.image_path(), self.exported_path) if other is not None):
            self.error(f"{sheet.name} would replace the original or the exported image; choose another name.")
            return False
        report = protection_report(outcome, self.image_path(), None, self.exported_path, self.protection.suites)
        try:
            write_atomic(sheet, encode_image(comparison_sheet(outcome)))
            write_atomic(path, json.dumps(report, indent=2).encode())
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not export the report: {exc}")
            return False
        self.status(f"Report written to {path}")
        return True
