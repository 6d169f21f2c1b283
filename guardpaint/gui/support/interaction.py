"""What the window's parts need from the user and the session: errors, questions, status lines and the
folder each kind of dialog opens in. One object, handed to every controller (tests replace its
``error`` and ``ask`` to answer without modal boxes)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QMessageBox


class Interaction:
    """Messages to the user of one window, and the folders its dialogs remember."""

    def __init__(self, window: QMainWindow, store: QSettings) -> None:
        self.window, self.store = window, store

    def error(self, message: str) -> None:
        """A one-line error in the status bar and a box; never changes the user's image or mask."""
        self.window.statusBar().showMessage(message, 10_000)
        QMessageBox.warning(self.window, "GuardPaint", message)

    def ask(self, question: str) -> bool:
        """Yes/No with No, the safe answer, as the default."""
        answer = QMessageBox.question(self.window, "GuardPaint", question,
                                      defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def status(self, message: str, msecs: int = 8000) -> None:
        self.window.statusBar().showMessage(message, msecs)

    def last_dir(self, key: str) -> str | None:
        """The folder the ``key`` dialog last used, or None when it was never used."""
        stored = self.store.value(f"dirs/{key}")
        return str(stored) if stored else None

    def start_dir(self, key: str, fallback: Path | None = None) -> str:
        """Where the ``key`` dialog opens: its last folder, else ``fallback``, else the home folder."""
        return self.last_dir(key) or str(fallback or Path.home())

    def remember_dir(self, key: str, path: str | Path) -> None:
        """Remember the folder of ``path`` for the ``key`` dialog."""
        self.store.setValue(f"dirs/{key}", str(Path(path).parent))
