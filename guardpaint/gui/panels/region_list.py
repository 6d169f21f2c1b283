"""The protected regions of the shown protection, each with its verdict; selecting one shows its crop."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from guardpaint.gui.facade import ProtectedImage, editor_labels, failing_editors, joined, region_state

HELD = QColor(46, 125, 50)
FAILED = QColor(198, 40, 40)
MAX_HEIGHT = 160  # px; more regions scroll


class RegionList(QListWidget):
    """One row per region: its number, whether it holds on every model under every editor (the editors it
    fails under, when it does not), and the noise written around it (the figures are in the preview's Details
    tab)."""

    regionSelected = Signal(int)  # noqa: N815 - the region's number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("Each region of the protection mask holds or not on its own; select one to see its edits")
        self.setWordWrap(True)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.currentItemChanged.connect(self._selected)
        self.hide()

    def show_outcome(self, outcome: ProtectedImage | None) -> None:
        """List the outcome's regions (none: empty and hidden)."""
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
        if outcome is None:
            self.hide()
            return
        for index, verdict in enumerate(outcome.verification.regions):
            number = verdict.region.number
            holds = outcome.region_holds(number)
            box = verdict.region.box
            kept = outcome.result.region_outcomes[index]
            reach = outcome.reaches[index] if outcome.reaches else None
            noise = reach.noise if reach is not None else outcome.region_noise(number)
            failing = failing_editors(outcome.verifications, index)
            where = f" in {joined(editor_labels(tuple(failing)))}" if failing else ""
            leans = f" · {reach.note()}" if reach is not None and reach.note() else ""
            item = QListWidgetItem(f"Region {number}: {region_state(holds)}{where} · noise up to {noise['max_abs']} "
                                   f"levels where its edit reads (step {kept.step}){leans}")
            item.setData(Qt.ItemDataRole.UserRole, number)
            item.setForeground(HELD if holds else FAILED)
            note = f"\n{kept.note[0].upper()}{kept.note[1:]}." if kept.note else ""
            item.setToolTip(f"{box.width} x {box.height} px at ({box.left}, {box.top}), {verdict.region.size} pixels"
                            f"{note}")
            self.addItem(item)
        row = 2 * self.fontMetrics().lineSpacing() + 4  # an item fits a line, two at most
        self.setFixedHeight(min(MAX_HEIGHT, row * self.count() + 2 * self.frameWidth()))
        self.show()

    def _selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.regionSelected.emit(int(item.data(Qt.ItemDataRole.UserRole)))
