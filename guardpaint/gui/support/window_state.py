"""Remembering state between runs: the window's geometry and dock layout, and stored lists."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

DEFAULT_SIZE = (1400, 900)
#: Room for the window manager's title bar above the window's own area (px).
TITLE_BAR = 32


def restore_window(window: QMainWindow, store: QSettings) -> None:
    """The saved geometry and dock layout; the default size when there are none or they are damaged. Either
    way the window then fits the screen it is on."""
    geometry = store.value("window/geometry")
    state = store.value("window/state")
    if not isinstance(geometry, QByteArray) or not window.restoreGeometry(geometry):
        window.resize(*DEFAULT_SIZE)
    if isinstance(state, QByteArray):
        window.restoreState(state)
    fit_on_screen(window)


def fit_on_screen(window: QMainWindow) -> None:
    """Shrink the window to its screen's available area (a 1280 x 800 laptop's, less the task bar) and move it
    inside, keeping room for the title bar the window manager adds."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    width, height = min(window.width(), area.width()), min(window.height(), area.height() - TITLE_BAR)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    left = min(max(window.x(), area.left()), area.right() - width + 1)
    top = min(max(window.y(), area.top()), area.bottom() - height - TITLE_BAR + 1)
    if (left, top) != (window.x(), window.y()):
        window.move(left, top)


def settings_file_problem(store: QSettings) -> str | None:
    """Why the settings file cannot be used (damaged, unreadable), or None: the app then starts with the
    default settings and says so once."""
    if store.status() == QSettings.Status.NoError:
        return None
    why = "is damaged" if store.status() == QSettings.Status.FormatError else "cannot be read"
    return f"The settings file {store.fileName()} {why}: GuardPaint started with the default settings."


def unreadable_settings(store: QSettings, names: list[str]) -> str | None:
    """The message for settings whose saved values could not be read (they keep their defaults), or None."""
    if not names:
        return None
    return (f"Some saved settings in {store.fileName()} could not be read ({', '.join(names)}): they were "
            "set back to their defaults.")


def save_window(window: QMainWindow, store: QSettings) -> None:
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())


def stored_list(store: QSettings, key: str) -> list[str]:
    """A list of strings saved with ``setValue`` (QSettings gives a one-item list back as a bare string)."""
    value = store.value(key, [])
    return [value] if isinstance(value, str) else [str(v) for v in value or []]
