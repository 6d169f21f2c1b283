"""GuardPaint's main window: actions, menus and layout; the work lives in the controllers."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from guardpaint import __version__
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.io.images import LoadedImage, load_image
from guardpaint.errors import GuardPaintError
from guardpaint.gui.batch_dialog import BatchDialog
from guardpaint.gui.canvas import PROTECT, TEST, MaskCanvas
from guardpaint.gui.empty_state import EmptyState
from guardpaint.gui.export_controller import ExportController
from guardpaint.gui.file_menu import IMAGE_FILTER, MaskFiles, RecentFiles
from guardpaint.gui.first_run import DemoBanner
from guardpaint.gui.menus import build_menus
from guardpaint.gui.model_controller import ModelController
from guardpaint.gui.preview import PreviewPanel
from guardpaint.gui.protect_panel import ProtectPanel
from guardpaint.gui.protection_controller import ProtectionController
from guardpaint.gui.shortcuts import show_shortcuts
from guardpaint.gui.status_bar import StatusFields
from guardpaint.gui.window_state import restore_window, save_window
from guardpaint.models import registry


class MainWindow(QMainWindow):
    """The application window: canvas, Protect dock, preview; File, Edit, View, Protection, Model, Help."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.store = settings or QSettings()
        self.setWindowTitle("GuardPaint")
        self.setAcceptDrops(True)
        self.image: LoadedImage | None = None
        self.image_path: Path | None = None
        self._closing = False
        self.batch: BatchDialog | None = None

        self.canvas, self.empty, self.preview, self.banner = MaskCanvas(), EmptyState(), PreviewPanel(), DemoBanner()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.canvas)
        self.panel = ProtectPanel(self.canvas.brush_size)
        self.panel.settings.restore(self.store)
        self._build_layout()

        self.protection = ProtectionController(self.panel, self.preview, lambda m: self.error(m), self)
        self.runner = self.protection.runner
        self.models = ModelController(self, self.store, self.banner, lambda m: self.error(m),
                                      lambda q: self.ask(q), self._last_dir, self._remember_dir)
        self.masks = MaskFiles(self, self.canvas, lambda m: self.error(m), self._last_dir, self._remember_dir)
        self.exports = ExportController(self, self.protection, lambda: self.image_path, lambda m: self.error(m),
                                        lambda q: self.ask(q), lambda m: self.statusBar().showMessage(m, 8000),
                                        self._last_dir, self._remember_dir)
        self._build_actions()
        self.status = StatusFields(self.statusBar())
        self._show_model()
        self._connect()
        restore_window(self, self.store)
        self._update_state()

    def _build_layout(self) -> None:
        """Banner over (image | preview) in the centre; the Protect dock on the right."""
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.stack)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([620, 380])
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(splitter, 1)
        self.setCentralWidget(central)
        dock = QDockWidget("Protect", self)
        dock.setObjectName("controls")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(self.panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [400], Qt.Orientation.Horizontal)

    # ------------------------------------------------------------------ actions and menus
    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        c = self.canvas
        self.act_open = self._action("&Open Image…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.act_sample = self._action("Open &Sample Image", self.open_sample)
        self.act_export = self._action("&Export Protected Image…", self.exports.export_dialog, "Ctrl+E")
        self.act_report = self._action("Export &Report…", self.exports.export_report_dialog, "Ctrl+Shift+E")
        self.act_folder = self._action("Protect &Folder…", self.show_batch)
        self.act_load_mask = self._action("&Load Mask…", lambda: self.masks.load_dialog(self.image))
        self.act_save_mask = self._action("&Save Mask…", lambda: self.masks.save_dialog(self.image_path))
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_undo = self._action("&Undo", c.undo, "Ctrl+Z")
        self.act_redo = self._action("&Redo", c.redo, "Ctrl+Shift+Z")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_clear = self._action("&Clear Mask", c.clear_mask, "Delete")
        self.act_invert = self._action("&Invert Mask", c.invert_mask, "Ctrl+I")
        tools = QActionGroup(self)
        self.act_brush = self._action("&Brush", lambda: self._set_tool(False), "B")
        self.act_eraser = self._action("&Eraser", lambda: self._set_tool(True), "E")
        for act in (self.act_brush, self.act_eraser):
            act.setCheckable(True)
            tools.addAction(act)
        self.act_brush.setChecked(True)
        self.act_smaller = self._action("Smaller Brush", lambda: c.set_brush_size(round(c.brush_size / 1.2) - 1), "[")
        self.act_larger = self._action("Larger Brush", lambda: c.set_brush_size(round(c.brush_size * 1.2) + 1), "]")
        self.act_layer = self._action("Switch Protection / Test Mask", self._toggle_layer, "T")
        self.act_fit = self._action("&Fit to Window", c.fit, "F")
        self.act_fit.setShortcuts([QKeySequence("F"), QKeySequence("Esc")])
        self.act_100 = self._action("&Actual Size (100 %)", c.actual_size, "1")
        self.act_zoom_in = self._action("Zoom &In", lambda: c.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.act_zoom_out = self._action("Zoom &Out", lambda: c.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self.act_protect = self._action("&Protect", self.start_protection, "Ctrl+Return")
        self.act_suite = self._action("Run &Attack Suite…", lambda: self.protection.attack_suite(self),
                                      "Ctrl+Shift+A", "Attack the protected image the way editors do: other "
                                      "brush masks, IOPaint's crop and resize, JPEG, resizing")
        self.act_shortcuts = self._action("&Keyboard Shortcuts", lambda: show_shortcuts(self, self.actions()), "F1")
        self.act_about = self._action("&About GuardPaint", self.show_about)
        self.recent_menu = QMenu("Open &Recent", self)
        build_menus(self, {
            "&File": [self.act_open, self.act_sample, self.recent_menu, None, self.act_export, self.act_report,
                      self.act_folder, None, self.act_load_mask, self.act_save_mask, None, self.act_quit],
            "&Edit": [self.act_undo, self.act_redo, None, self.act_brush, self.act_eraser, self.act_smaller,
                      self.act_larger, self.act_layer, None, self.act_clear, self.act_invert],
            "&View": [self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out],
            "&Protection": [self.act_protect, self.act_suite],
            "&Model": self.models.menu_entries(),
            "&Help": [self.act_shortcuts, self.act_about],
        }, [self.act_open, self.act_export, None, self.act_brush, self.act_eraser, self.act_undo, self.act_redo,
            self.act_clear, None, self.act_fit, self.act_100, None, self.act_protect])
        self.recent = RecentFiles(self.store, self.recent_menu, self.open_image)

    def _connect(self) -> None:
        c, p = self.canvas, self.panel
        p.brush_slider.valueChanged.connect(c.set_brush_size)
        c.brushSizeChanged.connect(lambda size: p.brush_slider.setValue(size) if p.brush_slider.value() != size
                                   else None)
        p.opacity_slider.valueChanged.connect(lambda v: c.set_overlay_opacity(v / 100))
        p.layer_protect.toggled.connect(lambda on: c.set_active_layer(PROTECT if on else TEST))
        c.zoomChanged.connect(self.status.show_zoom)
        c.maskChanged.connect(lambda _: self._update_state())
        p.protect_button.clicked.connect(self.start_protection)
        p.cancel_button.clicked.connect(self.runner.cancel)
        p.test_button.clicked.connect(self.start_test_edit)
        self.runner.busyChanged.connect(lambda _: self._update_state())
        self.protection.outcomeChanged.connect(self._update_state)
        p.settings.changed.connect(self._show_model)
        self.models.modelChanged.connect(self._model_changed)
        self.empty.open_button.clicked.connect(self.open_dialog)
        self.empty.sample_button.clicked.connect(self.open_sample)
        self.preview.protect_again.clicked.connect(self.start_protection)
        self.preview.maximum_button.clicked.connect(self.protect_at_maximum)

    # ------------------------------------------------------------------ messages
    def error(self, message: str) -> None:
        """Show a one-line error; never changes the user's image or mask."""
        self.statusBar().showMessage(message, 10_000)
        QMessageBox.warning(self, "GuardPaint", message)

    def ask(self, question: str) -> bool:
        """Yes/No with No, the safe answer, as the default."""
        answer = QMessageBox.question(self, "GuardPaint", question, defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ state
    def _update_state(self) -> None:
        has_image = self.image is not None
        busy = self.runner.is_busy()
        outcome = self.protection.outcome is not None
        has_mask = has_image and bool(self.canvas.mask(PROTECT).any())
        for widget in (self.panel.protect_button, self.act_protect):
            widget.setEnabled(has_mask and not busy)
        self.panel.cancel_button.setEnabled(busy)
        self.panel.test_button.setEnabled(outcome and not busy and bool(self.canvas.mask(TEST).any()))
        for act in (self.act_export, self.act_report):
            act.setEnabled(outcome)
        self.act_suite.setEnabled(outcome and not busy)
        for act in (self.act_save_mask, self.act_load_mask, self.act_clear, self.act_invert, self.act_fit,
                    self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_undo, self.act_redo,
                    self.act_brush, self.act_eraser, self.act_smaller, self.act_larger, self.act_layer):
            act.setEnabled(has_image)

    def _show_model(self) -> None:
        self.status.show_model(self.models.specs(), self.panel.settings.device_name())

    def _model_changed(self, _spec: str) -> None:
        self._show_model()
        self.protection.model_switched(self.models.specs(), self.models.display_name())

    def set_model(self, spec: str) -> None:
        self.models.set_model(spec)

    def _set_tool(self, erase: bool) -> None:
        self.canvas.erasing = erase
        (self.act_eraser if erase else self.act_brush).setChecked(True)

    def _toggle_layer(self) -> None:
        (self.panel.layer_test if self.panel.layer_protect.isChecked() else self.panel.layer_protect).setChecked(True)

    # ------------------------------------------------------------------ files
    def _last_dir(self, key: str) -> str:
        return str(self.store.value(f"dirs/{key}", str(Path.home())))

    def _remember_dir(self, key: str, path: str | Path) -> None:
        self.store.setValue(f"dirs/{key}", str(Path(path).parent))

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self._last_dir("open"), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_sample(self) -> bool:
        return self.open_image(registry.RESOURCES / "sample-chelsea.png")

    def open_image(self, path: str | Path) -> bool:
        """Load an image; on failure show why and keep the current image and mask."""
        question = "The protected image has not been exported. Open another image anyway?"
        if self.exports.pending and not self.ask(question):
            return False
        try:
            image = load_image(path)
        except GuardPaintError as exc:
            self.error(str(exc))
            return False
        self.protection.clear()
        self.image, self.image_path = image, Path(path)
        self.stack.setCurrentWidget(self.canvas)  # visible first, so the image is fitted to its real size
        self.canvas.set_image(image.rgb, image.alpha)
        self.canvas.set_active_layer(PROTECT if self.panel.layer_protect.isChecked() else TEST)
        self.canvas.set_overlay_opacity(self.panel.opacity_slider.value() / 100)
        self.status.show_image(*image.size, image.notes)
        self.setWindowTitle(f"GuardPaint - {Path(path).name}")
        self._remember_dir("open", path)
        self.recent.add(Path(path))
        self._update_state()
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_image(files[0])
            event.acceptProposedAction()

    def load_mask_file(self, path: str | Path) -> bool:
        return self.masks.load(path, self.image)

    # ------------------------------------------------------------------ protection
    def start_protection(self) -> None:
        if self.image is None or self.runner.is_busy():
            return
        mask = self.canvas.mask(PROTECT)
        if not mask.any():
            self.error("Paint the region to protect first (Protection mask layer).")
            return
        try:
            validate_mask(mask, self.image.rgb.shape)  # before any work: too many parts, all covered
        except GuardPaintError as exc:
            self.error(str(exc))
            return
        self.protection.protect(self.image, mask, self.canvas.mask(TEST), self.models.specs(),
                                self.panel.settings.device_name())

    def protect_at_maximum(self) -> None:
        """The verdict's offer when the strength allowed was not enough: the reference's budget."""
        self.panel.settings.maximum.setChecked(True)
        self.start_protection()

    def start_test_edit(self) -> None:
        mask = self.canvas.mask(TEST) if self.image is not None else None
        if mask is None or self.runner.is_busy():
            return
        if not mask.any() or mask.all():
            self.error("Paint a test mask (Test mask layer) that leaves some of the image uncovered.")
            return
        self.protection.test_edit(mask)

    def show_batch(self) -> None:
        """File > Protect Folder: one dialog, kept, running on the same worker as single protection."""
        if self.batch is None:
            self.batch = BatchDialog(self.panel.settings.output_format, self)
            self.batch.startRequested.connect(lambda items: self.protection.protect_folder(
                self.batch, items, self.panel.settings.output_format(), self.models.specs(),
                self.panel.settings.device_name()))
            self.batch.stopRequested.connect(self.runner.cancel)
            self.batch.openRequested.connect(lambda image, mask: self.open_image(image) and mask is not None
                                             and self.load_mask_file(mask))
        self.batch.refresh()
        self.batch.show()
        self.batch.raise_()

    # ------------------------------------------------------------------ misc
    def show_about(self) -> None:
        QMessageBox.about(self, "About GuardPaint",
                          f"<b>GuardPaint {__version__}</b><br>Protects image regions against AI inpainting "
                          "(LaMa) with faint noise placed where it acts: a run-time backdoor (Attack as Defense, "
                          "arXiv 2410.14966). See docs/method.md.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._closing:
            if self.exports.pending and not self.ask("The protected image has not been exported. Quit anyway?"):
                event.ignore()
                return
            self._closing = True
            save_window(self, self.store)
            self.panel.settings.save(self.store)
            self.store.sync()
        runners = (self.runner, self.models.downloads.runner)
        if all(runner.shutdown() for runner in runners):  # at most 100 ms each
            event.accept()
            return
        # A worker is finishing its current step: hide now, close once every worker has stopped.
        event.ignore()
        self.hide()
        for runner in runners:
            runner.idle.connect(self.close)
