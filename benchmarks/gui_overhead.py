"""What the GUI adds to a protection: worker thread, signals, live plot and preview (offscreen).

Times the same job (protect + encode + re-read + verify) called directly and run
through the main window, and prints one JSON object with the overhead in percent.
The direct call also runs in a short-lived thread, as the app's worker does: a
thread that has run torch keeps its OpenMP pool, and two pools on a small CPU
throttle each other (about 25 % slower on 2 cores), so the app keeps every torch
call off the GUI thread and this benchmark keeps it off the main thread.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_overhead.py --model demo --json
    QT_QPA_PLATFORM=offscreen python benchmarks/gui_overhead.py --photo 4000x3000 --iterations 3 --json

``--photo WxH`` protects one 300 x 300 region of a photo that size (the editor's crop around
it) and also reports how long the window takes to open it and to show the finished protection.
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

import numpy as np
from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))

from protect_regions import photo

from guardpaint.core.io.images import LoadedImage
from guardpaint.gui.shell import MainWindow
from guardpaint.gui.work import run_protection

from protect_speed import benchmark_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--size", type=int, default=256, help="a square image this size, mask a quarter of it")
    parser.add_argument("--photo", help="WIDTHxHEIGHT: a photo with one 300 px region instead")
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
    if args.photo:
        width, height = (int(v) for v in args.photo.lower().split("x"))
        rgb, mask = photo(width, height), np.zeros((height, width), bool)
        mask[height // 2 - 150:height // 2 + 150, width // 2 - 150:width // 2 + 150] = True
    else:
        rgb, mask = benchmark_image(args.size)
    path = Path(tempfile.mkdtemp()) / "bench.png"
    from PIL import Image

    Image.fromarray(rgb).save(path)
    start = time.perf_counter()
    window.open_image(path)
    _app.processEvents()
    open_seconds = time.perf_counter() - start
    window.canvas.set_mask(mask)
    settings = window.panel.settings.settings()
    image = LoadedImage(rgb=rgb)

    def direct() -> None:
        worker = threading.Thread(target=run_protection, args=(
            window.protection.models, [args.model], "cpu", image, mask, None, settings,
            window.panel.settings.output_format(), lambda r: None, lambda: False))
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
    start = time.perf_counter()
    window.protection._protected(window.protection.outcome, window.models.spec)  # what the GUI thread does
    _app.processEvents()
    show_seconds = time.perf_counter() - start
    result = {"model": args.model, "size": [rgb.shape[1], rgb.shape[0]], "iterations": args.iterations,
              "runs": args.runs, "seconds": medians, "all_seconds": times,
              "overhead_percent": 100 * (medians["gui"] / medians["direct"] - 1),
              "open_image_seconds": open_seconds, "show_result_seconds": show_seconds}
    window.exports.exported_path = Path(".")  # nothing to lose
    window.close()
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
