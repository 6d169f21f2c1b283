"""Protection settings: one field per declared knob (core/protection/settings.py), the basic ones first and
the rest under Advanced, plus the output format, the device and the maximum-strength preset."""
from __future__ import annotations

from dataclasses import Field, replace

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from guardpaint.errors import InputError
from guardpaint.gui.facade import (
    DEFAULT_JPEG_QUALITY,
    MAXIMUM,
    Knob,
    OutputFormat,
    ProtectionSettings,
    default_of,
    knobs,
)
from guardpaint.models.device import available_devices

CUSTOM = "custom…"
#: Saved settings older than this kept the reference's strength as the user's own choice, or named the
#: settings otherwise (version 2: "strength" in levels): their strength is not restored.
SETTINGS_VERSION = 3
OUTPUT_LABELS = {"png": "PNG", "webp": "WebP (lossless)", "jpeg": "JPEG"}
#: Where settings files before the editors saved the one editor pipeline protected against.
OLDER_EDITOR_KEY = "pipeline"
#: Qt's spin boxes hold 32-bit integers.
INT_LIMIT = 2**31 - 1


class Checklist(QWidget):
    """Several of a knob's choices, a check box each in two columns; at least one stays checked."""

    changed = Signal()
    COLUMNS = 2

    def __init__(self, declared: Knob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for index, choice in enumerate(declared.choices):
            label, help_text = declared.describe(choice) if declared.describe else (choice, "")
            box = QCheckBox(label)
            box.setToolTip(f"{choice}: {help_text}." if help_text else choice)
            box.toggled.connect(lambda on, box=box: self._toggled(box, on))
            grid.addWidget(box, index // self.COLUMNS, index % self.COLUMNS)
            self.boxes[choice] = box

    def value(self) -> tuple[str, ...]:
        return tuple(choice for choice, box in self.boxes.items() if box.isChecked())

    def set(self, value: tuple[str, ...]) -> None:
        for choice, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(choice in value)
            box.blockSignals(False)
        self.changed.emit()

    def _toggled(self, box: QCheckBox, on: bool) -> None:
        if not on and not self.value():  # the last one stays: a protection is made for some editor
            box.blockSignals(True)
            box.setChecked(True)
            box.blockSignals(False)
            return
        self.changed.emit()


class KnobField:
    """One knob's widget: a spin box, a combo box, a check box, a checklist or an editable list of texts."""

    def __init__(self, name: str, declared: Knob, default: object) -> None:
        self.name, self.knob, self.default = name, declared, default
        if declared.multiple:
            self.widget = Checklist(declared)
            self.changed = self.widget.changed
        elif isinstance(default, bool):
            self.widget = QCheckBox(declared.label)
            self.changed = self.widget.toggled
        elif declared.choices:
            self.widget = QComboBox()
            self.widget.addItems(list(declared.choices))
            self.changed = self.widget.currentTextChanged
        elif declared.parse is not None:
            self.widget = QComboBox()
            self.widget.addItems([*declared.suggestions, CUSTOM])
            self.changed = self.widget.currentTextChanged
            self.widget.activated.connect(self._maybe_pick)
        else:
            self.widget = QDoubleSpinBox(decimals=declared.decimals) if isinstance(default, float) else QSpinBox()
            self.widget.setRange(declared.minimum if declared.minimum is not None else -INT_LIMIT,
                                 min(declared.maximum if declared.maximum is not None else INT_LIMIT, INT_LIMIT))
            self.widget.setSingleStep(declared.step)
            if declared.unit:
                self.widget.setSuffix(f" {declared.unit}")
            self.changed = self.widget.valueChanged
        self.widget.setToolTip(declared.help[0].upper() + declared.help[1:] + ".")
        self.set(default)

    def value(self) -> object:
        widget, declared = self.widget, self.knob
        if isinstance(widget, Checklist):
            return widget.value()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return declared.parse(widget.currentText()) if declared.parse else widget.currentText()
        return widget.value() / declared.scale if declared.scale != 1 else widget.value()

    def set(self, value: object) -> None:
        widget, declared = self.widget, self.knob
        if isinstance(widget, Checklist):
            widget.set(declared.parse(declared.show(value)))  # the editors' own names, older ones included
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            text = declared.show(value) if declared.parse else str(value)
            if widget.findText(text) < 0:
                widget.insertItem(widget.count() - (1 if declared.parse else 0), text)
            widget.setCurrentText(text)
        else:
            widget.setValue(value * declared.scale)

    def text(self) -> str:
        """The value as stored in the app's settings file."""
        value = self.value()
        return self.knob.show(value) if self.knob.parse else str(value)

    def restore(self, text: str) -> None:
        """Set the field from its stored text (ValueError when it is not one)."""
        if isinstance(self.default, bool):
            self.set(text.lower() == "true")
        elif self.knob.parse is not None:
            self.set(self.knob.parse(text))
        elif self.knob.choices:
            if text not in self.knob.choices:
                raise ValueError(text)
            self.set(text)
        else:
            self.set(type(self.default)(float(text)))

    def _maybe_pick(self) -> None:
        """The custom entry of a colour list: choose any colour."""
        if self.widget.currentText() != CUSTOM:
            return
        chosen = QColorDialog.getColor(QColor(255, 0, 255), self.widget, self.knob.label)
        self.set((chosen.red(), chosen.green(), chosen.blue()) if chosen.isValid() else self.default)


class SettingsPanel(QWidget):
    """Edits a :class:`ProtectionSettings` (the fields come from its declared knobs), the output format and
    the device; values persist in QSettings."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, settings_type: type = ProtectionSettings) -> None:
        super().__init__(parent)
        self.settings_type = settings_type
        self.fields: dict[str, KnobField] = {}
        basic, advanced = QFormLayout(), QFormLayout()
        self.maximum = QCheckBox(MAXIMUM.label)
        self.maximum.setToolTip(MAXIMUM.help[0].upper() + MAXIMUM.help[1:] + ".")
        placed = False  # the preset sits under the strength it overrides, else at the end of the basic ones
        for settings_field, declared in knobs(settings_type):
            self._add(settings_field, declared, basic if declared.basic else advanced)
            if settings_field.name == MAXIMUM.overrides[0]:
                basic.addRow(self.maximum)
                placed = True
        if not placed:
            basic.addRow(self.maximum)
        self.maximum.toggled.connect(self._update_enabled)
        self.output = QComboBox()
        for kind, label in OUTPUT_LABELS.items():
            self.output.addItem(label, kind)
        self.output.setToolTip("The file you will publish. For JPEG the protection is optimised through JPEG at "
                               "this quality and measured on the JPEG file as written.")
        self.quality = QSpinBox(minimum=50, maximum=100, suffix=" quality")
        self.quality.setValue(DEFAULT_JPEG_QUALITY)
        self.output.currentIndexChanged.connect(lambda _: self.quality.setVisible(self._kind() == "jpeg"))
        self.quality.setVisible(False)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output, 1)
        output_row.addWidget(self.quality)
        basic.addRow("Output", output_row)
        self.device = QComboBox()
        self.device.addItems(["auto", *available_devices()])
        advanced.addRow("Device", self.device)
        self.advanced = QCheckBox("Advanced settings")  # shows or hides the expert knobs below it
        inner = QGroupBox()
        inner.setLayout(advanced)
        inner.setVisible(False)
        self.advanced.toggled.connect(inner.setVisible)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(basic)
        layout.addWidget(self.advanced)
        layout.addWidget(inner)
        for signal in (self.output.currentIndexChanged, self.quality.valueChanged, self.device.currentTextChanged,
                       self.maximum.toggled):
            signal.connect(self.changed)
        self._update_enabled()

    def _add(self, settings_field: Field, declared: Knob, form: QFormLayout) -> None:
        knob_field = KnobField(settings_field.name, declared, default_of(settings_field))
        self.fields[settings_field.name] = knob_field
        knob_field.changed.connect(self.changed)
        knob_field.changed.connect(self._update_enabled)
        if isinstance(knob_field.widget, QCheckBox):
            form.addRow(knob_field.widget)
        else:
            form.addRow(declared.label, knob_field.widget)

    def widget(self, name: str) -> QWidget:
        """The field of setting ``name`` (``epsilon``, ``iterations``...)."""
        return self.fields[name].widget

    def _update_enabled(self) -> None:
        """A field is off while the preset sets it."""
        for name, knob_field in self.fields.items():
            knob_field.widget.setEnabled(not (self.maximum.isChecked() and name in MAXIMUM.overrides))

    def base_settings(self) -> ProtectionSettings:
        """The fields' values, without the preset."""
        return replace(self.settings_type(), **{name: knob_field.value() for name, knob_field in self.fields.items()})

    def settings(self) -> ProtectionSettings:
        """What a protection started now would use (the preset applied when chosen)."""
        settings = self.base_settings()
        return MAXIMUM.apply(settings) if self.maximum.isChecked() else settings

    def show_settings(self, settings: ProtectionSettings, fmt: OutputFormat, device: str) -> None:
        """Show ``settings`` (the maximum-strength preset checked when they are its values), the format and the
        device, without announcing them as the user's change."""
        widgets = [self, *(knob_field.widget for knob_field in self.fields.values()), self.maximum, self.output,
                   self.quality, self.device]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            preset = MAXIMUM.apply(settings) == settings
            self.maximum.setChecked(preset)
            for name, knob_field in self.fields.items():
                if not (preset and name in MAXIMUM.overrides):  # the fields keep the user's own values
                    knob_field.set(getattr(settings, name))
            if self.output.findData(fmt.kind) >= 0:
                self.output.setCurrentIndex(self.output.findData(fmt.kind))
            self.quality.setValue(fmt.quality)
            self.quality.setVisible(fmt.kind == "jpeg")
            if self.device.findText(device) >= 0:
                self.device.setCurrentText(device)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._update_enabled()

    def _kind(self) -> str:
        return str(self.output.currentData())

    def output_format(self) -> OutputFormat:
        return OutputFormat(self._kind(), self.quality.value())

    def device_name(self) -> str:
        return self.device.currentText()

    def save(self, store: QSettings) -> None:
        store.beginGroup("protection")
        for name, knob_field in self.fields.items():
            store.setValue(name, knob_field.text())
        for key, value in (("device", self.device.currentText()), ("advanced", self.advanced.isChecked()),
                           ("maximum", self.maximum.isChecked()), ("version", SETTINGS_VERSION),
                           ("output", self._kind()), ("quality", self.quality.value())):
            store.setValue(key, value)
        store.endGroup()

    def restore(self, store: QSettings) -> list[str]:
        """The saved values; the names of those that could not be read (left at their defaults)."""
        store.beginGroup("protection")
        unreadable = []
        try:
            current = int(store.value("version", 1)) >= SETTINGS_VERSION  # older files saved the old strength
        except (TypeError, ValueError):
            current = False
        try:
            saved = {name: str(store.value(name)) for name in self.fields if store.contains(name)}
            if "editors" in self.fields and "editors" not in saved and store.contains(OLDER_EDITOR_KEY):
                saved["editors"] = str(store.value(OLDER_EDITOR_KEY))  # "auto", "full" or "crop": IOPaint's
            for name, text in saved.items():
                if current or name != "epsilon":
                    try:
                        self.fields[name].restore(text)
                    except (TypeError, ValueError, KeyError, InputError):
                        unreadable.append(name)
            if store.contains("device") and self.device.findText(str(store.value("device"))) >= 0:
                self.device.setCurrentText(str(store.value("device")))
            if store.contains("output") and self.output.findData(str(store.value("output"))) >= 0:
                self.output.setCurrentIndex(self.output.findData(str(store.value("output"))))
            if store.contains("quality"):
                try:
                    self.quality.setValue(int(store.value("quality")))
                except (TypeError, ValueError):
                    unreadable.append("quality")
            for key, box in (("advanced", self.advanced), ("maximum", self.maximum)):
                if store.contains(key):
                    box.setChecked(str(store.value(key)).lower() == "true")
        finally:
            store.endGroup()
        return unreadable
