"""Starting the desktop application."""
from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from guardpaint import __version__


def run_gui(argv: list[str] | None = None) -> int:
    """Create the QApplication and the main window; returns the exit code."""
    from guardpaint.gui.main_window import MainWindow

    QCoreApplication.setOrganizationName("GuardPaint")
    QCoreApplication.setApplicationName("GuardPaint")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setStyle("Fusion")
    window = MainWindow()
    window.show()
    return app.exec()
