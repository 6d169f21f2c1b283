"""File > Protect Folder: choose the folders, watch each image's status, open any row in the editor."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guardpaint.errors import GuardPaintError
from guardpaint.gui.facade import DONE, FAILED, BatchItem, OutputFormat, find_items, open_image, prepare_output_folder
from guardpaint.gui.support import rgb_to_qimage
from guardpaint.gui.work import Background

COLUMNS = ("", "Image", "Mask", "Status", "PSNR", "Held (exact edit)")
THUMBNAIL = 48
HELD, NOT_HELD = QColor(46, 125, 50), QColor(198, 40, 40)


def thumbnail_pixels(path: Path) -> np.ndarray | None:
    """A small RGB preview of an image file (None when it cannot be read); runs off the GUI thread."""
    try:
        with open_image(path) as img:
            img.draft("RGB", (THUMBNAIL * 4, THUMBNAIL * 4))  # JPEG: decode at a fraction of the size
            img.thumbnail((THUMBNAIL, THUMBNAIL))
            return np.array(img.convert("RGB"))
    except GuardPaintError:
        return None


class Thumbnails(QObject):
    """Thumbnails decoded once per file version (path, size, mtime), in the background; ``ready(path,
    icon)`` when one is there."""

    ready = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icons: dict[tuple, QIcon] = {}
        self._pending: set[tuple] = set()
        self.background = Background(self)
        self.background.finished.connect(self._decoded)
        self.background.failed.connect(lambda key, _message: self._decoded(key, None))

    @staticmethod
    def _key(path: Path) -> tuple:
        stat = path.stat()
        return path, stat.st_size, stat.st_mtime_ns

    def get(self, path: Path) -> QIcon | None:
        """The icon when it is decoded; else None, and it is decoded (once) in the background."""
        try:
            key = self._key(path)
        except OSError:  # gone since the folder was listed
            return QIcon()
        if key in self._icons:
            return self._icons[key]
        if key not in self._pending:
            self._pending.add(key)
            self.background.run(key, partial(thumbnail_pixels, path))
        return None

    def _decoded(self, key: tuple, pixels: np.ndarray | None) -> None:
        self._pending.discard(key)
        icon = QIcon() if pixels is None else QIcon(QPixmap.fromImage(rgb_to_qimage(pixels)))
        self._icons[key] = icon
        self.ready.emit(key[0], icon)


class BatchDialog(QDialog):
    """Folders, a table of the images, progress; Start protects (skipping outputs already there)."""

    startRequested = Signal(list)  # noqa: N815 - the items
    stopRequested = Signal()  # noqa: N815
    openRequested = Signal(object, object)  # noqa: N815 - image path, mask path or None

    def __init__(self, output_format: Callable[[], OutputFormat], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Protect Folder")
        self.resize(820, 560)
        self.output_format = output_format  # the Protect panel's Output, read when the folder is listed
        self.items: list[BatchItem] = []
        self.thumbnails = Thumbnails(self)
        self.thumbnails.ready.connect(self._show_thumbnail)
        self.input, self.masks, self.output = QLineEdit(), QLineEdit(), QLineEdit()
        self.browse_buttons: list[QPushButton] = []
        self.masks.setPlaceholderText("beside the images, as photo.mask.png")
        form = QFormLayout()
        for label, edit in (("Images", self.input), ("Masks", self.masks), ("Protected images", self.output)):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, e=edit, t=label: self._browse(e, t))
            row.addWidget(browse)
            self.browse_buttons.append(browse)
            form.addRow(label, row)
            edit.editingFinished.connect(self.refresh)
        self.format_label = QLabel()
        form.addRow("Output", self.format_label)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _: self.openRequested.emit(self.items[row].image,
                                                                                    self.items[row].mask))
        self.progress = QProgressBar()
        self.summary = QLabel("Choose a folder of images. Double-click a row to open it in the editor.")
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button = buttons.addButton("Stop", QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.close)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stopRequested)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.set_running(False)
        self._describe_output()

    def _describe_output(self) -> None:
        self.format_label.setText(f"{self.output_format().describe()} (Output in the Protect panel); outputs "
                                  "already there are skipped, so Start again resumes")

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)
            self.refresh()

    def refresh(self) -> bool:
        """List the images of the chosen folders; False (with the reason shown) when they cannot be used."""
        self._describe_output()
        if not self.input.text():
            return False
        output, fmt = self.output.text() or self.input.text(), self.output_format()
        try:
            self.items = find_items(self.input.text(), output, fmt, self.masks.text() or None)
        except GuardPaintError as exc:
            self.items = []
            self.table.setRowCount(0)
            self.summary.setText(str(exc))
            return False
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            cells = ("", item.image.name, item.mask.name if item.mask else "not found", "", "", "")
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
            icon = self.thumbnails.get(item.image)
            if icon is not None:
                self.table.item(row, 0).setIcon(icon)
        self.progress.setRange(0, max(1, len(self.items)))
        self.progress.setValue(0)
        self.summary.setText(f"{len(self.items)} images, {sum(i.mask is not None for i in self.items)} with a mask.")
        return True

    def _show_thumbnail(self, path: Path, icon: QIcon) -> None:
        for row, item in enumerate(self.items):
            if item.image == path and self.table.item(row, 0) is not None:
                self.table.item(row, 0).setIcon(icon)

    def start(self) -> None:
        """Create the output folder if it is not there yet (as batch tools do), then ask for the run."""
        if not self.output.text():
            self.summary.setText("Choose a folder for the protected images.")
            return
        try:
            prepare_output_folder(self.output.text())
        except GuardPaintError as exc:
            self.summary.setText(str(exc))
            return
        if self.refresh() and self.items:
            self.startRequested.emit(self.items)

    @property
    def running(self) -> bool:
        """A folder is being protected (Stop is offered)."""
        return self.stop_button.isEnabled()

    def set_running(self, running: bool) -> None:
        """While a folder runs, its folders are locked: what is listed is what is protected."""
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.input, self.masks, self.output, *self.browse_buttons):
            widget.setEnabled(not running)

    def mark_running(self, row: int) -> None:
        self.table.item(row, 3).setText("protecting…")
        self.table.scrollToItem(self.table.item(row, 0))

    def mark(self, row: int, report: dict) -> None:
        """Show one image's report: status (with the reason as tooltip), PSNR and whether it held."""
        status = self.table.item(row, 3)
        status.setText(report["status"])
        status.setToolTip(report["summary"])
        if report["status"] == DONE:
            psnr = report["imperceptibility"]["psnr"]
            self.table.item(row, 4).setText("identical" if psnr is None else f"{psnr:.1f} dB")
            held = self.table.item(row, 5)
            held.setText("held" if report["protected"] else "not held")
            held.setForeground(HELD if report["protected"] else NOT_HELD)
        elif report["status"] == FAILED:
            status.setForeground(NOT_HELD)
        self.progress.setValue(row + 1)

    def finish(self, message: str) -> None:
        self.summary.setText(message)
        self.set_running(False)
