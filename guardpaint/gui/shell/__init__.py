"""The window shell: the main window that wires the document, the controllers and the panels together, its menus,
shortcuts, status bar and empty state, and quitting."""
from guardpaint.gui.shell.main_window import MainWindow
from guardpaint.gui.shell.quitting import QUIT_GRACE_MS
from guardpaint.gui.shell.shortcuts import shortcut_rows

__all__ = [
    "QUIT_GRACE_MS", "MainWindow", "shortcut_rows"
]
