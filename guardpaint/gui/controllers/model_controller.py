"""Which model is active: the Model menu (with a check mark), the first-run choice, the demo banner."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from guardpaint.document import Document, GeneratorChoice
from guardpaint.errors import GuardPaintError
from guardpaint.gui.controllers.downloads import DownloadController
from guardpaint.gui.dialogs import DEMO, DOWNLOAD, WEIGHT_FILE, DemoBanner, FirstRunDialog, size_text
from guardpaint.gui.facade import GeneratorUse, default_of, knobs
from guardpaint.gui.support import Interaction, stored_list
from guardpaint.models import registry
from guardpaint.models.noise_generator import NONE_SHIPS, read_generator

WEIGHT_FILTER = "LaMa, MI-GAN or MAT weights (*.ckpt *.pt *.pth *.safetensors);;All files (*)"
GENERATOR_FILTER = "Noise generators (*.safetensors);;All files (*)"
MODEL_KEY = "model"
ALSO_KEY = "model/also"  # registry models protected against too (an ensemble)
CHOSEN_KEY = "model/first-run-choice"


def display_name(spec: str) -> str:
    return spec if spec in registry.REGISTRY else Path(spec).name


def menu_label(name: str) -> str:
    """A registered model's entry in the Model menu (the demo says what it is for)."""
    return f"{name} (demo: workflow only)" if name == registry.DEMO_MODEL else name


class ModelController(QObject):
    """Owns the active model spec (a registry name or a weight file path) and everything that shows it."""

    modelChanged = Signal(str)  # noqa: N815

    def __init__(self, window: QWidget, store: QSettings, banner: DemoBanner, ui: Interaction,
                 document: Document) -> None:
        super().__init__(window)
        self.window, self.store, self.banner, self.ui, self.document = window, store, banner, ui, document
        self.downloads = DownloadController(window, ui)
        self.downloads.downloaded.connect(self.set_model)
        self.downloads.abandoned.connect(self._download_abandoned)
        self.choosing = False  # the first-run choice is open, or comes back (a download it chose did not finish)
        banner.downloadRequested.connect(lambda: self.downloads.download(registry.REAL_MODEL))
        self.group = QActionGroup(self)
        self.named: dict[str, QAction] = {}
        self.file_action = QAction("", self, checkable=True)
        self.group.addAction(self.file_action)
        self.spec = self._initial_spec()
        self.also = stored_list(self.store, ALSO_KEY)
        self.also_menu = QMenu("Also Protect &Against")
        self.also_menu.setToolTip("Protect against several models at once: each one adds a forward and a "
                                  "backward pass per iteration")
        self.also_actions: dict[str, QAction] = {}

    def _initial_spec(self) -> str:
        stored = self.store.value(MODEL_KEY)
        if stored:
            return str(stored)
        return registry.REAL_MODEL if registry.is_available(registry.REAL_MODEL) else registry.DEMO_MODEL

    # ------------------------------------------------------------------ menu
    def menu_entries(self) -> list[QAction | None]:
        """The Model menu: one checkable entry per registered model and one for a weight file, then the
        ways to add one (None = separator)."""
        entries: list[QAction | None] = []
        for name, entry in registry.REGISTRY.items():
            action = QAction(menu_label(name), self, checkable=True)
            action.setToolTip(entry.limits or entry.description)
            action.triggered.connect(lambda _=False, n=name: self.choose_registered(n))
            self.group.addAction(action)
            entries.append(action)
            self.named[name] = action
        self.file_action.triggered.connect(lambda: self.set_model(self.spec))  # re-check the active file
        for name in registry.REGISTRY:
            action = self.also_menu.addAction(name)
            action.setCheckable(True)
            action.toggled.connect(lambda on, n=name: self._toggle_also(n, on))
            self.also_actions[name] = action
        extra = [QAction("Open &Weight File…", self), QAction(f"&Download {registry.REAL_MODEL}…", self),
                 QAction("&Choose Model…", self)]
        extra[0].triggered.connect(self.open_weights_dialog)
        extra[1].triggered.connect(lambda: self.downloads.download(registry.REAL_MODEL))
        extra[2].triggered.connect(lambda: self.first_run(force=True))
        self.generator_action = QAction("Noise &Generator…", self)
        self.generator_action.setToolTip("Start protections from a trained noise generator's one pass")
        self.generator_action.triggered.connect(self.choose_generator)
        self.no_generator_action = QAction("Stop Using the Noise Generator", self)
        self.no_generator_action.triggered.connect(lambda: self.use_generator(None))
        self.no_generator_action.setEnabled(False)
        self._show()
        return [*entries, self.file_action, None, self.also_menu, None, *extra, None, self.generator_action,
                self.no_generator_action]

    def _show(self) -> None:
        """Check the active model's entry and show the banner while the demo is active."""
        is_file = self.spec not in registry.REGISTRY
        self.file_action.setVisible(is_file)
        self.file_action.setText(f"Weight file: {display_name(self.spec)}" if is_file else "")
        (self.file_action if is_file else self.named.get(self.spec, self.file_action)).setChecked(True)
        for name, action in self.named.items():
            installed = registry.is_available(name)
            action.setText(menu_label(name) if installed else f"{menu_label(name)} (download, {size_text(name)})")
        for name, action in self.also_actions.items():
            action.blockSignals(True)
            action.setChecked(name in self.also and name != self.spec)
            action.setEnabled(name != self.spec and registry.is_available(name))
            action.setText(name if registry.is_available(name) else f"{name} (download first)")
            action.blockSignals(False)
        demo = all(spec == registry.DEMO_MODEL for spec in self.specs())
        self.banner.setVisible(demo and not self.choosing and not self.needs_first_run())

    def specs(self) -> list[str]:
        """Every model a protection is made against: the active one, then the installed extras."""
        return [self.spec, *(n for n in self.also if n != self.spec and registry.is_available(n))]

    def display_name(self) -> str:
        return " and ".join(display_name(spec) for spec in self.specs())

    def _toggle_also(self, name: str, on: bool) -> None:
        self.also = [n for n in self.also if n != name] + ([name] if on else [])
        self.store.setValue(ALSO_KEY, self.also)
        self._show()
        self.modelChanged.emit(self.spec)

    # ------------------------------------------------------------------ choosing
    def set_model(self, spec: str) -> None:
        self.spec = spec
        self.choosing = False
        self.store.setValue(CHOSEN_KEY, "model")
        self.store.setValue(MODEL_KEY, spec)
        self._show()
        self.modelChanged.emit(spec)

    def choose_registered(self, name: str) -> None:
        if registry.is_available(name):
            self.set_model(name)
            return
        self._show()  # keep the check on the model still active
        if self.ui.ask(f"{name} is not downloaded yet ({size_text(name)}, checksum-verified). Download it now?"):
            self.downloads.download(name)

    def open_weights_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open LaMa, MI-GAN or MAT weights",
                                              self.ui.start_dir("weights"), WEIGHT_FILTER)
        return bool(path) and self.use_weight_file(path)

    def use_weight_file(self, path: str) -> bool:
        """Validate a weight file (safely, without running it) and make it active; errors keep the current one."""
        self.ui.remember_dir("weights", path)
        try:
            import torch

            from guardpaint.models import load_model

            load_model(path, torch.device("cpu"))  # any family, read and checked strictly
        except GuardPaintError as exc:
            self.ui.error(str(exc))
            self._show()
            return False
        self.set_model(path)
        return True

    def choose_generator(self) -> bool:
        """Model > Noise Generator…: what a generator is and that none ships (with the command that makes one),
        then a generator file (read safely) and its refine iterations."""
        if not self.ui.ask(f"{NONE_SHIPS}\n\nA generator makes the noise in one pass instead of the optimisation; "
                           "the written file is judged as always.\n\nOpen a generator file you trained?"):
            return False
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a noise generator", self.ui.start_dir("weights"),
                                              GENERATOR_FILTER)
        if not path:
            return False
        (refine_field, declared), = knobs(GeneratorUse)
        refine, chosen = QInputDialog.getInt(self.window, declared.label, f"{declared.help.capitalize()} (0: the one "
                                             "pass alone):", default_of(refine_field), int(declared.minimum),
                                             int(declared.maximum))
        return chosen and self.use_generator(Path(path), refine)

    def use_generator(self, path: Path | None, refine: int = GeneratorUse.refine) -> bool:
        """Start protections from the generator at ``path`` (checked as weights are; None: stop using one)."""
        if path is not None:
            self.ui.remember_dir("weights", path)
            try:
                read_generator(path)
            except GuardPaintError as exc:
                self.ui.error(str(exc))
                return False
        self.document.set_generator(None if path is None else GeneratorChoice(path, refine))
        self.no_generator_action.setEnabled(path is not None)
        return True

    def needs_first_run(self) -> bool:
        """No model was chosen yet (an active model counts) and the real model is not installed."""
        return not (self.store.contains(CHOSEN_KEY) or self.store.contains(MODEL_KEY)
                    or registry.is_available(registry.REAL_MODEL))

    def first_run(self, force: bool = False) -> None:
        """Offer the choice of model (at the first start, or from the Model menu). Nothing counts as chosen
        until a model is active: a download that fails or is cancelled, or a weight file dialog closed
        without a file, brings the choice back, now and at the next start."""
        if not force and not self.needs_first_run():
            return
        self.choosing = True
        self._show()
        dialog = FirstRunDialog(self.window)
        dialog.exec()
        self.apply_choice(dialog.choice)

    def apply_choice(self, choice: str | None) -> None:
        if choice is None:  # closed without choosing: the app keeps its model, and asks again next time
            self.choosing = False
            self._show()
            return
        if choice == DOWNLOAD:
            self.downloads.download(registry.REAL_MODEL)
        elif choice == WEIGHT_FILE and not self.open_weights_dialog():
            self.first_run(force=True)
        elif choice == DEMO:
            self.set_model(registry.DEMO_MODEL)

    def _download_abandoned(self, name: str) -> None:
        if self.choosing and name == registry.REAL_MODEL:
            self.first_run(force=True)
