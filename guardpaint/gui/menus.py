"""Building menus and the toolbar from lists of actions (None = separator)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

Entry = QAction | QMenu | None


def add_entries(menu: QMenu, entries: Sequence[Entry]) -> None:
    for entry in entries:
        if entry is None:
            menu.addSeparator()
        elif isinstance(entry, QMenu):
            menu.addMenu(entry)
        else:
            menu.addAction(entry)


def build_menus(window: QMainWindow, menus: dict[str, Sequence[Entry]], toolbar: Sequence[QAction | None]) -> None:
    """One menu per title, in order, and the main toolbar."""
    for title, entries in menus.items():
        add_entries(window.menuBar().addMenu(title), entries)
    bar = window.addToolBar("Main")
    bar.setObjectName("main-toolbar")
    for action in toolbar:
        bar.addSeparator() if action is None else bar.addAction(action)
