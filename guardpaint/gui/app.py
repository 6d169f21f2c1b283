"""Starting the desktop application."""
from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from guardpaint import __version__
from guardpaint.models.registry import RESOURCES


def run_gui(argv: list[str] | None = None, files: list[str] | None = None) -> int:
    """Create the QApplication and the main window, open ``files``; returns the exit code."""
    from guardpaint.gui.shell import MainWindow

    QCoreApplication.setOrganizationName("GuardPaint")
    QCoreApplication.setApplicationName("GuardPaint")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setStyle("Fusion")
    app.setWindowIcon(QIcon(str(RESOURCES / "icon.png")))
    app.setDesktopFileName("io.github.guardpaint.GuardPaint")
    window = MainWindow()
    window.show()
    QTimer.singleShot(0, window.startup)  # settings problems, the first-run choice, a crashed session's work
    if files:
        QTimer.singleShot(0, lambda: window.open_files(files))
    exit_after = os.environ.get("GUARDPAINT_EXIT_AFTER_MS")  # packaging smoke test
    if exit_after:
        QTimer.singleShot(int(exit_after), window.close)
    code = app.exec()
    # Destroy the window and every widget under it now, while the application exists: left to the
    # interpreter's shutdown, Qt's and Python's destructors ran in an arbitrary order and crashed at
    # exit in about one run in three (segmentation fault, no Python frame).
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code
