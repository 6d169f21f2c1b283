"""Downloading a registered model with a progress dialog, off the GUI thread, cancellable."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from guardpaint.gui.dialogs import size_text
from guardpaint.gui.support import Interaction
from guardpaint.gui.work import TaskRunner
from guardpaint.models import registry


class DownloadController(QObject):
    """One download at a time; ``downloaded`` carries the registry name once the file is verified, and
    ``abandoned`` once a download failed (its error shown) or was cancelled."""

    downloaded = Signal(str)
    abandoned = Signal(str)

    def __init__(self, parent: QWidget, ui: Interaction) -> None:
        super().__init__(parent)
        self._parent, self.ui = parent, ui
        self.runner = TaskRunner(self)
        self.dialog: QProgressDialog | None = None

    def download(self, name: str) -> None:
        if self.runner.is_busy():
            return
        dialog = self.dialog = QProgressDialog(f"Downloading {name} ({size_text(name)})…", "Cancel", 0, 100,
                                               self._parent)
        dialog.setWindowTitle("Download model")
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(self.runner.cancel)

        def progress(value: tuple[int, int | None]) -> None:
            done, total = value
            if total:
                dialog.setMaximum(total)
                dialog.setValue(done)
            dialog.setLabelText(f"Downloading {name}… {done / 1e6:.0f} of {size_text(name)}")

        def finished(_path) -> None:
            dialog.close()
            self.downloaded.emit(name)

        def failed(message: str) -> None:
            dialog.close()
            self.ui.error(message)
            self.abandoned.emit(name)

        def cancelled() -> None:
            dialog.close()
            self.abandoned.emit(name)

        self.runner.start(
            lambda report, cancelled: registry.download(name, progress=lambda d, t: report((d, t)),
                                                        should_cancel=cancelled),
            on_done=finished, on_partial=progress, on_failed=failed, on_cancelled=cancelled)
