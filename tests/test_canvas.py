"""Painting masks on the canvas: strokes, eraser, undo and redo, keys, layers, zoom, and transparent pixels."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from guardpaint.gui.canvas import PROTECT, TEST

from conftest import paint_stroke

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_paint_undo_redo_and_eraser(window):
    canvas = window.canvas
    canvas.set_brush_size(10)
    paint_stroke(canvas, [(20, 48), (100, 48)])
    mask = canvas.mask(PROTECT)
    assert mask[48, 30:90].all() and not mask[10, :].any() and not mask[:, 120:].any()
    assert not canvas.mask(TEST).any()
    window.set_tool(True)
    paint_stroke(canvas, [(60, 48), (60, 49)])
    assert not canvas.mask(PROTECT)[48, 60]
    canvas.undo()
    assert canvas.mask(PROTECT)[48, 60]
    canvas.undo()
    assert not canvas.mask(PROTECT).any()
    canvas.redo()
    np.testing.assert_array_equal(canvas.mask(PROTECT), mask)


def test_keys_change_brush_and_layers(window, qtbot):
    canvas = window.canvas
    canvas.set_brush_size(20)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_size > 20 and window.panel.brush_slider.value() == canvas.brush_size
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_size < 20
    window.toggle_layer()
    assert canvas.active == TEST
    paint_stroke(canvas, [(10, 10), (30, 10)])
    assert canvas.mask(TEST).any() and not canvas.mask(PROTECT).any()


def test_invert_clear_and_zoom(window):
    canvas = window.canvas
    canvas.invert_mask()
    assert canvas.mask(PROTECT).all()
    canvas.clear_mask()
    assert not canvas.mask(PROTECT).any()
    canvas.actual_size()
    assert canvas.zoom() == pytest.approx(1.0)
    canvas.zoom_by(2.0)
    assert canvas.zoom() == pytest.approx(2.0)
    assert window.status.zoom.text() == "200 %"


def test_transparent_pixels_are_drawn_on_a_checkerboard(window, files):
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., 3] = 0
    rgba[10:30, 10:50] = (200, 30, 30, 255)
    path = files["dir"] / "transparent.png"
    Image.fromarray(rgba, "RGBA").save(path)
    assert window.open_image(path)
    shot = window.canvas.viewport().grab().toImage()
    centre = window.canvas.mapFromScene(QPointF(3, 3))
    assert shot.rect().contains(centre) and window.canvas.zoom() > 1  # fitted to the view, not to nothing
    colours = {shot.pixelColor(centre.x() + dx, centre.y() + dy).name() for dx in range(20) for dy in range(20)}
    assert len(colours) >= 2 and all(c in ("#999999", "#cccccc") for c in colours), colours
