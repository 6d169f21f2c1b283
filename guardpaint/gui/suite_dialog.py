"""A live table of the attacker suite: each editor attack, its metrics and whether protection held."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guardpaint.core.evaluation.suite import CaseResult, SuiteReport
from guardpaint.core.evaluation.wording import regions_named

COLUMNS = ("Group", "Attack", "SSIM vs clean edit", "Distance to target (clean)", "Result")
HELD = QColor(46, 125, 50)
FAILED = QColor(198, 40, 40)


class SuiteDialog(QDialog):
    """Filled case by case while the suite runs; a summary line when it is done."""

    def __init__(self, model_names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.several = len(model_names) > 1
        model_name = " and ".join(model_names)
        self.setWindowTitle(f"Attack suite ({model_name})")
        self.resize(760, 560)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # Result is never cut off
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the attack's name takes the rest
        self.summary = QLabel(f"Running the editor's attacks with {model_name} (the protection's "
                              f"model{'s' if self.several else ''}) on the original and the protected image…")
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    def add_case(self, model: str, case: CaseResult) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        number, c = case.edit.worst()
        failed = case.edit.failing
        result = "held" if case.holds else "failed"
        if len(case.edit.numbers) > 1:  # the numbers are the region that holds least
            result = f"{result} (region {number})" if case.holds else f"failed ({regions_named(failed)})"
        if case.edit.untested:
            result += f"; {regions_named(case.edit.untested)} not tested"
        name = case.name + (" (not protected against)" if case.params.get("protected_against") is False else "")
        cells = (f"{model}: {case.group}" if self.several else case.group, name, f"{c.ssim:.3f}",
                 f"{c.target_distance_protected:.1f} ({c.target_distance_original:.1f})", result)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column >= 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        self.table.item(row, 4).setForeground(HELD if case.holds else FAILED)
        self.table.scrollToBottom()

    def finish(self, suites: dict[str, SuiteReport]) -> None:
        lines = []
        for model, report in suites.items():
            held = ", ".join(f"{group} {report.held_fraction(group):.0%}" for group in report.groups())
            benign = ", ".join(f"{name} {value:.3f}" for name, value in report.benign_ssim.items())
            lines.append(f"{model}: protection held in {report.held_fraction():.0%} of the attacks ({held}); "
                         f"benign edits, SSIM vs the original's edit: {benign}.")
        self.summary.setText(" ".join(lines) + " A case holds when the fill is at most half as far from the "
                             "target colour as the clean fill and its SSIM against the clean fill is at most 0.5.")

    def stop(self, message: str) -> None:
        self.summary.setText(message)
