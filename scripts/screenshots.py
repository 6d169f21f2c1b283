"""Drive the real application window and capture the screen at each stage (run under Xvfb).

    Xvfb :99 -screen 0 1600x1000x24 & DISPLAY=:99 python scripts/screenshots.py docs/screenshots
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from guardpaint.gui.main_window import MainWindow
from guardpaint.models.registry import RESOURCES


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    model = sys.argv[2] if len(sys.argv) > 2 else "demo"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    store = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store)
    window.set_model(model)
    window.resize(1600, 1000)
    window.show()

    def shoot(name: str) -> None:
        app.processEvents()
        app.primaryScreen().grabWindow(0).save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")

    def stage_open() -> None:
        window.open_image(RESOURCES / "sample-chelsea.png")
        shoot("1-opened")
        mask = np.zeros((300, 451), bool)
        yy, xx = np.mgrid[0:300, 0:451]
        mask[((yy - 120) / 62) ** 2 + ((xx - 150) / 70) ** 2 <= 1] = True  # the cat's face
        window.canvas.set_mask(mask)
        shoot("2-painted")
        window.runner.done.connect(lambda _: QTimer.singleShot(300, stage_done))
        window.runner.partial.connect(lambda r: shoot("3-running") if r.iteration == r.total_iterations // 2 else None)
        window.start_protection()

    def stage_done() -> None:
        shoot("4-protected")
        window.preview.tabs.setCurrentIndex(1)
        shoot("5-noise")
        window.exported = True
        window.close()
        app.quit()

    QTimer.singleShot(500, stage_open)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
