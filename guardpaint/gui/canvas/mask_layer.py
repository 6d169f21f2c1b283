"""One paintable mask layer: a QImage drawn as a coloured overlay, with bounded undo/redo."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from guardpaint.gui.support import mask_from_overlay, overlay_from_mask

HISTORY_LIMIT = 50


class MaskLayer(QGraphicsItem):
    """A binary mask the user paints on; drawn semi-transparent over the image."""

    def __init__(self, width: int, height: int, colour: tuple[int, int, int], opacity: float = 0.5) -> None:
        super().__init__()
        self.colour = colour
        self._image = overlay_from_mask(np.zeros((height, width), bool), colour)
        self._undo: list[tuple[bytes, tuple[int, int]]] = []
        self._redo: list[tuple[bytes, tuple[int, int]]] = []
        self._last: QPointF | None = None
        self._erasing = False
        self._size = 1
        self.setOpacity(opacity)

    # --- QGraphicsItem -------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0, 0, self._image.width(), self._image.height())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        exposed = option.exposedRect.toAlignedRect().intersected(self._image.rect())
        painter.drawImage(exposed, self._image, exposed)

    # --- mask data -------------------------------------------------------
    def mask(self) -> np.ndarray:
        return mask_from_overlay(self._image)

    def set_mask(self, mask: np.ndarray, record: bool = True) -> None:
        """Replace the whole mask (load, invert, clear); undoable."""
        if record:
            self._push_undo()
        self._image = overlay_from_mask(mask.astype(bool), self.colour)
        self.update()

    def is_empty(self) -> bool:
        return not self.mask().any()

    # --- strokes ---------------------------------------------------------
    def begin_stroke(self, point: QPointF, size: int, erase: bool) -> None:
        self._push_undo()
        self._erasing, self._size, self._last = erase, max(1, size), point
        self.stroke_to(point)

    def stroke_to(self, point: QPointF) -> None:
        if self._last is None:
            return
        painter = QPainter(self._image)
        if self._erasing:
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        pen = QPen(QColor(*self.colour), self._size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawLine(self._last, point)
        painter.end()
        half = self._size / 2 + 2
        dirty = QRectF(self._last, point).normalized().adjusted(-half, -half, half, half)
        self._last = point
        self.update(dirty)

    def end_stroke(self) -> None:
        self._last = None

    # --- history -----------------------------------------------------------
    def _snapshot(self) -> tuple[bytes, tuple[int, int]]:
        mask = self.mask()
        return np.packbits(mask).tobytes(), mask.shape

    def _restore(self, snapshot: tuple[bytes, tuple[int, int]]) -> None:
        data, shape = snapshot
        bits = np.unpackbits(np.frombuffer(data, np.uint8))[: shape[0] * shape[1]]
        self._image = overlay_from_mask(bits.reshape(shape).astype(bool), self.colour)
        self.update()

    def _push_undo(self) -> None:
        self._undo.append(self._snapshot())
        del self._undo[:-HISTORY_LIMIT]
        self._redo.clear()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._snapshot())
            self._restore(self._undo.pop())

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._snapshot())
            self._restore(self._redo.pop())
