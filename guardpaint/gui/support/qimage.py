"""Conversions between numpy arrays and QImage (copies, so Qt never points into numpy memory)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from guardpaint.gui.facade import MASK_THRESHOLD


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """HxWx3 uint8 -> QImage (RGB888)."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def rgba_to_qimage(rgb: np.ndarray, alpha: np.ndarray) -> QImage:
    """HxWx3 uint8 plus HxW alpha -> QImage (RGBA8888, straight alpha)."""
    rgba = np.ascontiguousarray(np.dstack([rgb, alpha]))
    height, width = rgba.shape[:2]
    return QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


def checkerboard(cell: int = 8) -> QImage:
    """A 2x2-cell light/dark grey tile: the usual backdrop of transparent pixels."""
    tile = np.full((2 * cell, 2 * cell, 3), 204, np.uint8)
    tile[:cell, :cell] = tile[cell:, cell:] = 153
    return rgb_to_qimage(tile)


def overlay_from_mask(mask: np.ndarray, colour: tuple[int, int, int]) -> QImage:
    """HxW bool -> premultiplied ARGB image, opaque ``colour`` where masked, transparent elsewhere."""
    height, width = mask.shape
    bgra = np.zeros((height, width, 4), np.uint8)
    bgra[mask] = (colour[2], colour[1], colour[0], 255)
    return QImage(bgra.data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied).copy()


def mask_from_overlay(image: QImage) -> np.ndarray:
    """Alpha above the mask threshold of a 32-bit ARGB QImage as an HxW bool array."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    view = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return view[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[:, :, 3] > MASK_THRESHOLD


def noise_visual(original: np.ndarray, protected: np.ndarray) -> np.ndarray:
    """The signed noise ``protected - original`` (uint8 images) stretched to the full 8-bit range around
    mid-grey, for display."""
    noise = protected.astype(np.int16) - original.astype(np.int16)
    peak = max(1, int(np.abs(noise).max()))
    return np.clip(128 + noise.astype(np.float32) * (127.0 / peak), 0, 255).astype(np.uint8)
