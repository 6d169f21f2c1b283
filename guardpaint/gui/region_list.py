"""The protected regions of the shown protection, each with its verdict; selecting one shows its crop."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from guardpaint.core.evaluation.outcome import ProtectedImage

HELD = QColor(46, 125, 50)
FAILED = QColor(198, 40, 40)
MAX_HEIGHT = 160  # px; more regions scroll


class RegionList(QListWidget):
    """One row per region: its number, whether it holds on every model, and the figures of its edit."""

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
            several = len(outcome.verifications) > 1
            figures = "; ".join(
                f"{f'{label}: ' if several else ''}SSIM {check.regions[index].malicious.ssim:.2f}, "
                f"{check.regions[index].malicious.target_distance_protected:.0f} levels from the target "
                f"(clean {check.regions[index].malicious.target_distance_original:.0f})"
                for label, check in outcome.verifications.items())
            box = verdict.region.box
            kept = outcome.result.region_outcomes[index]
            noise = outcome.region_noise(number)
            written = f"noise up to {noise['max_abs']} levels (step {kept.step})"
            item = QListWidgetItem(f"Region {number}: {'held' if holds else 'NOT held'} · {written} · {figures}")
            item.setData(Qt.ItemDataRole.UserRole, number)
            item.setForeground(HELD if holds else FAILED)
            item.setToolTip(f"{box.width} x {box.height} px at ({box.left}, {box.top}), {verdict.region.size} pixels")
            self.addItem(item)
        row = 3 * self.fontMetrics().lineSpacing() + 4  # an item wraps to about three lines
        self.setFixedHeight(min(MAX_HEIGHT, row * self.count() + 2 * self.frameWidth()))
        self.show()

    def _selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.regionSelected.emit(int(item.data(Qt.ItemDataRole.UserRole)))
