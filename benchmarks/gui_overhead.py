"""What the GUI adds to a protection: worker thread, signals, live plot and preview (offscreen).

Times the same job (protect + encode + re-read + verify) called directly and run
through the main window, and prints one JSON object with the overhead in percent.
The direct call also runs in a short-lived thread, as the app's worker does: a
thread that has run torch keeps its OpenMP pool, and two pools on a small CPU
throttle each other (about 25 % slower on 2 cores), so the app keeps every torch
call off the GUI thread and this benchmark keeps it off the main thread.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_overhead.py --model demo --json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardpaint.core.imageio import LoadedImage
from guardpaint.gui.jobs import run_protection
from guardpaint.gui.main_window import MainWindow

from protect_speed import benchmark_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])  # kept alive for the run
    store = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store)
    window.ask = lambda question: True
    window.show()
    window.set_model(args.model)
    window.panel.settings.iterations.setValue(args.iterations)
    window.panel.settings.device.setCurrentText("cpu")
    rgb, mask = benchmark_image(args.size)
    path = Path(tempfile.mkdtemp()) / "bench.png"
    from PIL import Image

    Image.fromarray(rgb).save(path)
    window.open_image(path)
    window.canvas.set_mask(mask)
    settings = window.panel.settings.settings()
    image = LoadedImage(rgb=rgb)

    def direct() -> None:
        worker = threading.Thread(target=run_protection, args=(
            window.protection.models, args.model, "cpu", image, mask, None, settings, lambda r: None, lambda: False))
        worker.start()
        worker.join()

    def through_gui() -> None:
        loop = QEventLoop()
        window.runner.done.connect(loop.quit)
        window.runner.failed.connect(loop.quit)
        window.start_protection()
        loop.exec()
        window.runner.done.disconnect(loop.quit)
        window.runner.failed.disconnect(loop.quit)
        if window.protection.outcome is None or window.panel.plot.point_count() != args.iterations:
            raise RuntimeError("the protection through the window did not complete")

    times = {"direct": [], "gui": []}
    direct()  # warm-up: model load, allocator
    for _ in range(args.runs):  # interleaved, so drift hits both alike
        for name, fn in (("direct", direct), ("gui", through_gui)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    medians = {k: statistics.median(v) for k, v in times.items()}
    result = {"model": args.model, "size": args.size, "iterations": args.iterations, "runs": args.runs,
              "seconds": medians, "all_seconds": times,
              "overhead_percent": 100 * (medians["gui"] / medians["direct"] - 1)}
    window.exported = True
    window.close()
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
