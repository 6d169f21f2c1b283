"""GuardPaint's main window: canvas, controls, live plot, preview; file and model menus."""
from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QButtonGroup, QDockWidget, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QProgressDialog, QPushButton,
                               QRadioButton, QSlider, QSplitter, QVBoxLayout, QWidget)

from guardpaint import __version__
from guardpaint.core.imageio import LOSSLESS_SUFFIXES, LoadedImage, encode_png, load_image, load_mask, \
    save_mask, write_atomic
from guardpaint.core.attacks import CaseResult
from guardpaint.core.protect import IterationReport
from guardpaint.errors import GuardPaintError
from guardpaint.gui.canvas import PROTECT, TEST, MaskCanvas
from guardpaint.gui.jobs import ModelCache, ProtectOutcome, run_attack_suite, run_protection, run_test_edit
from guardpaint.gui.loss_plot import LossPlot
from guardpaint.gui.preview import PreviewPanel
from guardpaint.gui.qimage import noise_visual
from guardpaint.gui.settings_panel import SettingsPanel
from guardpaint.gui.suite_dialog import SuiteDialog
from guardpaint.gui.worker import TaskRunner
from guardpaint.models import registry

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp *.gif);;All files (*)"
WEIGHT_FILTER = "LaMa weights (*.ckpt *.pt *.pth *.safetensors);;All files (*)"
MAX_RECENT = 10
SHORTCUTS = [
    ("B / E", "brush / eraser"), ("[ / ]", "smaller / larger brush"), ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
    ("Wheel", "zoom around the cursor"), ("Space+drag, middle drag", "pan"), ("F or Esc", "fit to window"),
    ("1", "100 %"), ("T", "switch protection / test mask"), ("Ctrl+I", "invert mask"), ("Delete", "clear mask"),
    ("Ctrl+Return", "protect"), ("Ctrl+Shift+A", "attack suite"), ("Ctrl+O / Ctrl+E", "open image / export protected PNG"),
]


class MainWindow(QMainWindow):
    """The application window; all model work goes through :class:`TaskRunner`."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.store = settings or QSettings()
        self.setWindowTitle("GuardPaint")
        self.setAcceptDrops(True)
        self.image: LoadedImage | None = None
        self.image_path: Path | None = None
        self.outcome: ProtectOutcome | None = None
        self.exported = True
        self.models = ModelCache()
        self.model_spec = str(self.store.value("model", registry.DEFAULT_MODEL))
        self.runner = TaskRunner(self)
        self.downloader = TaskRunner(self)
        self._run_started = 0.0
        self._task = ""  # what the runner is doing: "protect", "test" or "suite"
        self._download_connections: list = []
        self.suite_dialog: SuiteDialog | None = None

        self.canvas = MaskCanvas()
        self.preview = PreviewPanel()
        self.plot = LossPlot()
        self.panel = SettingsPanel()
        self.panel.restore(self.store)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([620, 380])
        self.setCentralWidget(splitter)
        self._build_controls()
        self._build_actions()
        self._build_status()
        self._connect()
        self._restore_window()
        self._update_state()

    # ------------------------------------------------------------------ layout
    def _build_controls(self) -> None:
        dock_body = QWidget()
        layout = QVBoxLayout(dock_body)
        self.layer_protect = QRadioButton("Protection mask")
        self.layer_test = QRadioButton("Test mask")
        self.layer_protect.setChecked(True)
        self.layer_test.setToolTip("Paint anywhere, then Test edit: see what LaMa does there on both images")
        layers = QButtonGroup(self)
        layers.addButton(self.layer_protect)
        layers.addButton(self.layer_test)
        row = QHBoxLayout()
        row.addWidget(self.layer_protect)
        row.addWidget(self.layer_test)
        layout.addLayout(row)
        form = QFormLayout()
        self.brush_slider = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=300)
        self.brush_slider.setValue(self.canvas.brush_size)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, minimum=5, maximum=100)
        self.opacity_slider.setValue(50)
        form.addRow("Brush size", self.brush_slider)
        form.addRow("Mask opacity", self.opacity_slider)
        layout.addLayout(form)
        layout.addWidget(self.panel)
        buttons = QHBoxLayout()
        self.protect_button = QPushButton("Protect")
        self.protect_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.test_button = QPushButton("Test edit")
        self.test_button.setToolTip("Run LaMa with the test mask on the original and the protected image")
        buttons.addWidget(self.protect_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.test_button)
        layout.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.eta = QLabel("")
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addWidget(self.plot, 1)
        dock = QDockWidget("Protect", self)
        dock.setObjectName("controls")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(dock_body)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [400], Qt.Orientation.Horizontal)

    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        c = self.canvas
        self.act_open = self._action("&Open Image…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.act_sample = self._action("Open &Sample Image",
                                       lambda: self.open_image(registry.RESOURCES / "sample-chelsea.png"))
        self.act_export = self._action("&Export Protected PNG…", self.export_dialog, "Ctrl+E")
        self.act_report = self._action("Export &Report…", self.export_report_dialog, "Ctrl+Shift+E")
        self.act_load_mask = self._action("&Load Mask…", self.load_mask_dialog)
        self.act_save_mask = self._action("&Save Mask…", self.save_mask_dialog)
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_undo = self._action("&Undo", c.undo, "Ctrl+Z")
        self.act_redo = self._action("&Redo", c.redo, "Ctrl+Shift+Z")
        self._action("Redo", c.redo, "Ctrl+Y")
        self.act_clear = self._action("&Clear Mask", c.clear_mask, "Delete")
        self.act_invert = self._action("&Invert Mask", c.invert_mask, "Ctrl+I")
        tools = QActionGroup(self)
        self.act_brush = self._action("&Brush", lambda: self._set_tool(False), "B")
        self.act_eraser = self._action("&Eraser", lambda: self._set_tool(True), "E")
        for act in (self.act_brush, self.act_eraser):
            act.setCheckable(True)
            tools.addAction(act)
        self.act_brush.setChecked(True)
        self._action("Smaller Brush", lambda: c.set_brush_size(round(c.brush_size / 1.2) - 1), "[")
        self._action("Larger Brush", lambda: c.set_brush_size(round(c.brush_size * 1.2) + 1), "]")
        self._action("Switch Mask Layer", self._toggle_layer, "T")
        self.act_fit = self._action("&Fit to Window", c.fit, "F")
        self._action("Fit", c.fit, "Esc")
        self.act_100 = self._action("&Actual Size (100 %)", c.actual_size, "1")
        self.act_zoom_in = self._action("Zoom &In", lambda: c.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.act_zoom_out = self._action("Zoom &Out", lambda: c.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self.act_protect = self._action("&Protect", self.start_protection, "Ctrl+Return")
        self.act_suite = self._action("Run &Attack Suite…", self.start_attack_suite, "Ctrl+Shift+A",
                                      "Attack the protected image the way editors do: other brush masks, "
                                      "IOPaint's crop and resize, JPEG, resizing")
        self.act_use_demo = self._action("Use &Demo Model", lambda: self.set_model(registry.DEFAULT_MODEL))
        self.act_use_big = self._action("Use &big-lama", self.use_big_lama)
        self.act_open_weights = self._action("Open &Weight File…", self.open_weights_dialog)
        self.act_download = self._action("&Download big-lama…", self.download_big_lama)
        self.act_shortcuts = self._action("&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self.act_about = self._action("&About GuardPaint", self.show_about)

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_open)
        file_menu.addAction(self.act_sample)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        for act in (self.act_export, self.act_report):
            file_menu.addAction(act)
        file_menu.addSeparator()
        for act in (self.act_load_mask, self.act_save_mask):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = bar.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo, None, self.act_brush, self.act_eraser, None, self.act_clear,
                    self.act_invert):
            edit_menu.addSeparator() if act is None else edit_menu.addAction(act)
        view_menu = bar.addMenu("&View")
        for act in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out):
            view_menu.addAction(act)
        protect_menu = bar.addMenu("&Protection")
        protect_menu.addAction(self.act_protect)
        protect_menu.addAction(self.act_suite)
        model_menu = bar.addMenu("&Model")
        for act in (self.act_use_demo, self.act_use_big, self.act_download, self.act_open_weights):
            model_menu.addAction(act)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)
        help_menu.addAction(self.act_about)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        for act in (self.act_open, self.act_export, None, self.act_brush, self.act_eraser, self.act_undo,
                    self.act_redo, self.act_clear, None, self.act_fit, self.act_100, None, self.act_protect):
            toolbar.addSeparator() if act is None else toolbar.addAction(act)
        self._rebuild_recent()

    def _build_status(self) -> None:
        self.status_image = QLabel("No image")
        self.status_device = QLabel("")
        self.status_model = QLabel("")
        self.status_zoom = QLabel("")
        for label in (self.status_image, self.status_model, self.status_device, self.status_zoom):
            self.statusBar().addPermanentWidget(label)
        self._show_model()

    def _connect(self) -> None:
        c = self.canvas
        self.brush_slider.valueChanged.connect(c.set_brush_size)
        c.brushSizeChanged.connect(lambda size: self.brush_slider.setValue(size) if
                                   self.brush_slider.value() != size else None)
        self.opacity_slider.valueChanged.connect(lambda v: c.set_overlay_opacity(v / 100))
        self.layer_protect.toggled.connect(lambda on: c.set_active_layer(PROTECT if on else TEST))
        c.zoomChanged.connect(lambda z: self.status_zoom.setText(f"{z * 100:.0f} %"))
        c.maskChanged.connect(lambda _: self._update_state())
        self.protect_button.clicked.connect(self.start_protection)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.test_button.clicked.connect(self.start_test_edit)
        self.runner.partial.connect(self._on_partial)
        self.runner.done.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.busyChanged.connect(lambda _: self._update_state())
        self.panel.changed.connect(self._show_model)

    # --------------------------------------------------------------- messages
    def error(self, message: str) -> None:
        """Show a one-line error; never changes the user's image or mask."""
        self.statusBar().showMessage(message, 10_000)
        QMessageBox.warning(self, "GuardPaint", message)

    def ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, "GuardPaint", question)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ state
    def _update_state(self) -> None:
        has_image = self.image is not None
        busy = self.runner.is_busy()
        has_mask = has_image and bool(self.canvas.mask(PROTECT).any())
        self.protect_button.setEnabled(has_mask and not busy)
        self.act_protect.setEnabled(has_mask and not busy)
        self.cancel_button.setEnabled(busy)
        self.test_button.setEnabled(self.outcome is not None and not busy
                                    and bool(self.canvas.mask(TEST).any()))
        for act in (self.act_export, self.act_report):
            act.setEnabled(self.outcome is not None)
        self.act_suite.setEnabled(self.outcome is not None and not busy)
        for act in (self.act_save_mask, self.act_load_mask, self.act_clear, self.act_invert, self.act_fit,
                    self.act_100):
            act.setEnabled(has_image)

    def _show_model(self) -> None:
        name = self.model_spec if self.model_spec in registry.REGISTRY else Path(self.model_spec).name
        hint = " (small demo model: try the workflow; big-lama is the real target)" \
            if self.model_spec == registry.DEFAULT_MODEL else ""
        self.status_model.setText(f"Model: {name}")
        self.status_model.setToolTip(f"Active model: {self.model_spec}{hint}")
        self.status_device.setText(f"Device: {self.panel.device_name()}")

    def _set_tool(self, erase: bool) -> None:
        self.canvas.erasing = erase
        (self.act_eraser if erase else self.act_brush).setChecked(True)

    def _toggle_layer(self) -> None:
        (self.layer_test if self.layer_protect.isChecked() else self.layer_protect).setChecked(True)

    # ------------------------------------------------------------------- files
    def _last_dir(self, key: str) -> str:
        return str(self.store.value(f"dirs/{key}", str(Path.home())))

    def _remember_dir(self, key: str, path: str | Path) -> None:
        self.store.setValue(f"dirs/{key}", str(Path(path).parent))

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self._last_dir("open"), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str | Path) -> bool:
        """Load an image; on failure show why and keep the current image and mask."""
        if self.outcome is not None and not self.exported and not self.ask(
                "The protected image has not been exported. Open another image anyway?"):
            return False
        try:
            image = load_image(path)
        except GuardPaintError as exc:
            self.error(str(exc))
            return False
        self.runner.shutdown()
        self.image, self.image_path = image, Path(path)
        self.outcome = None
        self.exported = True
        self.canvas.set_image(image.rgb)
        self.canvas.set_active_layer(PROTECT if self.layer_protect.isChecked() else TEST)
        self.canvas.set_overlay_opacity(self.opacity_slider.value() / 100)
        self.preview.clear()
        self.plot.clear()
        self.progress.reset()
        self.eta.clear()
        width, height = image.size
        notes = f" ({'; '.join(image.notes)})" if image.notes else ""
        self.status_image.setText(f"{width} x {height}{notes}")
        self.setWindowTitle(f"GuardPaint - {Path(path).name}")
        self._remember_dir("open", path)
        self._add_recent(Path(path))
        self._update_state()
        return True

    def _add_recent(self, path: Path) -> None:
        recent = [p for p in self._recent() if p != str(path.resolve())]
        self.store.setValue("recent", [str(path.resolve()), *recent][:MAX_RECENT])
        self._rebuild_recent()

    def _recent(self) -> list[str]:
        value = self.store.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            self.recent_menu.addAction(Path(path).name, partial(self.open_image, path)).setToolTip(path)
        self.recent_menu.setEnabled(bool(self._recent()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_image(files[0])
            event.acceptProposedAction()

    def load_mask_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load mask", self._last_dir("mask"), IMAGE_FILTER)
        if path:
            self.load_mask_file(path)

    def load_mask_file(self, path: str | Path) -> bool:
        if self.image is None:
            return False
        try:
            mask = load_mask(path, self.image.size)
        except GuardPaintError as exc:
            self.error(str(exc))
            return False
        self.canvas.set_mask(mask, self.canvas.active)
        self._remember_dir("mask", path)
        return True

    def save_mask_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save mask", self._last_dir("mask"), "PNG (*.png)")
        if path:
            try:
                save_mask(path if path.lower().endswith(".png") else f"{path}.png", self.canvas.mask(self.canvas.active))
            except (GuardPaintError, OSError) as exc:
                self.error(f"Could not save the mask: {exc}")

    def export_dialog(self) -> None:
        if self.outcome is None or self.image_path is None:
            return
        suggestion = str(Path(self._last_dir("export")) / f"{self.image_path.stem}-protected.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export protected PNG", suggestion, "PNG (*.png)")
        if path:
            self.export_protected(path)

    def export_protected(self, path: str | Path) -> bool:
        """Write the verified PNG bytes atomically; refuse lossy formats (they strip the protection)."""
        path = Path(path)
        if self.outcome is None:
            return False
        if path.suffix.lower() not in LOSSLESS_SUFFIXES:
            if path.suffix:
                self.error(f"{path.suffix} is lossy and would destroy the protection; saving as PNG instead.")
            path = path.with_suffix(".png")
            if path.exists() and not self.ask(f"{path.name} already exists. Replace it?"):
                return False
        try:
            write_atomic(path, self.outcome.png)
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not export: {exc}")
            return False
        self.exported = True
        self._remember_dir("export", path)
        self.statusBar().showMessage(f"Exported {path}", 8000)
        return True

    def export_report_dialog(self) -> None:
        if self.outcome is None or self.image_path is None:
            return
        suggestion = str(Path(self._last_dir("export")) / f"{self.image_path.stem}-report.json")
        path, _ = QFileDialog.getSaveFileName(self, "Export report", suggestion, "JSON (*.json)")
        if path:
            self.export_report(path)

    def export_report(self, path: str | Path) -> bool:
        """Metrics JSON plus a comparison PNG (original, protected, noise, both edits) beside it."""
        assert self.outcome is not None and self.image is not None
        path = Path(path).with_suffix(".json")
        clean, attacked = self.outcome.report.edits["protected region"]
        noise = noise_visual(self.outcome.protected.astype(np.int16) - self.image.rgb.astype(np.int16))
        sheet = np.concatenate([self.image.rgb, self.outcome.protected, noise, clean, attacked], axis=1)
        data = {"image": str(self.image_path), "model": self.outcome.model_name, "device": self.outcome.device,
                "protection": self.outcome.result.summary(), "verification": self.outcome.report.to_dict(),
                "comparison_columns": ["original", "protected", "noise (amplified)", "edit of original",
                                       "edit of protected"]}
        try:
            write_atomic(path.with_suffix(".png"), encode_png(sheet))
            write_atomic(path, json.dumps(data, indent=2, default=str).encode())
        except (GuardPaintError, OSError) as exc:
            self.error(f"Could not export the report: {exc}")
            return False
        self.statusBar().showMessage(f"Report written to {path}", 8000)
        return True

    # ------------------------------------------------------------------ models
    def set_model(self, spec: str) -> None:
        self.model_spec = spec
        self.store.setValue("model", spec)
        self._show_model()

    def use_big_lama(self) -> None:
        if registry.is_available("big-lama"):
            self.set_model("big-lama")
        elif self.ask("big-lama is not downloaded yet (about 196 MB). Download it now?"):
            self.download_big_lama()

    def open_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open LaMa weights", self._last_dir("weights"), WEIGHT_FILTER)
        if not path:
            return
        self._remember_dir("weights", path)
        try:
            from guardpaint.models.checkpoint import load_generator

            load_generator(path)  # validate before switching; errors leave the current model active
        except GuardPaintError as exc:
            self.error(str(exc))
            return
        self.set_model(path)

    def download_big_lama(self) -> None:
        dialog = QProgressDialog("Downloading big-lama…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Download model")
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(self.downloader.cancel)

        def task(report, should_cancel):
            return registry.download("big-lama", progress=lambda done, total: report((done, total)),
                                     should_cancel=should_cancel)

        def progress(value) -> None:
            done, total = value
            if total:
                dialog.setMaximum(total)
                dialog.setValue(done)
            dialog.setLabelText(f"Downloading big-lama… {done / 1e6:.0f} MB")

        def finished(_path) -> None:
            dialog.close()
            self.set_model("big-lama")
            self.statusBar().showMessage("big-lama downloaded and verified", 8000)

        for connection in self._download_connections:  # handlers of an earlier download's dialog
            QObject.disconnect(connection)
        self._download_connections = [self.downloader.partial.connect(progress),
                                      self.downloader.done.connect(finished),
                                      self.downloader.failed.connect(lambda m: (dialog.close(), self.error(m))),
                                      self.downloader.cancelled.connect(dialog.close)]
        self.downloader.start(task)

    # -------------------------------------------------------------- protection
    def start_protection(self) -> None:
        if self.image is None or self.runner.is_busy():
            return
        mask = self.canvas.mask(PROTECT)
        if not mask.any():
            self.error("Paint the region to protect first (Protection mask layer).")
            return
        settings = self.panel.settings()
        test = self.canvas.mask(TEST)
        image, spec, device = self.image, self.model_spec, self.panel.device_name()
        self.plot.clear()
        self.preview.clear()
        self.progress.setRange(0, settings.iterations)
        self.progress.setValue(0)
        self.eta.setText("Loading model…")
        self._run_started = time.perf_counter()
        self._task = "protect"
        self.runner.start(lambda report, cancelled: run_protection(
            self.models, spec, device, image, mask, test, settings, report, cancelled))

    def start_test_edit(self) -> None:
        if self.outcome is None or self.image is None or self.runner.is_busy():
            return
        mask = self.canvas.mask(TEST)
        if not mask.any() or mask.all():
            self.error("Paint a test mask (Test mask layer) that leaves some of the image uncovered.")
            return
        original, protected = self.image.rgb, self.outcome.protected
        spec, device = self.model_spec, self.panel.device_name()
        self.eta.setText("Running test edit…")
        self._task = "test"
        self.runner.start(lambda report, cancelled: run_test_edit(self.models, spec, device, original,
                                                                  protected, mask))

    def start_attack_suite(self) -> None:
        if self.outcome is None or self.image is None or self.runner.is_busy():
            return
        original, outcome = self.image.rgb, self.outcome
        spec, device = self.model_spec, self.panel.device_name()
        dialog = self.suite_dialog = SuiteDialog(self)
        dialog.rejected.connect(lambda: self._cancel_suite(dialog))
        dialog.show()
        self.eta.setText("Running the attack suite…")
        self._task = "suite"
        self.runner.start(lambda report, cancelled: run_attack_suite(self.models, spec, device, original,
                                                                     outcome, report, cancelled))

    def _cancel_suite(self, dialog: SuiteDialog) -> None:
        """Closing the suite's window stops the suite it shows, and nothing else."""
        if dialog is self.suite_dialog and self._task == "suite" and self.runner.is_busy():
            self.runner.cancel()

    @Slot(object)
    def _on_partial(self, report: IterationReport | CaseResult) -> None:
        if self._task == "suite":
            self.suite_dialog.add_case(report)
            return
        self.plot.add(report)
        self.progress.setValue(report.iteration)
        per_iteration = report.elapsed / report.iteration
        remaining = per_iteration * (report.total_iterations - report.iteration)
        self.eta.setText(f"Iteration {report.iteration}/{report.total_iterations} · "
                         f"{per_iteration:.2f} s/it · ETA {remaining:.0f} s · loss {report.total:.4f}")

    @Slot(object)
    def _on_done(self, value) -> None:
        if self._task == "test":
            self.preview.add_edit("test mask", *value)
            self.eta.setText("Test edit done")
            return
        if self._task == "suite":
            self.suite_dialog.finish(value)
            self.eta.setText(f"Attack suite: protection held in {value.held_fraction():.0%} of the attacks")
            return
        self.outcome = value
        self.exported = False
        assert self.image is not None
        self.preview.show_protection(self.image.rgb, value.protected, value.report)
        seconds = time.perf_counter() - self._run_started
        self.eta.setText(f"Done in {seconds:.1f} s on {value.device} · "
                         f"{'edit defeated' if value.report.malicious.holds else 'edit NOT defeated'}")
        self._update_state()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.eta.setText("Failed")
        if self._task == "suite":
            self.suite_dialog.stop(message)
        self.error(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.eta.setText("Cancelled")
        if self._task == "suite":
            self.suite_dialog.stop("Cancelled.")
        self.progress.reset()

    # -------------------------------------------------------------------- misc
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About GuardPaint",
                          f"<b>GuardPaint {__version__}</b><br>Protects image regions against AI inpainting "
                          "(LaMa) with imperceptible noise: a run-time backdoor (Attack as Defense, "
                          "arXiv 2410.14966).")

    def _restore_window(self) -> None:
        geometry = self.store.value("window/geometry")
        state = self.store.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.outcome is not None and not self.exported and not self.ask(
                "The protected image has not been exported. Quit anyway?"):
            event.ignore()
            return
        self.runner.shutdown()
        self.downloader.shutdown()
        self.store.setValue("window/geometry", self.saveGeometry())
        self.store.setValue("window/state", self.saveState())
        self.panel.save(self.store)
        self.store.sync()
        event.accept()
