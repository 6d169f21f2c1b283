"""Draw GuardPaint's icon (a shield with a brush stroke) at the usual sizes, plus .ico and .icns.

This drawing is the icons' source: packaging/icons/ holds what it makes for the bundle and the desktop
files, and resources/icon.png (the window icon, installed with the package) is its 256 px image.

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent / "icons"
WINDOW_ICON = Path(__file__).resolve().parent.parent / "resources" / "icon.png"
WINDOW_ICON_SIZE = 256


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    shield = QPainterPath()
    shield.moveTo(32 * s, 4 * s)
    shield.lineTo(56 * s, 12 * s)
    shield.cubicTo(56 * s, 36 * s, 46 * s, 52 * s, 32 * s, 60 * s)
    shield.cubicTo(18 * s, 52 * s, 8 * s, 36 * s, 8 * s, 12 * s)
    shield.closeSubpath()
    gradient = QLinearGradient(QPointF(0, 0), QPointF(0, size))
    gradient.setColorAt(0, QColor(46, 125, 220))
    gradient.setColorAt(1, QColor(28, 70, 150))
    p.fillPath(shield, gradient)
    p.setPen(QPen(QColor(255, 255, 255, 200), max(1.0, 2 * s)))
    p.drawPath(shield)
    stroke = QPen(QColor(230, 40, 60), 9 * s, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(stroke)
    p.drawArc(QRectF(18 * s, 20 * s, 28 * s, 22 * s), 200 * 16, 140 * 16)
    p.end()
    return image


def main() -> None:
    QGuiApplication.instance() or QGuiApplication([])
    HERE.mkdir(exist_ok=True)
    for size in SIZES:
        draw(size).save(str(HERE / f"guardpaint-{size}.png"))
    WINDOW_ICON.write_bytes((HERE / f"guardpaint-{WINDOW_ICON_SIZE}.png").read_bytes())
    big = Image.open(HERE / "guardpaint-512.png")
    big.save(HERE / "guardpaint.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    big.save(HERE / "guardpaint.icns")


if __name__ == "__main__":
    main()
