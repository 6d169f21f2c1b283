"""The F1 table, generated from the window's actions (and the canvas's mouse gestures)."""
from __future__ import annotations

import html

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from guardpaint.gui.canvas import GESTURES


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what) for every action with a shortcut, merged by description, in the actions' order."""
    rows: dict[str, list[str]] = {}
    for action in actions:
        keys = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()]
        if keys:
            what = action.toolTip() if action.text() == "" else action.text().replace("&", "").rstrip("…")
            rows.setdefault(what, []).extend(k for k in keys if k not in rows.get(what, []))
    return [(" / ".join(keys), what) for what, keys in rows.items()] + list(GESTURES)


def show_shortcuts(parent: QWidget, actions: list[QAction]) -> None:
    body = "".join(f"<tr><td><b>{html.escape(keys)}</b></td><td>&nbsp;{html.escape(what)}</td></tr>"
                   for keys, what in shortcut_rows(actions))
    QMessageBox.information(parent, "Keyboard shortcuts", f"<table>{body}</table>")
