"""Nothing lost when the app or the machine dies: the document's masks and settings autosaved every little
while and at every protection (document/autosave.py), offered back at the next start after a crash, and
discarded by a clean close."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from guardpaint.document import Document
from guardpaint.document.autosave import INTERVAL_S, Autosave, SavedSession, orphaned_saves
from guardpaint.errors import GuardPaintError
from guardpaint.gui.facade import LoadedImage
from guardpaint.gui.support import Interaction


class SessionKeeper(QObject):
    """Autosaves one window's document and restores a crashed session's work into it."""

    def __init__(self, document: Document, ui: Interaction, open_image, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.ui, self.open_image = document, ui, open_image
        self.autosave = Autosave(document)
        self.restoring: SavedSession | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.save)
        self.timer.start(INTERVAL_S * 1000)

    def save(self, force: bool = False) -> None:
        """Save the masks and settings (when they changed, or ``force``); a failure is said, never fatal."""
        try:
            self.autosave.save(force)
        except (GuardPaintError, OSError) as exc:
            self.ui.status(f"Autosave failed: {exc}", 10_000)

    def close(self) -> None:
        """A clean close: nothing to restore."""
        self.timer.stop()
        self.autosave.discard()

    def offer_restore(self) -> None:
        """After a crash, offer the newest saved work back (naming its image); older saves are dropped."""
        saves = orphaned_saves(self.autosave.folder)
        if not saves:
            return
        latest = saves[0]
        for older in saves[1:]:
            older.discard()
        when = time.strftime("%H:%M on %d %b", time.localtime(latest.saved))
        if not latest.image.is_file():
            self.ui.error(f"GuardPaint did not close properly while {latest.image} was open, but that image is no "
                          "longer there: its saved masks cannot be restored.")
            latest.discard()
            return
        if self.ui.ask(f"GuardPaint did not close properly while {latest.image.name} was open (saved at {when}). "
                       "Restore its masks and settings?"):
            self.restoring = latest
            if not self.open_image(latest.image):
                self.restoring = None
        else:
            latest.discard()

    def restore_into(self, path: Path, image: LoadedImage) -> bool:
        """Put the saved masks and settings into the document when the image just opened is the saved one."""
        restoring, self.restoring = self.restoring, None
        if restoring is None or restoring.image != path or restoring.image_size != image.size:
            return False
        restoring.restore(self.document)
        restoring.discard()
        self.ui.status(f"Restored the masks and settings of {path.name}")
        return True
