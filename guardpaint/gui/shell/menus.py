"""The main window's actions, and its menus and toolbar built from lists of them (None = separator)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from guardpaint import __version__
from guardpaint.gui.dialogs import GuideViewer
from guardpaint.gui.shell.shortcuts import show_shortcuts

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


def action(window: QMainWindow, text: str, slot, shortcut: str | QKeySequence | None = None, tip: str = "") -> QAction:
    """A window action: its text, what it does, its shortcut and tooltip."""
    act = QAction(text, window)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    act.setToolTip(tip or text.replace("&", "").rstrip("…"))
    act.triggered.connect(slot)
    window.addAction(act)
    return act


def build_window_menus(w) -> None:
    """The main window's actions (as ``w.act_*``), its menus and its toolbar."""
    c = w.canvas
    w.act_open = action(w, "&Open Image…", w.open_dialog, QKeySequence.StandardKey.Open)
    w.act_sample = action(w, "Open &Sample Image", w.open_sample)
    w.act_export = action(w, "&Export Protected Image…", w.exports.export_dialog, "Ctrl+E")
    w.act_report = action(w, "Export &Report…", w.exports.export_report_dialog, "Ctrl+Shift+E")
    w.act_folder = action(w, "Protect &Folder…", w.show_batch)
    w.act_load_mask = action(w, "&Load Mask…", w.masks.load_dialog)
    w.act_save_mask = action(w, "&Save Mask…", w.masks.save_dialog, tip="Save the active layer's mask: the "
                             "protection mask as photo.mask.png (what Protect Folder and the batch read), a test "
                             "mask as photo.test-mask.png")
    w.act_quit = action(w, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    w.act_undo = action(w, "&Undo", c.undo, "Ctrl+Z")
    w.act_redo = action(w, "&Redo", c.redo, "Ctrl+Shift+Z")
    w.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    w.act_clear = action(w, "&Clear Mask", c.clear_mask, "Delete")
    w.act_invert = action(w, "&Invert Mask", c.invert_mask, "Ctrl+I")
    tools = QActionGroup(w)
    w.act_brush = action(w, "&Brush", lambda: w.set_tool(False), "B")
    w.act_eraser = action(w, "&Eraser", lambda: w.set_tool(True), "E")
    for act in (w.act_brush, w.act_eraser):
        act.setCheckable(True)
        tools.addAction(act)
    w.act_brush.setChecked(True)
    w.act_smaller = action(w, "Smaller Brush", lambda: c.set_brush_size(round(c.brush_size / 1.2) - 1), "[")
    w.act_larger = action(w, "Larger Brush", lambda: c.set_brush_size(round(c.brush_size * 1.2) + 1), "]")
    w.act_layer = action(w, "Switch Protection / Test Mask", w.toggle_layer, "T")
    w.act_fit = action(w, "&Fit to Window", c.fit, "F")
    w.act_fit.setShortcuts([QKeySequence("F"), QKeySequence("Esc")])
    w.act_100 = action(w, "&Actual Size (100 %)", c.actual_size, "1")
    w.act_zoom_in = action(w, "Zoom &In", lambda: c.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
    w.act_zoom_out = action(w, "Zoom &Out", lambda: c.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
    w.act_protect = action(w, "&Protect", w.start_protection, "Ctrl+Return")
    w.act_suite = action(w, "Run &Attack Suite…", lambda: w.protection.attack_suite(w), "Ctrl+Shift+A",
                         "Attack the protected image the way editors do: other brush masks, IOPaint's crop and "
                         "resize, JPEG, resizing")
    w.act_guide = action(w, "&User Guide", lambda: GuideViewer(w).show(), "F1", "The user guide, offline")
    w.act_shortcuts = action(w, "&Keyboard Shortcuts", lambda: show_shortcuts(w, w.actions()))
    w.act_about = action(w, "&About GuardPaint", lambda: show_about(w))
    w.recent_menu = QMenu("Open &Recent", w)
    build_menus(w, {
        "&File": [w.act_open, w.act_sample, w.recent_menu, None, w.act_export, w.act_report, w.act_folder, None,
                  w.act_load_mask, w.act_save_mask, None, w.act_quit],
        "&Edit": [w.act_undo, w.act_redo, None, w.act_brush, w.act_eraser, w.act_smaller, w.act_larger,
                  w.act_layer, None, w.act_clear, w.act_invert],
        "&View": [w.act_fit, w.act_100, w.act_zoom_in, w.act_zoom_out],
        "&Protection": [w.act_protect, w.act_suite],
        "&Model": w.models.menu_entries(),
        "&Help": [w.act_guide, w.act_shortcuts, w.act_about],
    }, [w.act_open, w.act_export, None, w.act_brush, w.act_eraser, w.act_undo, w.act_redo, w.act_clear, None,
        w.act_fit, w.act_100, None, w.act_protect])


def show_about(window: QMainWindow) -> None:
    QMessageBox.about(window, "About GuardPaint",
                      f"<b>GuardPaint {__version__}</b><br>Protects image regions against AI inpainting (LaMa) with "
                      "faint noise placed where it acts: a run-time backdoor (Attack as Defense, arXiv 2410.14966). "
                      "Help > User Guide explains how to use it.")
