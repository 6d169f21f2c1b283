"""Live plot of the loss terms: data arrives by signal, a timer redraws (never per point)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from guardpaint.core.protect import IterationReport

TERMS = (("attack", "Attack", (230, 60, 60)), ("incomplete", "Incomplete trigger", (240, 160, 30)),
         ("hide", "Hide (x1)", (60, 140, 240)), ("total", "Total", (120, 120, 120)),
         ("robust", "Editor attacks", (150, 80, 200)))
#: Shown only once a run reports it (the robust level).
OPTIONAL = {"robust"}
REDRAW_MS = 40


class LossPlot(QWidget):
    """One curve per loss term, one point per iteration, optional log scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "iteration")
        self.plot.setLabel("left", "loss")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.labels = {key: label for key, label, _ in TERMS}
        self.curves = {key: self.plot.plot([], [], name=None if key in OPTIONAL else label,
                                           pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=4,
                                           symbolBrush=colour, symbolPen=None)
                       for key, label, colour in TERMS}
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.toggled.connect(lambda on: self.plot.setLogMode(y=on))
        self.log_scale.setChecked(True)  # the terms differ by orders of magnitude
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        layout.addWidget(self.log_scale)
        self._data = {key: [] for key, _, _ in TERMS}
        self._x: list[int] = []
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def clear(self) -> None:
        for key in OPTIONAL:
            self.legend.removeItem(self.curves[key])
        self._x.clear()
        for values in self._data.values():
            values.clear()
        self._dirty = True
        self._redraw()

    def add(self, report: IterationReport) -> None:
        self._x.append(report.iteration)
        for key in self._data:
            self._data[key].append(getattr(report, key))
        self._dirty = True

    def point_count(self) -> int:
        return len(self._x)

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        x = np.asarray(self._x, float)
        for key, curve in self.curves.items():
            values = np.asarray(self._data[key], float)
            if key in OPTIONAL:
                used = bool(values.size) and bool(values.any())
                if used and self.legend.getLabel(curve) is None:
                    self.legend.addItem(curve, self.labels[key])
                if not used:
                    curve.setData([], [])
                    continue
            curve.setData(x, values, skipFiniteCheck=True)
