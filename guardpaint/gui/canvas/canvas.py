"""The mask canvas: image with paintable mask layers, brush/eraser, zoom and pan."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap, QTransform, QWheelEvent
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from guardpaint.gui.canvas.mask_layer import MaskLayer
from guardpaint.gui.facade import PROTECTION
from guardpaint.gui.facade import TEST as TEST_ROLE
from guardpaint.gui.support import checkerboard, rgb_to_qimage, rgba_to_qimage

PROTECT, TEST = PROTECTION, TEST_ROLE  # the layers are the document's mask roles
LAYER_COLOURS = {PROTECT: (230, 40, 60), TEST: (40, 120, 255)}
MIN_BRUSH, MAX_BRUSH = 1, 500
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
#: Mouse and held-key gestures of the canvas (they are not actions), for the shortcut table.
GESTURES = (("Wheel", "zoom around the cursor"), ("Space+drag, middle drag", "pan"))


class MaskCanvas(QGraphicsView):
    """Shows the image; the user paints the protection mask (and a test mask) on top."""

    zoomChanged = Signal(float)  # noqa: N815 - Qt naming
    maskChanged = Signal(str)  # noqa: N815
    brushSizeChanged = Signal(int)  # noqa: N815

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QColor(60, 60, 64))
        self.setAcceptDrops(False)  # the main window takes dropped files
        self._image_item: QGraphicsPixmapItem | None = None
        self.layers: dict[str, MaskLayer] = {}
        self.active = PROTECT
        self.erasing = False
        self.brush_size = 40
        self._opacity = 0.5
        self._painting = False
        self._panning: QPointF | None = None
        self._space = False
        self._fitted = True
        self._transparent = False
        self._cursor = QGraphicsEllipseItem()
        pen = QPen(QColor(255, 255, 255), 1.5)
        pen.setCosmetic(True)
        self._cursor.setPen(pen)
        self._cursor.setZValue(10)
        self._cursor.setVisible(False)

    # --- content -------------------------------------------------------------
    def has_image(self) -> bool:
        return self._image_item is not None

    def set_image(self, rgb: np.ndarray, alpha: np.ndarray | None = None, keep_masks: bool = False) -> None:
        """Show a new image (transparent parts over a checkerboard); masks are reset unless ``keep_masks``."""
        height, width = rgb.shape[:2]
        old = {k: layer.mask() for k, layer in self.layers.items()} if keep_masks else {}
        scene = self.scene()
        if self._cursor.scene() is not None:
            scene.removeItem(self._cursor)  # keep it alive across clear()
        scene.clear()
        self._transparent = alpha is not None
        image = rgb_to_qimage(rgb) if alpha is None else rgba_to_qimage(rgb, alpha)
        self._image_item = scene.addPixmap(QPixmap.fromImage(image))
        self._image_item.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.layers = {}
        for z, (name, colour) in enumerate(LAYER_COLOURS.items(), start=1):
            layer = MaskLayer(width, height, colour, self._opacity)
            layer.setZValue(z)
            if name in old and old[name].shape == (height, width):
                layer.set_mask(old[name], record=False)
            scene.addItem(layer)
            self.layers[name] = layer
        scene.addItem(self._cursor)
        scene.setSceneRect(QRectF(0, 0, width, height))
        self.fit()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """The view's grey, and under an image with transparency a checkerboard of fixed on-screen size."""
        super().drawBackground(painter, rect)
        if self._image_item is None or not self._transparent:
            return
        area = self.mapFromScene(self._image_item.sceneBoundingRect()).boundingRect()
        painter.save()
        painter.setWorldMatrixEnabled(False)
        painter.fillRect(area, QBrush(checkerboard()))
        painter.restore()

    def mask(self, layer: str = PROTECT) -> np.ndarray:
        return self.layers[layer].mask()

    def set_mask(self, mask: np.ndarray, layer: str = PROTECT) -> None:
        """Replace a layer's mask as an edit (undoable; ``maskChanged`` tells the document)."""
        self.layers[layer].set_mask(mask)
        self.maskChanged.emit(layer)

    def show_mask(self, mask: np.ndarray, layer: str) -> None:
        """Show a mask the document already holds (undoable, no ``maskChanged``)."""
        if layer in self.layers and not np.array_equal(self.layers[layer].mask(), mask):
            self.layers[layer].set_mask(mask)

    def set_overlay_opacity(self, opacity: float) -> None:
        self._opacity = opacity
        for layer in self.layers.values():
            layer.setOpacity(opacity)

    def set_active_layer(self, layer: str) -> None:
        self.active = layer
        for name, item in self.layers.items():
            item.setOpacity(self._opacity if name == layer else self._opacity * 0.5)

    # --- editing commands -----------------------------------------------------
    def _layer(self) -> MaskLayer | None:
        return self.layers.get(self.active)

    def undo(self) -> None:
        if (layer := self._layer()) is not None and layer.can_undo():
            layer.undo()
            self.maskChanged.emit(self.active)

    def redo(self) -> None:
        if (layer := self._layer()) is not None and layer.can_redo():
            layer.redo()
            self.maskChanged.emit(self.active)

    def clear_mask(self) -> None:
        if (layer := self._layer()) is not None:
            self.set_mask(np.zeros_like(layer.mask()), self.active)

    def invert_mask(self) -> None:
        if (layer := self._layer()) is not None:
            self.set_mask(~layer.mask(), self.active)

    def set_brush_size(self, size: int) -> None:
        self.brush_size = int(np.clip(size, MIN_BRUSH, MAX_BRUSH))
        self._update_cursor(self._cursor.rect().center() if self._cursor.isVisible() else None)
        self.brushSizeChanged.emit(self.brush_size)

    # --- zoom -------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        self._fitted = False
        factor = float(np.clip(factor, MIN_ZOOM, MAX_ZOOM))
        self.setTransform(self.transform().fromScale(factor, factor))
        self.zoomChanged.emit(factor)

    def zoom_by(self, step: float) -> None:
        self.set_zoom(self.zoom() * step)

    def fit(self) -> None:
        """Show the whole image, and keep it fitted as the view resizes until the user zooms."""
        self._fitted = True
        if self._image_item is None:
            return
        rect = self._image_item.sceneBoundingRect()
        view = self.viewport().rect()
        factor = float(np.clip(min((view.width() - 4) / rect.width(), (view.height() - 4) / rect.height()),
                               MIN_ZOOM, MAX_ZOOM))
        self.setTransform(QTransform.fromScale(factor, factor))
        self.centerOn(rect.center())
        self.zoomChanged.emit(factor)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    # --- events -------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if not self.has_image():
            return
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP)

    def _update_cursor(self, scene_pos: QPointF | None) -> None:
        if scene_pos is None or not self.has_image():
            self._cursor.setVisible(False)
            return
        r = self.brush_size / 2
        self._cursor.setRect(QRectF(scene_pos.x() - r, scene_pos.y() - r, 2 * r, 2 * r))
        self._cursor.setVisible(True)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.has_image():
            return super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.MiddleButton or (event.button() == Qt.MouseButton.LeftButton
                                                              and self._space):
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() == Qt.MouseButton.LeftButton and (layer := self._layer()) is not None:
            self._painting = True
            layer.begin_stroke(self.mapToScene(event.position().toPoint()), self.brush_size, self.erasing)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        scene_pos = self.mapToScene(event.position().toPoint())
        self._update_cursor(scene_pos)
        if self._painting and (layer := self._layer()) is not None:
            layer.stroke_to(scene_pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            self._panning = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        if self._painting and (layer := self._layer()) is not None:
            self._painting = False
            layer.end_stroke()
            self.maskChanged.emit(self.active)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._cursor.setVisible(False)
        super().leaveEvent(event)

    def enterEvent(self, event) -> None:  # noqa: N802
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        super().enterEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            return
        super().keyReleaseEvent(event)
