"""Remembering state between runs: the window's geometry and dock layout, and stored lists."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

DEFAULT_SIZE = (1400, 900)


def restore_window(window: QMainWindow, store: QSettings) -> None:
    geometry = store.value("window/geometry")
    state = store.value("window/state")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(*DEFAULT_SIZE)
    if state is not None:
        window.restoreState(state)


def save_window(window: QMainWindow, store: QSettings) -> None:
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())


def stored_list(store: QSettings, key: str) -> list[str]:
    """A list of strings saved with ``setValue`` (QSettings gives a one-item list back as a bare string)."""
    value = store.value(key, [])
    return [value] if isinstance(value, str) else [str(v) for v in value or []]
