"""Brush latency on a large image: what one mouse move and one stroke cost, repaint included (offscreen).

    QT_QPA_PLATFORM=offscreen python benchmarks/paint_speed.py --width 4000 --height 3000 --json

Opens a synthetic photo in the real canvas (fitted to a 1280x800 view), then
paints strokes with real mouse events; after every move the event loop runs,
so the partial repaint is counted. Prints one JSON object: per-move latency
(median and 95th percentile), stroke start and end (undo snapshot, mask
signal), and undo.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from guardpaint.gui.canvas import MaskCanvas


def send(canvas: MaskCanvas, kind: QEvent.Type, scene: tuple[float, float]) -> float:
    """Deliver one mouse event at a scene point and let the view repaint; seconds taken."""
    pos = QPointF(canvas.mapFromScene(QPointF(*scene)))
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, pos, QPointF(canvas.viewport().mapToGlobal(pos.toPoint())), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    start = time.perf_counter()
    QApplication.sendEvent(canvas.viewport(), event)
    QApplication.processEvents()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--strokes", type=int, default=5)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--brush", type=int, default=120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    canvas = MaskCanvas()
    canvas.resize(1280, 800)
    canvas.show()
    rng = np.random.default_rng(0)
    canvas.set_image(rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8))
    canvas.fit()
    canvas.set_brush_size(args.brush)
    app.processEvents()
    moves, starts, ends = [], [], []
    for _ in range(args.strokes):
        path = np.cumsum(rng.normal(0, 25, (args.moves, 2)), axis=0) + np.array([args.width / 2, args.height / 2])
        path = np.clip(path, 0, (args.width - 1, args.height - 1))
        starts.append(send(canvas, QEvent.Type.MouseButtonPress, tuple(path[0])))
        moves.extend(send(canvas, QEvent.Type.MouseMove, tuple(p)) for p in path[1:])
        ends.append(send(canvas, QEvent.Type.MouseButtonRelease, tuple(path[-1])))
    start = time.perf_counter()
    canvas.undo()
    app.processEvents()
    undo = time.perf_counter() - start
    ms = sorted(1000 * m for m in moves)
    result = {"image": [args.width, args.height], "brush_px": args.brush, "moves": len(ms),
              "move_ms_median": statistics.median(ms), "move_ms_p95": ms[int(0.95 * (len(ms) - 1))],
              "stroke_start_ms": 1000 * statistics.median(starts), "stroke_end_ms": 1000 * statistics.median(ends),
              "undo_ms": 1000 * undo, "painted_pixels": int(canvas.mask().sum())}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
