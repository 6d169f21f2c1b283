"""Drive the real application window and capture the screen at each stage (run under Xvfb).

    Xvfb :99 -screen 0 1400x900x24 & DISPLAY=:99 python scripts/screenshots.py docs/guide/screenshots
    Xvfb :98 -screen 0 1280x800x24 & DISPLAY=:98 python scripts/screenshots.py /tmp/shots-1280

The window fills the screen (the app's default size is 1400 x 900; 1280 x 800 is a small laptop's).
Stages: the empty window, the first-run choice, the demo banner with an image, painting (two
regions), the editors to protect against (Advanced), a run with its live plot, the (failed,
explained) demo protection with its region list, a
region selected, the noise, the attack suite with its purification group, the export confirmation,
the window after a second run is cancelled, Protect Folder, and the Protect panel with a noise
generator chosen.
"""
from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from guardpaint.core.protection.loop import IterationReport
from guardpaint.gui.dialogs import FirstRunDialog
from guardpaint.gui.shell import MainWindow
from guardpaint.models import load_model
from guardpaint.models.noise_generator import GeneratorConfig, NoiseGenerator, NoiseNetwork
from guardpaint.models.registry import RESOURCES


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/guide/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    store = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store)
    screen = app.primaryScreen().availableGeometry()
    window.resize(screen.width(), screen.height())
    window.show()

    def shoot(name: str) -> None:
        app.processEvents()
        app.primaryScreen().grabWindow(0).save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")

    def when_modal(kind: type, then: Callable[[QDialog], None]) -> None:
        """Once a modal dialog of ``kind`` is up, shoot it and run ``then`` on it."""
        def poll() -> None:
            dialog = app.activeModalWidget()
            if isinstance(dialog, kind):
                QTimer.singleShot(300, lambda: then(dialog))
            else:
                QTimer.singleShot(50, poll)
        QTimer.singleShot(50, poll)

    def stage_empty() -> None:
        shoot("0-empty")
        when_modal(FirstRunDialog, lambda d: (shoot("1-first-run"), d.demo_button.click()))
        window.models.first_run(force=True)
        QTimer.singleShot(300, stage_open)

    def stage_open() -> None:
        window.open_image(RESOURCES / "sample-chelsea.png")
        shoot("2-demo-banner")
        mask = np.zeros((300, 451), bool)
        yy, xx = np.mgrid[0:300, 0:451]
        mask[((yy - 120) / 62) ** 2 + ((xx - 150) / 70) ** 2 <= 1] = True  # the cat's face
        mask[240:272, 330:420] = True  # a second region: a signature in the corner
        window.canvas.set_mask(mask)
        shoot("3-painted")
        window.panel.settings.advanced.setChecked(True)  # the editors to protect against, under Advanced
        QTimer.singleShot(300, lambda: shoot("13-editors"))  # once the panel has laid itself out again
        QTimer.singleShot(400, lambda: window.panel.settings.advanced.setChecked(False))
        window.runner.done.connect(lambda _: QTimer.singleShot(300, stage_done))
        window.runner.partial.connect(lambda r: shoot("4-running") if isinstance(r, IterationReport)
                                      and r.iteration == r.total_iterations // 2 else None)
        window.start_protection()

    def stage_done() -> None:
        shoot("5-not-protected-explained")
        window.preview.regions.setCurrentRow(1)
        shoot("9-region-selected")
        window.preview.regions.setCurrentRow(0)
        window.preview.tabs.setCurrentIndex(1)
        shoot("6-noise")
        window.preview.tabs.setCurrentIndex(0)
        window.runner.done.disconnect()
        window.runner.done.connect(lambda _: QTimer.singleShot(300, stage_suite_done))
        window.protection.attack_suite(window)

    def stage_suite_done() -> None:
        dialog = window.protection.suite_dialog
        dialog.table.scrollToBottom()  # the purification group comes last
        shoot("11-attack-suite")
        dialog.close()
        when_modal(QMessageBox, lambda box: (shoot("7-export-confirmation"), box.reject(),
                                             QTimer.singleShot(300, stage_cancel)))
        window.exports.export_protected(Path(tempfile.mkdtemp()) / "chelsea-protected.png")

    def stage_cancel() -> None:
        """Protect again and cancel at the first iteration: the panel and Export agree, nothing is current."""
        window.runner.done.disconnect()
        window.runner.partial.disconnect()
        window.runner.partial.connect(lambda r: window.runner.cancel() if isinstance(r, IterationReport) else None)
        window.runner.cancelled.connect(lambda: QTimer.singleShot(300, lambda: (shoot("10-after-cancel"),
                                                                                 stage_folder())))
        window.start_protection()

    def stage_folder() -> None:
        """Protect Folder on three held-out photos (one without a mask), two iterations each."""
        import skimage.data

        folder, out = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        for name in ("chelsea", "coffee", "rocket"):
            image = getattr(skimage.data, name)()
            Image.fromarray(image).save(folder / f"{name}.png")
            if name != "rocket":
                mask = np.zeros(image.shape[:2], np.uint8)
                h, w = mask.shape
                mask[h // 3:h // 2, w // 3:w // 2] = 255
                Image.fromarray(mask).save(folder / f"{name}.mask.png")
        window.panel.settings.widget("iterations").setValue(2)
        window.show_batch()
        window.batch.move(window.x() + 300, window.y() + 150)
        window.batch.input.setText(str(folder))
        window.batch.output.setText(str(out / "protected"))  # created when Start is pressed
        window.runner.partial.disconnect()
        window.runner.cancelled.disconnect()
        window.runner.done.connect(lambda _: QTimer.singleShot(300, lambda: (shoot("8-protect-folder"), finish())))
        window.batch.start()

    def finish() -> None:
        """The Protect panel with a noise generator chosen (an untrained one, for its note), then quit."""
        window.batch.close()
        model = load_model("demo", torch.device("cpu"))
        generator = Path(tempfile.mkdtemp()) / "demo.generator.safetensors"
        generator.write_bytes(NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)),
                                             [{"name": model.name, "sha256": model.sha256}]).to_bytes())
        window.models.use_generator(generator, 5)
        shoot("12-generator-chosen")
        window.close()
        app.quit()

    QTimer.singleShot(500, stage_empty)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
