"""Exporting the protected image and its report: never over the input, confirm what is not protection."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from guardpaint.document import Document
from guardpaint.errors import GuardPaintError
from guardpaint.gui.facade import (
    DEMO_CAVEAT,
    SUFFIXES,
    ProtectedImage,
    encode_image,
    format_for,
    made_with_demo,
    protection_report,
    same_file,
    summary,
    write_atomic,
)
from guardpaint.gui.support import Interaction, noise_visual
from guardpaint.models import registry

SHEET_COLUMNS = ["original", "protected", "noise (amplified)", "edit of original", "edit of protected"]
SHEET_LABEL_HEIGHT, SHEET_MIN_WIDTH = 24, 160


def export_suggestion(folder: Path, image_path: Path, suffix: str) -> Path:
    """``<stem>-protected.png`` (or ``-report.json``) in ``folder``, numbered so it is never the input."""
    candidate = folder / f"{image_path.stem}-{suffix}"
    number = 2
    while same_file(candidate, image_path):
        candidate = folder / f"{image_path.stem}-{suffix.split('.')[0]}-{number}.{suffix.split('.')[-1]}"
        number += 1
    return candidate


def confirmation_needed(outcome: ProtectedImage) -> str | None:
    """Why exporting this outcome deserves a second thought (asked before the file dialog), or None."""
    changes = [change for change in (model.source_change() for model in outcome.models) if change]
    if changes:
        return f"{' '.join(change[0].upper() + change[1:] + '.' for change in changes)}\n\nExport it anyway?"
    if made_with_demo(outcome):
        return f"{DEMO_CAVEAT}\n\nExport this image anyway?"
    if not outcome.protected:
        return f"{summary(outcome)}\n\nExport it anyway?"
    return None


def export_folder(image_path: Path) -> Path:
    """Where exports of ``image_path`` go by default: its own folder, or the user's Pictures folder (else
    home) when the image is one of GuardPaint's own files (the bundled sample), never into the installation."""
    if image_path.resolve().is_relative_to(registry.RESOURCES.resolve()):
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return Path(pictures) if pictures and Path(pictures).is_dir() else Path.home()
    return image_path.parent


def _labelled(panel: np.ndarray, label: str) -> np.ndarray:
    """``panel`` (enlarged to at least :data:`SHEET_MIN_WIDTH`, by whole pixels) under a white strip
    with ``label``."""
    scale = -(-SHEET_MIN_WIDTH // panel.shape[1])
    if scale > 1:
        panel = panel.repeat(scale, axis=0).repeat(scale, axis=1)
    strip = Image.new("RGB", (panel.shape[1], SHEET_LABEL_HEIGHT), "white")
    ImageDraw.Draw(strip).text((4, 3), label, fill="black", font=ImageFont.load_default(SHEET_LABEL_HEIGHT - 8))
    return np.concatenate([np.asarray(strip), panel], axis=0)


def comparison_sheet(outcome: ProtectedImage) -> np.ndarray:
    """:data:`SHEET_COLUMNS` side by side, each labelled, for the (first) region as the editor saw it."""
    box, clean, attacked = next(iter(outcome.shown_edits().values()))
    original, protected = outcome.source.rgb[box.slices], outcome.written[box.slices]
    panels = [original, protected, noise_visual(original, protected), clean, attacked]
    return np.concatenate([_labelled(panel, label) for panel, label in zip(panels, SHEET_COLUMNS, strict=True)],
                          axis=1)


FILTERS = {"png": "PNG (*.png)", "webp": "WebP, lossless (*.webp)", "jpeg": "JPEG (*.jpg *.jpeg)"}


class ExportController:
    """File > Export Protected Image and File > Export Report: what the document's current outcome holds."""

    def __init__(self, window: QWidget, document: Document, ui: Interaction) -> None:
        self.window, self.document, self.ui = window, document, ui

    def _is_original(self, path: Path) -> bool:
        """Whether ``path`` is the open image (then the user is told why it cannot be the export)."""
        if not same_file(path, self.document.path):
            return False
        self.ui.error(f"{path.name} is the original image; choose another name so the original is kept.")
        return True

    def _save_path(self, title: str, suffix: str, filters: list[str], named_after: Path | None = None) -> Path | None:
        """Ask where to save (suggesting ``<stem>-<suffix>`` beside ``named_after``, by default the image, in
        :func:`export_folder`), refusing the original before anything else is asked; None when cancelled.
        Qt's own "replace?" is off: the original is refused first, then any other file is confirmed."""
        image_path = self.document.path
        named_after = named_after or image_path
        folder = named_after.parent if named_after != image_path else export_folder(image_path)
        suggestion = export_suggestion(folder, named_after, suffix)
        while True:
            chosen, _ = QFileDialog.getSaveFileName(self.window, title, str(suggestion), ";;".join(filters),
                                                    options=QFileDialog.Option.DontConfirmOverwrite)
            if not chosen:
                return None
            path = Path(chosen)
            if not path.suffix:
                path = path.with_suffix(Path(suffix).suffix)
            if self._is_original(path):
                suggestion = export_suggestion(path.parent, image_path, suffix)
                continue
            if not path.exists() or self.ui.ask(f"{path.name} already exists. Replace it?"):
                return path

    def export_dialog(self) -> Path | None:
        """File > Export Protected Image: the question about a protection that does not hold comes first, then
        the file dialog."""
        if not self.document.exportable:
            return None
        question = confirmation_needed(self.document.outcome)
        if question is not None and not self.ui.ask(question):
            return None
        fmt = self.document.outcome.output_format
        filters = [FILTERS[fmt.kind], *(f for kind, f in FILTERS.items() if kind != fmt.kind)]
        path = self._save_path("Export protected image", f"protected{fmt.suffix}", filters)
        return self.export_protected(path, confirmed=True) if path else None

    def export_protected(self, path: str | Path, confirmed: bool = False) -> Path | None:
        """Write what the document says Export writes, atomically, never over the input; the path, or None.
        A protection that does not hold is confirmed first, unless ``confirmed`` already."""
        document = self.document
        if not document.exportable:
            return None
        outcome, path = document.outcome, Path(path)
        if not path.suffix:
            path = path.with_suffix(outcome.output_format.suffix)
        if self._is_original(path):
            return None
        try:
            fmt = format_for(path, outcome.output_format.quality if path.suffix.lower() in SUFFIXES["jpeg"] else None)
            data = document.export_data(fmt)
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            return None
        question = None if confirmed else confirmation_needed(outcome)
        if question is not None and not self.ui.ask(question):
            return None
        try:
            write_atomic(path, data)
        except (GuardPaintError, OSError) as exc:
            self.ui.error(f"Could not export: {exc}")
            return None
        document.mark_exported(path)
        self.ui.remember_dir("export", str(path))
        self.ui.status(f"Exported {path}")
        return path

    def export_report_dialog(self) -> bool:
        if not self.document.exportable:
            return False
        path = self._save_path("Export report", "report.json", ["JSON (*.json)"], self.document.exported_path)
        return path is not None and self.export_report(path)

    def export_report(self, path: str | Path) -> bool:
        """The report (the CLI's schema) as JSON, and a comparison sheet PNG beside it (``<name>-sheet.png``):
        the columns of :data:`SHEET_COLUMNS`, labelled; never over the original or the exported image."""
        document = self.document
        if not document.exportable:
            return False
        outcome = document.outcome
        path = Path(path).with_suffix(".json")
        sheet = path.with_name(f"{path.stem}-sheet.png")
        others = (document.path, document.exported_path)
        if any(same_file(target, other) for target in (sheet, path) for other in others if other is not None):
            self.ui.error(f"{path.name} or {sheet.name} would replace the original or the exported image; choose "
                       "another name.")
            return False
        report = protection_report(outcome, document.path, None, document.exported_path, document.suites)
        try:
            write_atomic(sheet, encode_image(comparison_sheet(outcome)))
            write_atomic(path, json.dumps(report, indent=2).encode())
        except (GuardPaintError, OSError) as exc:
            self.ui.error(f"Could not export the report: {exc}")
            return False
        self.ui.status(f"Report written to {path}")
        return True
