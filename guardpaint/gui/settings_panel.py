"""Protection settings: the basic knobs (strength, iterations, output) and an Advanced section."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from guardpaint.core.io.conventions import DEFAULT_JPEG_QUALITY
from guardpaint.core.io.formats import OutputFormat
from guardpaint.core.protection.budget import SMOOTH_SHARE
from guardpaint.core.protection.loop import LEVELS
from guardpaint.core.protection.settings import (
    BUDGETS,
    LEVEL_NAMES,
    MAXIMUM_STRENGTH,
    ProtectionSettings,
    at_maximum_strength,
)
from guardpaint.core.protection.target import CANDIDATE_COLOURS, parse_colour
from guardpaint.models.device import available_devices

CUSTOM = "custom…"
#: Saved settings older than this kept the reference's strength as the user's own choice: it is not restored.
SETTINGS_VERSION = 2
BUDGET_TIPS = {"adaptive": "noise only where it acts on the edit, less on smooth areas",
               "texture": f"the full strength in texture, {SMOOTH_SHARE:.0%} of it on smooth areas",
               "uniform": "the full strength on every pixel"}
OUTPUT_LABELS = {"png": "PNG", "webp": "WebP (lossless)", "jpeg": "JPEG"}
COLOUR_NAMES = {"green": CANDIDATE_COLOURS[0], "red": CANDIDATE_COLOURS[1], "blue": CANDIDATE_COLOURS[2]}


class SettingsPanel(QWidget):
    """Edits a :class:`ProtectionSettings`; defaults come from the core, values persist in QSettings."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = ProtectionSettings()
        self.strength = QDoubleSpinBox(suffix=" levels", decimals=1, minimum=0.5, maximum=32.0, singleStep=0.5)
        self.strength.setValue(defaults.epsilon * LEVELS)
        self.strength.setToolTip("The most any pixel may change, in levels of 255. GuardPaint tries half of it "
                                 "first and raises it only for the regions that do not hold; higher = stronger, "
                                 "more visible.")
        self.maximum = QCheckBox(f"Maximum strength ({MAXIMUM_STRENGTH * LEVELS:.1f} levels everywhere; visible on "
                                 "smooth areas)")
        self.maximum.setToolTip("The reference method's budget: every pixel may change by 6.4 levels, with no "
                                "attempt at less. Stronger, and visible on skies and skin.")
        self.maximum.toggled.connect(lambda on: self.strength.setEnabled(not on))
        self.iterations = QSpinBox(minimum=1, maximum=1000)
        self.iterations.setValue(defaults.iterations)
        self.iterations.setToolTip("Optimisation steps per strength: more = better protection, longer run.")
        self.budget = QComboBox()
        for name in BUDGETS:
            self.budget.addItem(name)
            self.budget.setItemData(self.budget.count() - 1, BUDGET_TIPS[name], Qt.ItemDataRole.ToolTipRole)
        self.budget.setToolTip("Where the noise may go: " + "; ".join(f"{k}: {v}" for k, v in BUDGET_TIPS.items()))
        self.auto = QCheckBox("Auto strength: half the strength first, more only where needed")
        self.auto.setChecked(defaults.auto_strength)
        self.level = QComboBox()
        self.level.addItems(list(LEVEL_NAMES))
        self.level.setToolTip("standard: the reference method. robust: also optimise against imprecise masks, "
                              "IOPaint's crop, JPEG and resizing (about twice the time).")
        self.output = QComboBox()
        for kind, label in OUTPUT_LABELS.items():
            self.output.addItem(label, kind)
        self.output.setToolTip("The file you will publish. For JPEG the protection is optimised through JPEG at "
                               "this quality and measured on the JPEG file as written.")
        self.quality = QSpinBox(minimum=50, maximum=100, suffix=" quality")
        self.quality.setValue(DEFAULT_JPEG_QUALITY)
        self.output.currentIndexChanged.connect(lambda _: self.quality.setVisible(self._kind() == "jpeg"))
        self.quality.setVisible(False)
        self.resize_view = QCheckBox("Also against IOPaint's resize (photos > 1280 px)")
        self.resize_view.setToolTip("Robust level only: adds IOPaint's RESIZE view of the whole photo to every "
                                    "iteration, one more model pass over a 1280 px image. Measured on a 12 MP "
                                    "photo with one region: 1.7x the robust level's time and 1.9x its memory "
                                    "(demo model, CPU).")
        self.hide_weight = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=100.0, singleStep=0.5)
        self.hide_weight.setValue(defaults.hide_weight)
        self.expansion = QSpinBox(minimum=3, maximum=257, singleStep=2, suffix=" px")
        self.expansion.setValue(defaults.expansion)
        self.target = QComboBox()
        self.target.addItems(["auto", *COLOUR_NAMES, CUSTOM])
        self.custom_colour: tuple[int, int, int] = (255, 0, 255)
        self.target.activated.connect(self._maybe_pick_colour)
        self.device = QComboBox()
        self.device.addItems(["auto", *available_devices()])
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed.setValue(defaults.seed)

        basic = QFormLayout()
        basic.addRow("Strength", self.strength)
        basic.addRow(self.maximum)
        basic.addRow("Iterations", self.iterations)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output, 1)
        output_row.addWidget(self.quality)
        basic.addRow("Output", output_row)
        self.advanced = QCheckBox("Advanced settings")  # shows or hides the expert knobs below it
        form = QFormLayout()
        form.addRow("Level", self.level)
        form.addRow("Noise budget", self.budget)
        form.addRow(self.auto)
        form.addRow(self.resize_view)
        form.addRow("Hide weight", self.hide_weight)
        form.addRow("Expansion", self.expansion)
        form.addRow("Target colour", self.target)
        form.addRow("Device", self.device)
        form.addRow("Seed", self.seed)
        inner = QGroupBox()
        inner.setLayout(form)
        inner.setVisible(False)
        self.advanced.toggled.connect(inner.setVisible)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(basic)
        layout.addWidget(self.advanced)
        layout.addWidget(inner)
        for widget in (self.strength, self.iterations, self.hide_weight, self.expansion, self.seed, self.quality):
            widget.valueChanged.connect(self.changed)
        for combo in (self.target, self.device, self.level, self.output, self.budget):
            combo.currentTextChanged.connect(self.changed)
        for box in (self.maximum, self.auto, self.resize_view):
            box.toggled.connect(self.changed)
        self.level.currentTextChanged.connect(lambda level: self.resize_view.setEnabled(level == "robust"))
        self.resize_view.setEnabled(self.level.currentText() == "robust")

    def _maybe_pick_colour(self) -> None:
        if self.target.currentText() != CUSTOM:
            return
        chosen = QColorDialog.getColor(QColor(*self.custom_colour), self, "Target colour")
        if chosen.isValid():
            self.custom_colour = (chosen.red(), chosen.green(), chosen.blue())
            self.target.setToolTip(f"custom target colour: rgb{self.custom_colour}")
            self.changed.emit()

    def settings(self) -> ProtectionSettings:
        text = self.target.currentText()
        colour = self.custom_colour if text == CUSTOM else COLOUR_NAMES.get(text)
        settings = replace(ProtectionSettings(), epsilon=self.strength.value() / LEVELS,
                           iterations=self.iterations.value(), hide_weight=self.hide_weight.value(),
                           expansion=self.expansion.value(), target_colour=colour, seed=self.seed.value(),
                           level=self.level.currentText(), budget=self.budget.currentText(),
                           auto_strength=self.auto.isChecked(),
                           resize_view=self.resize_view.isChecked() and self.level.currentText() == "robust")
        return at_maximum_strength(settings) if self.maximum.isChecked() else settings

    def _kind(self) -> str:
        return str(self.output.currentData())

    def output_format(self) -> OutputFormat:
        return OutputFormat(self._kind(), self.quality.value())

    def device_name(self) -> str:
        return self.device.currentText()

    def save(self, store: QSettings) -> None:
        store.beginGroup("protection")
        for key, value in (("strength", self.strength.value()), ("iterations", self.iterations.value()),
                           ("hide_weight", self.hide_weight.value()), ("expansion", self.expansion.value()),
                           ("target", self.target.currentText()), ("device", self.device.currentText()),
                           ("seed", self.seed.value()), ("advanced", self.advanced.isChecked()),
                           ("budget", self.budget.currentText()), ("auto", self.auto.isChecked()),
                           ("maximum", self.maximum.isChecked()), ("version", SETTINGS_VERSION),
                           ("resize_view", self.resize_view.isChecked()),
                           ("level", self.level.currentText()), ("output", self._kind()),
                           ("quality", self.quality.value()),
                           ("custom_colour", ",".join(map(str, self.custom_colour)))):
            store.setValue(key, value)
        store.endGroup()

    def restore(self, store: QSettings) -> None:
        store.beginGroup("protection")
        try:
            spins = [("iterations", self.iterations, int), ("hide_weight", self.hide_weight, float),
                     ("expansion", self.expansion, int), ("seed", self.seed, int), ("quality", self.quality, int)]
            if int(store.value("version", 1)) >= SETTINGS_VERSION:  # older files saved the old default strength
                spins.append(("strength", self.strength, float))
            for key, spin, kind in spins:
                if store.contains(key):
                    spin.setValue(kind(store.value(key)))
            for key, combo in (("target", self.target), ("device", self.device), ("level", self.level),
                               ("budget", self.budget)):
                if store.contains(key) and combo.findText(str(store.value(key))) >= 0:
                    combo.setCurrentText(str(store.value(key)))
            if store.contains("output") and self.output.findData(str(store.value("output"))) >= 0:
                self.output.setCurrentIndex(self.output.findData(str(store.value("output"))))
            if store.contains("custom_colour"):
                self.custom_colour = parse_colour(str(store.value("custom_colour")))
            for key, box in (("advanced", self.advanced), ("auto", self.auto), ("maximum", self.maximum),
                             ("resize_view", self.resize_view)):
                if store.contains(key):
                    box.setChecked(str(store.value(key)).lower() == "true")
        except (TypeError, ValueError):
            pass  # a damaged settings file must not stop the app
        finally:
            store.endGroup()
