"""File-menu helpers that need no window state: recent files, and loading/saving masks."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from guardpaint.core.io.images import LoadedImage, load_mask, save_mask
from guardpaint.errors import GuardPaintError
from guardpaint.gui.canvas import MaskCanvas
from guardpaint.gui.window_state import stored_list

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp *.gif);;All files (*)"
MAX_RECENT = 10


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


class MaskFiles:
    """Load a mask onto the active layer, or save it (as ``<image>.mask.png``, the batch's convention)."""

    def __init__(self, parent: QWidget, canvas: MaskCanvas, error: Callable[[str], None],
                 last_dir: Callable[[str], str], remember_dir: Callable[[str, str], None]) -> None:
        self.parent, self.canvas, self.error = parent, canvas, error
        self.last_dir, self.remember_dir = last_dir, remember_dir

    def load_dialog(self, image: LoadedImage | None) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Load mask", self.last_dir("mask"), IMAGE_FILTER)
        if path:
            self.load(path, image)

    def load(self, path: str | Path, image: LoadedImage | None) -> bool:
        if image is None:
            return False
        try:
            mask = load_mask(path, image.size)
        except GuardPaintError as exc:
            self.error(str(exc))
            return False
        self.canvas.set_mask(mask, self.canvas.active)
        self.remember_dir("mask", str(path))
        return True

    def save_dialog(self, image_path: Path | None) -> None:
        stem = image_path.stem if image_path else "mask"
        suggestion = str(Path(self.last_dir("mask")) / f"{stem}.mask.png")
        path, _ = QFileDialog.getSaveFileName(self.parent, "Save mask", suggestion, "PNG (*.png)")
        if not path:
            return
        try:
            save_mask(path if path.lower().endswith(".png") else f"{path}.png", self.canvas.mask(self.canvas.active))
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not save the mask: {exc}")
