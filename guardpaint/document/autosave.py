"""Autosave: the open image's masks (both layers, by role) and settings, kept in the app's data folder so a
crash loses none of the brushing.

Each running app owns one save file, named after its process; it is rewritten atomically whenever the
document changed and the app asks (every little while, and at every protection), never beside the
user's images, and removed by a clean close. A save whose process is gone is a crash's: the next start
offers to restore it (:func:`orphaned_saves`).
"""
from __future__ import annotations

import io
import json
import os
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import platformdirs

from guardpaint.core.io.conventions import PROTECTION, TEST
from guardpaint.core.io.files import write_atomic
from guardpaint.core.io.formats import OutputFormat
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.document.document import Document
from guardpaint.errors import GuardPaintError

#: Overrides the app's data folder (tests, portable installs).
DATA_ENV = "GUARDPAINT_DATA_DIR"
#: Seconds between saves while something changed.
INTERVAL_S = 20
PREFIX = "autosave-"


def data_dir() -> Path:
    """The app's data folder: ``$GUARDPAINT_DATA_DIR`` or the user data folder."""
    override = os.environ.get(DATA_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir("guardpaint"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@dataclass
class SavedSession:
    """What one save holds: the image it belongs to, when it was saved, its masks and settings."""

    path: Path  # the save file
    image: Path
    image_size: tuple[int, int]
    saved: float  # seconds since the epoch
    masks: dict[str, np.ndarray]
    settings: ProtectionSettings
    fmt: OutputFormat
    specs: tuple[str, ...]
    device: str

    def restore(self, document: Document) -> None:
        """Put the masks and settings into ``document``, which has this image open."""
        for role, mask in self.masks.items():
            document.set_mask(role, mask)
        document.set_settings(self.settings, self.fmt, self.device)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class Autosave:
    """This app's save of its document: :meth:`save` when something changed, :meth:`discard` at a clean close."""

    def __init__(self, document: Document, folder: Path | None = None) -> None:
        self.document, self.folder = document, folder or data_dir() / "autosave"
        self.path = self.folder / f"{PREFIX}{os.getpid()}.npz"
        self.changed = False
        for event in (document.image_changed, document.mask_changed, document.settings_changed):
            event.connect(self._mark)

    def _mark(self, *_: object) -> None:
        self.changed = True

    def save(self, force: bool = False) -> bool:
        """Write the document's masks and settings (only when something changed, unless ``force``); whether
        a save was written. Nothing is saved without an image."""
        document = self.document
        if document.image is None or not (self.changed or force):
            return False
        meta = {"image": str(document.path), "image_size": list(document.image.size), "saved": time.time(),
                "settings": asdict(document.settings), "format": asdict(document.fmt),
                "specs": list(document.specs), "device": document.device}
        buffer = io.BytesIO()
        np.savez_compressed(buffer, protection=document.masks[PROTECTION], test=document.masks[TEST],
                            meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, buffer.getvalue())
        self.changed = False
        return True

    def discard(self) -> None:
        """A clean close: the save is not needed any more."""
        self.path.unlink(missing_ok=True)


def read_save(path: Path) -> SavedSession:
    """One save file (ValueError, KeyError or OSError when it is not a readable one)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        masks = {PROTECTION: data["protection"].astype(bool), TEST: data["test"].astype(bool)}
    known = {f.name for f in fields(ProtectionSettings)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["settings"].items() if k in known}
    return SavedSession(path, Path(meta["image"]), tuple(meta["image_size"]), float(meta["saved"]), masks,
                        replace(ProtectionSettings(), **values).validated(), OutputFormat(**meta["format"]),
                        tuple(meta["specs"]), str(meta["device"]))


def orphaned_saves(folder: Path | None = None) -> list[SavedSession]:
    """Saves left by apps that did not close cleanly (their process is gone), newest first; unreadable ones
    are removed."""
    folder = folder or data_dir() / "autosave"
    sessions = []
    for path in folder.glob(f"{PREFIX}*.npz") if folder.is_dir() else []:
        try:
            pid = int(path.stem.removeprefix(PREFIX))
        except ValueError:
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        try:
            sessions.append(read_save(path))
        except (OSError, ValueError, KeyError, TypeError, GuardPaintError):
            path.unlink(missing_ok=True)
    return sorted(sessions, key=lambda session: session.saved, reverse=True)
