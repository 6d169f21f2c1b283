"""GuardPaint's main window: layout and wiring. The state lives in one Qt-free :class:`Document`; the
canvas, the panels and the controllers observe it, and every change goes through it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from guardpaint.document import Document
from guardpaint.errors import GuardPaintError
from guardpaint.gui.canvas import MaskCanvas
from guardpaint.gui.controllers import (
    IMAGE_FILTER,
    ExportController,
    ImageOpener,
    MaskFiles,
    ModelController,
    ProtectionController,
    RecentFiles,
    SessionKeeper,
)
from guardpaint.gui.dialogs import BatchDialog, DemoBanner
from guardpaint.gui.facade import PROTECTION, TEST, LoadedImage
from guardpaint.gui.panels import PreviewPanel, ProtectPanel
from guardpaint.gui.shell.empty_state import EmptyState
from guardpaint.gui.shell.menus import build_window_menus
from guardpaint.gui.shell.quitting import close_when_idle
from guardpaint.gui.shell.status_bar import StatusFields
from guardpaint.gui.support import (
    DEFAULT_SIZE,
    Interaction,
    fit_on_screen,
    restore_window,
    save_window,
    settings_file_problem,
    unreadable_settings,
)
from guardpaint.models import registry


class MainWindow(QMainWindow):
    """The application window: canvas, Protect dock, preview; File, Edit, View, Protection, Model, Help."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.store = settings or QSettings()
        self.setWindowTitle("GuardPaint")
        self.setAcceptDrops(True)
        self.document = Document()
        self._closing = False
        self._mask_to_load: Path | None = None  # opened with its image (a Protect Folder row)
        self.batch: BatchDialog | None = None

        self.canvas, self.empty, self.preview, self.banner = MaskCanvas(), EmptyState(), PreviewPanel(), DemoBanner()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.canvas)
        self.panel = ProtectPanel(self.canvas.brush_size)
        damaged = settings_file_problem(self.store)  # a damaged file: the defaults, said once at start
        self.settings_problem = damaged or unreadable_settings(self.store, self.panel.settings.restore(self.store))
        self._build_layout()

        self.ui = Interaction(self, self.store)
        self.protection = ProtectionController(self.document, self.panel, self.preview, self.ui, self)
        self.runner = self.protection.runner
        self.models = ModelController(self, self.store, self.banner, self.ui, self.document)
        self.masks = MaskFiles(self, self.document, self.active_role, self.ui)
        self.exports = ExportController(self, self.document, self.ui)
        self.opener = ImageOpener(self.ui, self)
        build_window_menus(self)
        self.recent = RecentFiles(self.store, self.recent_menu, self.open_image)
        self.status = StatusFields(self.statusBar())
        self._connect()
        self._models_changed()
        self._settings_changed()
        if damaged:
            self.resize(*DEFAULT_SIZE)
            fit_on_screen(self)
        else:
            restore_window(self, self.store)
        self._update_state()
        self.session = SessionKeeper(self.document, self.ui, self.open_image, self)

    @property
    def image(self) -> LoadedImage | None:
        return self.document.image

    @property
    def image_path(self) -> Path | None:
        return self.document.path

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
        scroll = QScrollArea()  # the panel scrolls, so opening Advanced settings never makes the window taller
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [400], Qt.Orientation.Horizontal)

    def _connect(self) -> None:
        c, p, d = self.canvas, self.panel, self.document
        p.brush_slider.valueChanged.connect(c.set_brush_size)
        c.brushSizeChanged.connect(lambda size: p.brush_slider.setValue(size) if p.brush_slider.value() != size
                                   else None)
        p.opacity_slider.valueChanged.connect(lambda v: c.set_overlay_opacity(v / 100))
        p.layer_protect.toggled.connect(lambda on: c.set_active_layer(PROTECTION if on else TEST))
        c.zoomChanged.connect(self.status.show_zoom)
        c.maskChanged.connect(lambda role: d.set_mask(role, c.mask(role), source=c))  # a stroke, undo, clear...
        d.image_changed.connect(self._show_image)
        d.image_changed.connect(lambda: self.status.show_image(*d.image.size, d.image.notes))
        d.image_changed.connect(lambda: self.recent.add(d.path))
        d.mask_changed.connect(self._mask_changed)
        d.models_changed.connect(lambda: self.status.show_model(list(d.specs), d.device))
        for event in (d.outcome_changed, d.run_changed, d.models_changed):
            event.connect(self._update_state)
        p.protect_button.clicked.connect(self.start_protection)
        p.cancel_button.clicked.connect(self.runner.cancel)
        p.test_button.clicked.connect(self.start_test_edit)
        self.runner.busyChanged.connect(lambda _: self._update_state())
        p.settings.changed.connect(self._settings_changed)
        d.settings_changed.connect(lambda: p.show_generator(d.generator))
        d.settings_changed.connect(lambda: p.settings.show_settings(d.settings, d.fmt, d.device)
                                   if (p.settings.settings(), p.settings.output_format()) != (d.settings, d.fmt)
                                   else None)
        self.models.modelChanged.connect(lambda _: self._models_changed())
        self.empty.open_button.clicked.connect(self.open_dialog)
        self.empty.sample_button.clicked.connect(self.open_sample)
        self.preview.protect_again.clicked.connect(self.start_protection)
        self.preview.maximum_button.clicked.connect(self.protect_at_maximum)
        self.opener.opened.connect(self._opened)
        self.opener.started.connect(lambda text: (self.statusBar().showMessage(text), self._update_state()))
        self.opener.failed.connect(self._update_state)

    # ------------------------------------------------------------------ state
    def _update_state(self) -> None:
        d = self.document
        has_image, busy = d.image is not None, self.runner.is_busy()
        current = d.exportable  # the outcome is this image's, mask's and model's protection
        checkable = d.outcome is not None  # test edit and suite use the outcome's own model
        has_mask = has_image and bool(d.mask(PROTECTION).any())
        opening = self.opener.pending is not None  # a large image is decoding: it replaces this one
        for widget in (self.panel.protect_button, self.act_protect):
            widget.setEnabled(has_mask and not busy and not opening)
        self.panel.cancel_button.setEnabled(busy)
        self.panel.test_button.setEnabled(checkable and not busy and bool(d.mask(TEST).any()))
        for act in (self.act_export, self.act_report):
            act.setEnabled(current)
        self.act_suite.setEnabled(checkable and not busy)
        for act in (self.act_save_mask, self.act_load_mask, self.act_clear, self.act_invert, self.act_fit,
                    self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_undo, self.act_redo,
                    self.act_brush, self.act_eraser, self.act_smaller, self.act_larger, self.act_layer):
            act.setEnabled(has_image)
        self.preview.show_notice(self.protection.stale_notice(self.models.display_name()))

    def _mask_changed(self, role: str, source: object) -> None:
        if source is not self.canvas:  # loaded from a file, or set by code: show it
            self.canvas.show_mask(self.document.mask(role), role)
        self._update_state()

    def _models_changed(self) -> None:
        self.document.set_models(self.models.specs(), self.panel.settings.device_name())

    def _settings_changed(self) -> None:
        """The panel edits the document's settings, output format and device."""
        panel = self.panel.settings
        self.document.set_settings(panel.settings(), panel.output_format(), panel.device_name())

    def active_role(self) -> str:
        return PROTECTION if self.panel.layer_protect.isChecked() else TEST

    def set_model(self, spec: str) -> None:
        self.models.set_model(spec)

    def set_tool(self, erase: bool) -> None:
        self.canvas.erasing = erase
        (self.act_eraser if erase else self.act_brush).setChecked(True)

    def toggle_layer(self) -> None:
        (self.panel.layer_test if self.panel.layer_protect.isChecked() else self.panel.layer_protect).setChecked(True)

    # ------------------------------------------------------------------ files
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.ui.start_dir("open"), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_sample(self) -> bool:
        return self.open_image(registry.RESOURCES / "sample-chelsea.png")

    def open_files(self, paths: list[str]) -> None:
        """Files given on the command line: the first opens, the others wait in Open Recent."""
        for path in reversed(paths[1:]):
            self.recent.add(Path(path))
        if self.open_image(paths[0]) and len(paths) > 1:
            self.statusBar().showMessage(f"{len(paths)} images given: the others are in File > Open Recent", 15_000)

    def open_image(self, path: str | Path, mask: str | Path | None = None) -> bool:
        """Start opening an image (large ones decode in the background) with ``mask`` as its protection
        mask (None: offer the one saved beside it); on failure show why and keep the current image and mask."""
        try:
            self.document.check_can_open()
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            return False
        question = "The protected image has not been exported. Open another image anyway?"
        if self.document.pending_export and not self.ui.ask(question):
            return False
        self._mask_to_load = None if mask is None else Path(mask)
        return self.opener.open(path)

    def _opened(self, path: Path, image: LoadedImage) -> None:
        """A decoded image: the document opens it (the views follow), then its mask is offered."""
        self.protection.clear()
        try:
            self.document.open(image, path)
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            return
        self.ui.remember_dir("open", path)
        beside = self.masks.beside(path)
        if self.session.restore_into(path, image):  # a crashed session's masks and settings come back first
            beside = None
        elif self._mask_to_load is not None:
            self.masks.load(self._mask_to_load, PROTECTION)
        elif beside is not None and self.ui.ask(f"Load the mask saved beside this image ({beside.name})?"):
            self.masks.load(beside, PROTECTION)
        self._update_state()

    def _show_image(self) -> None:
        """The document's new image on the canvas, in the title and the status bar."""
        image, path = self.document.image, self.document.path
        self.stack.setCurrentWidget(self.canvas)  # visible first, so the image is fitted to its real size
        self.canvas.set_image(image.rgb, image.alpha)
        self.canvas.set_active_layer(self.active_role())
        self.canvas.set_overlay_opacity(self.panel.opacity_slider.value() / 100)
        self.statusBar().clearMessage()
        self.setWindowTitle(f"GuardPaint - {path.name}")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_files(files)
            event.acceptProposedAction()

    def load_mask_file(self, path: str | Path) -> bool:
        return self.masks.load(path)

    # ------------------------------------------------------------------ protection
    def start_protection(self) -> None:
        if self.document.image is None or self.runner.is_busy():
            return
        try:
            job = self.document.begin_protection()
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            return
        self.session.save(force=True)
        self.protection.protect(job)

    def protect_at_maximum(self) -> None:
        """The verdict's offer when the strength allowed was not enough: the reference's budget."""
        self.panel.settings.maximum.setChecked(True)
        self.start_protection()

    def start_test_edit(self) -> None:
        mask = self.document.mask(TEST)
        if mask is None or self.runner.is_busy():
            return
        if not mask.any() or mask.all():
            self.ui.error("Paint a test mask (Test mask layer) that leaves some of the image uncovered.")
            return
        self.protection.test_edit(mask)

    def show_batch(self) -> None:
        """File > Protect Folder: one dialog, kept, running on the same worker as single protection."""
        if self.batch is None:
            self.batch = BatchDialog(lambda: self.document.fmt, self)
            self.batch.startRequested.connect(lambda items: self.protection.protect_folder(self.batch, items))
            self.batch.stopRequested.connect(self.runner.cancel)
            self.batch.openRequested.connect(self.open_image)
        self.batch.refresh()
        self.batch.show()
        self.batch.raise_()

    # ------------------------------------------------------------------ start-up
    def startup(self) -> None:
        """Once the window is up: say if the settings file could not be read, offer the choice of model, then
        offer to restore the work of a session that did not close cleanly."""
        if self.settings_problem:
            self.ui.error(self.settings_problem)
        self.models.first_run()
        self.session.offer_restore()

    # ------------------------------------------------------------------ misc
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._closing:
            if self.document.pending_export and not self.ui.ask(
                    "The protected image has not been exported. Quit anyway?"):
                event.ignore()
                return
            self._closing = True
            save_window(self, self.store)
            self.panel.settings.save(self.store)
            self.store.sync()
            self.session.close()
        runners = (self.runner, self.models.downloads.runner)
        if all(runner.shutdown() for runner in runners):  # at most 100 ms each
            event.accept()
            return
        event.ignore()  # a worker is inside a model pass: the window goes now, the process soon (quitting.py)
        close_when_idle(self, runners)
