"""A long session: the app's window, document and worker (offscreen) through many protect, test edit and export
cycles on one image, with the resident memory and the thread count after each cycle.

    QT_QPA_PLATFORM=offscreen python benchmarks/soak.py --cycles 30 --json

Both must stay flat after the warm-up: memory at cycle 5 and at the last cycle within 5 %, no thread growth.
The demo model on the bundled sample (451 x 300), few iterations per cycle: what is measured is what a
session accumulates, not protection speed. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from guardpaint.gui.shell import MainWindow
from guardpaint.models.registry import RESOURCES


def resident_mb() -> float:
    """This process's resident memory (VmRSS) in MB, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def threads() -> int:
    """Threads of this process, as the kernel counts them (torch's pools and Qt's included)."""
    return len(os.listdir("/proc/self/task"))


def wait_idle(window: MainWindow, timeout_s: float = 600) -> None:
    """Run the event loop until the window's worker is idle."""
    deadline = time.monotonic() + timeout_s
    while window.runner.is_busy():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not finish")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    QCoreApplication.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    scratch = Path(tempfile.mkdtemp())
    os.environ.setdefault("GUARDPAINT_DATA_DIR", str(scratch / "data"))
    window = MainWindow(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
    window.ui.ask = lambda question: True  # export a demo protection without a modal question
    window.ui.error = lambda message: print(f"error: {message}")
    window.show()
    if not window.open_image(RESOURCES / "sample-chelsea.png"):
        raise SystemExit("the sample image did not open")
    QCoreApplication.processEvents()
    mask = np.zeros((300, 451), bool)
    mask[110:170, 190:260] = True
    test = np.zeros((300, 451), bool)
    test[20:70, 20:90] = True
    window.document.set_mask("protection", mask)
    window.document.set_mask("test", test)
    window.panel.settings.widget("iterations").setValue(args.iterations)
    rows = []
    started = time.perf_counter()
    for cycle in range(1, args.cycles + 1):
        window.start_protection()
        wait_idle(window)
        window.start_test_edit()
        wait_idle(window)
        exported = window.exports.export_protected(scratch / f"cycle-{cycle}.png")
        if exported is None:
            raise SystemExit(f"cycle {cycle}: nothing was exported")
        exported.unlink()
        rows.append({"cycle": cycle, "resident_mb": round(resident_mb(), 1), "threads": threads(),
                     "python_threads": threading.active_count(), "seconds": round(time.perf_counter() - started, 1)})
        if not args.json:
            print(rows[-1], flush=True)
    window.close()
    QCoreApplication.processEvents()
    warm = rows[min(4, len(rows) - 1)]
    last = rows[-1]
    change = (last["resident_mb"] - warm["resident_mb"]) / warm["resident_mb"]
    result = {"cycles": args.cycles, "iterations": args.iterations, "model": "demo", "image": "sample-chelsea.png",
              "rows": rows, "memory_change_from_cycle_5": change,
              "thread_growth_from_cycle_5": last["threads"] - warm["threads"]}
    print(json.dumps(result, indent=None if args.json else 2))
    app.quit()


if __name__ == "__main__":
    main()
