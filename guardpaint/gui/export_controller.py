"""Exporting the protected image and its report: never over the input, confirm what is not protection."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QWidget

from guardpaint.core.attacks import SuiteReport
from guardpaint.core.imageio import LOSSLESS_SUFFIXES, encode_png, same_file, write_atomic
from guardpaint.core.report import made_with_demo, protection_report
from guardpaint.core.workflow import ProtectedImage
from guardpaint.errors import GuardPaintError
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
    if not outcome.protected:
        return (f"This protection does not hold: {outcome.model.name} still fills the region plausibly. "
                "Export it anyway?")
    return None


def comparison_sheet(outcome: ProtectedImage) -> np.ndarray:
    """:data:`SHEET_COLUMNS` side by side, for the (first) region as the editor saw it."""
    name, (clean, attacked) = next(iter(outcome.verification.edits.items()))
    box = outcome.verification.edit_boxes[name]
    original, protected = outcome.source.rgb[box.slices], outcome.written[box.slices]
    noise = noise_visual(protected.astype(np.int16) - original.astype(np.int16))
    return np.concatenate([original, protected, noise, clean, attacked], axis=1)


class ExportController:
    """File > Export Protected PNG and File > Export Report."""

    def __init__(self, window: QWidget, error: Callable[[str], None], confirm: Callable[[str], bool],
                 status: Callable[[str], None], last_dir: Callable[[str], str],
                 remember_dir: Callable[[str, str], None]) -> None:
        self.window, self.error, self.confirm, self.status = window, error, confirm, status
        self.last_dir, self.remember_dir = last_dir, remember_dir

    def export_dialog(self, outcome: ProtectedImage, image_path: Path) -> Path | None:
        suggestion = export_suggestion(Path(self.last_dir("export")), image_path, "protected.png")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export protected PNG", str(suggestion), "PNG (*.png)")
        return self.export_protected(outcome, image_path, path) if path else None

    def export_protected(self, outcome: ProtectedImage, image_path: Path, path: str | Path) -> Path | None:
        """Write the verified PNG bytes atomically; refuse lossy formats and the input file itself.

        The path written, or None when nothing was written."""
        path = Path(path)
        if path.suffix.lower() not in LOSSLESS_SUFFIXES:
            if path.suffix:
                self.error(f"{path.suffix} is lossy and would destroy the protection; saving as PNG instead.")
            path = path.with_suffix(".png")
            if path.exists() and not self.confirm(f"{path.name} already exists. Replace it?"):
                return None
        if same_file(path, image_path):
            self.error(f"{path.name} is the original image; choose another name so the original is kept.")
            return None
        question = confirmation_needed(outcome)
        if question is not None and not self.confirm(question):
            return None
        try:
            write_atomic(path, outcome.data)
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not export: {exc}")
            return None
        self.remember_dir("export", str(path))
        self.status(f"Exported {path}")
        return path

    def export_report_dialog(self, outcome: ProtectedImage, image_path: Path, output_path: Path | None,
                             suite: SuiteReport | None) -> bool:
        suggestion = export_suggestion(Path(self.last_dir("export")), image_path, "report.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export report", str(suggestion), "JSON (*.json)")
        return bool(path) and self.export_report(outcome, image_path, path, output_path, suite)

    def export_report(self, outcome: ProtectedImage, image_path: Path, path: str | Path,
                      output_path: Path | None = None, suite: SuiteReport | None = None) -> bool:
        """The report (the CLI's schema) as JSON, and a comparison sheet PNG beside it (same name, .png):
        the columns of :data:`SHEET_COLUMNS`."""
        path = Path(path).with_suffix(".json")
        sheet = comparison_sheet(outcome)
        report = protection_report(outcome, image_path, None, output_path, suite)
        try:
            write_atomic(path.with_suffix(".png"), encode_png(sheet))
            write_atomic(path, json.dumps(report, indent=2).encode())
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not export the report: {exc}")
            return False
        self.status(f"Report written to {path}")
        return True
