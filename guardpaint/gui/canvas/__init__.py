"""The canvas: the image with its mask layers, brushed and erased."""
from guardpaint.gui.canvas.canvas import GESTURES, MAX_BRUSH, MIN_BRUSH, PROTECT, TEST, MaskCanvas

__all__ = [
    "GESTURES", "MAX_BRUSH", "MIN_BRUSH", "PROTECT", "TEST", "MaskCanvas"
]
