"""Live plot of the loss terms: data arrives by signal, a timer redraws (never per point).

The legend sits below the plot, never over the curves, and doubles as a switch per curve;
each term has its own colour, line style and symbol so overlapping curves stay apart.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QVBoxLayout, QWidget

from guardpaint.gui.facade import ROBUST_TERM, STANDARD_TERMS, IterationReport

#: Looks for the curves, in order: colour, line style, symbol (the first two terms often coincide: the
#: first's symbol is a large ring drawn around the second's small triangle, so both stay visible).
LOOKS = (((230, 60, 60), Qt.PenStyle.SolidLine, "o"), ((240, 160, 30), Qt.PenStyle.DashLine, "t"),
         ((60, 140, 240), Qt.PenStyle.DotLine, "s"), ((120, 120, 120), Qt.PenStyle.SolidLine, "d"),
         ((150, 80, 200), Qt.PenStyle.DashDotLine, "x"), ((40, 160, 120), Qt.PenStyle.DashLine, "o"))
#: key and legend label of every curve: the standard terms (loss_terms.py), the total and the editor attacks
CURVES = (*((term.name, term.label) for term in STANDARD_TERMS), ("total", "Total"),
          (ROBUST_TERM.name, ROBUST_TERM.label))
#: Shown only once a run reports it (the robust level).
OPTIONAL = {ROBUST_TERM.name}
REDRAW_MS = 40


class IterationAxis(pg.AxisItem):
    """An x axis of whole iterations: pyqtgraph's ticks, without the ones between iterations."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803 - pyqtgraph's API
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]
        return levels or [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]


class LossPlot(QWidget):
    """One curve per loss term, one point per iteration, optional log scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(axisItems={"bottom": IterationAxis("bottom")})
        self.plot.setLabel("bottom", "iteration")
        self.plot.setLabel("left", "loss")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLimits(xMin=0)  # iterations start at 0, also when the plot is empty
        self.curves = {}
        self.toggles: dict[str, QCheckBox] = {}
        legend = QGridLayout()
        legend.setContentsMargins(4, 0, 4, 0)
        for index, ((key, label), (colour, style, symbol)) in enumerate(zip(CURVES, itertools.cycle(LOOKS))):
            pen = pg.mkPen(colour, width=2, style=style)
            ring = index == 0
            self.curves[key] = self.plot.plot([], [], pen=pen, symbol=symbol, symbolSize=11 if ring else 6,
                                              symbolBrush=None if ring else colour,
                                              symbolPen=pg.mkPen(colour, width=2) if ring else None)
            toggle = QCheckBox(f"{label} {_glyph(style, symbol)}")
            toggle.setChecked(True)
            toggle.setStyleSheet(f"QCheckBox {{ color: rgb{colour}; }}")
            toggle.toggled.connect(self.curves[key].setVisible)
            toggle.setVisible(key not in OPTIONAL)
            legend.addWidget(toggle, index // 2, index % 2)  # two columns: the panel fits a 1280 px screen
            self.toggles[key] = toggle
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.toggled.connect(lambda on: self.plot.setLogMode(y=on))
        self.log_scale.setChecked(True)  # the terms differ by orders of magnitude
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(legend)
        layout.addWidget(self.log_scale)
        self._data = {key: [] for key, _ in CURVES}
        self._x: list[int] = []
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def clear(self) -> None:
        self._x.clear()
        for values in self._data.values():
            values.clear()
        for key in OPTIONAL:
            self.toggles[key].setVisible(False)
        self._dirty = True
        self._redraw()

    def add(self, report: IterationReport) -> None:
        """One iteration; a later strength step continues the x axis after the earlier ones."""
        self._x.append((report.stage - 1) * report.total_iterations + report.iteration)
        for key in self._data:
            self._data[key].append(report.losses[key] if key in report.losses else getattr(report, key))
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
                self.toggles[key].setVisible(used)
                if not used:
                    curve.setData([], [])
                    continue
            curve.setData(x, values, skipFiniteCheck=True)


def _glyph(style: Qt.PenStyle, symbol: str) -> str:
    """A text hint of a curve's look for its legend entry."""
    line = {Qt.PenStyle.SolidLine: "—", Qt.PenStyle.DashLine: "- -", Qt.PenStyle.DotLine: "···",
            Qt.PenStyle.DashDotLine: "-·-"}[style]
    mark = {"o": "○", "t": "▼", "s": "■", "d": "◆", "x": "✕"}[symbol]
    return f"{line}{mark}"
