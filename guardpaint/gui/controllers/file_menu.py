"""The File menu's files: opening images (large ones decoded off the GUI thread, a saved mask beside
them offered), recent files, and loading and saving masks by their role."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from guardpaint.document import Document
from guardpaint.errors import GuardPaintError
from guardpaint.gui.facade import (
    MASK_SUFFIXES,
    PROTECTION,
    TEST,
    LoadedImage,
    load_image,
    load_mask,
    mask_role,
    open_image,
    same_file,
    save_mask,
)
from guardpaint.gui.support import Interaction, stored_list
from guardpaint.gui.work import Background

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp *.gif);;All files (*)"
MAX_RECENT = 10
#: Images up to this many pixels are decoded at once; larger ones off the GUI thread.
DECODE_AT_ONCE = 4_000_000


class RecentFiles:
    """The Open Recent menu, most recent first, remembered in QSettings."""

    def __init__(self, store: QSettings, menu: QMenu, open_path: Callable[[str], object]) -> None:
        self.store, self.menu, self.open_path = store, menu, open_path
        self.rebuild()

    def paths(self) -> list[str]:
        return stored_list(self.store, "recent")

    def add(self, path: Path) -> None:
        resolved = str(path.resolve())
        self.store.setValue("recent", [resolved, *[p for p in self.paths() if p != resolved]][:MAX_RECENT])
        self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        for path in self.paths():
            self.menu.addAction(Path(path).name, partial(self.open_path, path)).setToolTip(path)
        self.menu.setEnabled(bool(self.paths()))


class ImageOpener(QObject):
    """Decodes an image (at once when small, else on a background thread, the newest request winning)
    and hands it over with ``opened(path, image)``; failures are one-line errors."""

    opened = Signal(object, object)  # path, LoadedImage
    started = Signal(str)  # a status line while a large image decodes
    failed = Signal()  # a large image could not be decoded (the error is shown)

    def __init__(self, ui: Interaction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ui = ui
        self.background = Background(self)
        self.background.finished.connect(self._decoded)
        self.background.failed.connect(lambda key, message: self._failed(key, message))
        self.pending: Path | None = None

    def open(self, path: str | Path) -> bool:
        """Start opening ``path``; False (with the error shown) when it cannot be read at all."""
        path = Path(path)
        try:
            with open_image(path) as img:
                width, height = img.size
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            return False
        if width * height <= DECODE_AT_ONCE:
            try:
                image = load_image(path)
            except GuardPaintError as exc:
                self.ui.error(str(exc))
                return False
            self.pending = None
            self.opened.emit(path, image)
            return True
        self.pending = path
        self.started.emit(f"Opening {path.name} ({width} x {height})…")
        self.background.run(path, partial(load_image, path))
        return True

    def _decoded(self, path: Path, image: LoadedImage) -> None:
        if path == self.pending:  # a newer request replaced it: drop it
            self.pending = None
            self.opened.emit(path, image)

    def _failed(self, path: Path, message: str) -> None:
        if path == self.pending:
            self.pending = None
            self.ui.error(message)
            self.failed.emit()


class MaskFiles:
    """Load a mask onto the active layer, or save it under its role's name (``photo.mask.png`` for the
    protection mask, the batch's convention; ``photo.test-mask.png`` for a test mask)."""

    def __init__(self, parent: QWidget, document: Document, active_role: Callable[[], str], ui: Interaction) -> None:
        self.parent, self.document, self.active_role, self.ui = parent, document, active_role, ui

    def _folder(self) -> str:
        """Where mask dialogs open: the last folder a mask went to, else the image's (where the batch looks)."""
        return self.ui.start_dir("mask", self.document.path.parent if self.document.path else None)

    def load_dialog(self) -> None:
        if self.document.image is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.parent, "Load mask", self._folder(), IMAGE_FILTER)
        if path:
            self.load(path)

    def load(self, path: str | Path, role: str | None = None) -> bool:
        """Load ``path`` onto the ``role`` layer (the active one); a file saved as a test mask goes onto the
        protection layer only when the user says so."""
        image = self.document.image
        if image is None:
            return False
        role = role or self.active_role()
        try:
            mask = load_mask(path, image.size)
            saved_as = mask_role(path)
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            return False
        if role == PROTECTION and saved_as == TEST and not self.ui.ask(
                f"{Path(path).name} was saved as a test mask. Load it as the region to protect anyway?"):
            return False
        self.document.set_mask(role, mask)
        self.ui.remember_dir("mask", str(path))
        return True

    def save_dialog(self) -> None:
        if self.document.image is None:
            return
        role = self.active_role()
        suggestion = str(Path(self._folder()) / self.document.mask_file_name(role))
        title = "Save protection mask" if role == PROTECTION else "Save test mask"
        path, _ = QFileDialog.getSaveFileName(self.parent, title, suggestion, "PNG (*.png)")
        if path:
            self.save(path if path.lower().endswith(".png") else f"{path}.png", role)

    def save(self, path: str | Path, role: str) -> bool:
        """Write the ``role`` mask, recording its role in the file; a test mask never takes the name the
        batch reads as the region to protect."""
        if self.document.path is not None and same_file(path, self.document.path):
            self.ui.error(f"{Path(path).name} is the image itself; choose another name so the image is kept.")
            return False
        if role == TEST and str(path).lower().endswith(MASK_SUFFIXES[PROTECTION]):
            self.ui.error(f"{Path(path).name} is the name the batch reads as the region to protect; save the test "
                       f"mask as …{MASK_SUFFIXES[TEST]}")
            return False
        try:
            save_mask(path, self.document.mask(role), role)
        except (GuardPaintError, OSError) as exc:
            self.ui.error(f"Could not save the mask: {exc}")
            return False
        self.ui.remember_dir("mask", str(path))
        return True

    def beside(self, image_path: Path) -> Path | None:
        """The protection mask saved beside an image (``photo.mask.png``), if there is one."""
        candidate = image_path.with_name(image_path.stem + MASK_SUFFIXES[PROTECTION])
        return candidate if candidate.is_file() else None
