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

from guardpaint.gui.facade import CaseResult, SuiteReport, regions_named

#: Two-line headings, so the numbers' columns stay narrow and the attack's name keeps the width.
COLUMNS = ("Group", "What the attacker does", "Edit still looks normal\n(SSIM, 1 = same)",
           "Levels from the flat colour\n(unprotected)", "Protection")
HELD = QColor(46, 125, 50)
FAILED = QColor(198, 40, 40)


class SuiteDialog(QDialog):
    """Filled case by case while the suite runs; a summary line when it is done."""

    def __init__(self, model_names: list[str], parent: QWidget | None = None, total: int = 0) -> None:
        """``total``: how many cases the suite runs in all (for "n of N")."""
        super().__init__(parent)
        self.total = total
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
        self.running = (f"Attacking the original and the protected image with {model_name} (the protection's "
                        f"model{'s' if self.several else ''})")
        self.summary = QLabel(f"{self.running}…")
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
        result = "held" if case.holds else "broken: the edit works"
        if len(case.edit.numbers) > 1:  # the numbers are the region that holds least
            result = f"held (region {number})" if case.holds else f"broken for {regions_named(failed)}"
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
        self.summary.setText(f"{self.running}: {row + 1} of {self.total} cases done…" if self.total else self.running)

    def finish(self, suites: dict[str, SuiteReport]) -> None:
        lines = []
        for model, report in suites.items():
            held = ", ".join(f"{group} {report.held_fraction(group):.0%}" for group in report.groups())
            benign = ", ".join(f"{name} {value:.3f}" for name, value in report.benign_ssim.items())
            lines.append(f"{model}: the protection held against {report.held_fraction():.0%} of the attacks "
                         f"({held}); edits elsewhere look like the original's (SSIM): {benign}.")
        self.summary.setText(" ".join(lines) + " The protection holds against an attack when the region's fill "
                             "comes out at most half as far from the flat colour as without protection and unlike "
                             "a normal edit (SSIM at most 0.5); \"broken\" means the attacker's edit works.")

    def stop(self, message: str) -> None:
        self.summary.setText(message)
