"""Protecting in the app: a run to its end, cancel, closing mid-run, a new image during a run, bad weights."""
import os
import subprocess
import sys
import time

import pytest
from PIL import Image

from guardpaint.gui.canvas import PROTECT
from guardpaint.gui.shell import MainWindow

from conftest import make_photo, paint_stroke

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_protect_runs_to_completion_with_plot_and_preview(window, qtbot, files):
    assert window.load_mask_file(files["mask"])
    window.panel.layer_test.setChecked(True)
    paint_stroke(window.canvas, [(5, 85), (40, 85)])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    outcome = window.protection.outcome
    steps = outcome.result.steps  # auto strength: a second step where a region did not hold
    qtbot.waitUntil(lambda: window.panel.plot.point_count() == 3 * steps == len(outcome.result.history), timeout=5000)
    assert window.panel.progress.value() == window.panel.progress.maximum()  # every step the ladder had, done
    assert outcome is not None and outcome.written.shape == (96, 128, 3)
    assert set(window.preview.edit_names()) == {f"{editor}: {name}" for editor in ("IOPaint", "ComfyUI")
                                                for name in ("region 1", "ring around region 1", "test mask")}
    assert window.preview.clean.image is not None and window.preview.attacked.image is not None
    assert window.preview.compare.left is not None and window.preview.noise.image is not None
    assert window.preview.details.rowCount() > 5 and "PSNR" in window.preview.details.item(1, 0).text()
    with qtbot.waitSignal(window.runner.done, timeout=30_000):
        window.start_test_edit()
    assert window.errors == []


def test_cancel_stops_within_an_iteration(window, qtbot, files):
    window.load_mask_file(files["mask"])
    window.panel.settings.widget("iterations").setValue(500)
    window.runner.partial.connect(lambda _: window.runner.cancel())
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.start_protection()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10_000)
    assert window.panel.plot.point_count() <= 2
    assert window.protection.outcome is None and window.panel.eta.text() == "Cancelled"


def test_a_new_image_never_receives_the_old_images_result(window, qtbot, files):
    window.load_mask_file(files["mask"])
    window.panel.settings.widget("iterations").setValue(400)
    with qtbot.waitSignal(window.runner.partial, timeout=60_000):
        window.start_protection()
    other = files["dir"] / "other.png"
    Image.fromarray(make_photo(50, 70, seed=2)).save(other)
    assert window.open_image(other)  # replaces (cancels) the running job
    qtbot.waitUntil(lambda: not window.runner.has_running_threads(), timeout=30_000)
    qtbot.wait(100)
    assert window.protection.outcome is None and window.panel.plot.point_count() == 0
    assert window.image.size == (70, 50) and window.panel.eta.text() == ""


def test_closing_mid_run_stops_the_worker_and_saves_settings(qtbot, store, files):
    win = MainWindow(store)
    win.ui.error = lambda message: None
    win.set_model(str(files["weights"]))
    win.open_image(files["image"])
    win.load_mask_file(files["mask"])
    win.panel.settings.widget("iterations").setValue(400)
    win.panel.settings.widget("epsilon").setValue(4.5)
    with qtbot.waitSignal(win.runner.partial, timeout=60_000):
        win.start_protection()
    win.close()
    assert not win.runner.is_busy() and not win.isVisible()  # gone at once, even if a step is finishing
    qtbot.waitUntil(lambda: not win.runner.has_running_threads(), timeout=30_000)
    again = MainWindow(store)
    assert again.panel.settings.widget("epsilon").value() == pytest.approx(4.5)
    assert again.models.spec == str(files["weights"])
    again.close()


def test_bad_weights_fail_cleanly_and_keep_the_mask(window, qtbot, files):
    window.load_mask_file(files["mask"])
    bad = files["dir"] / "bad.pth"
    bad.write_bytes(b"garbage")
    window.set_model(str(bad))
    with qtbot.waitSignal(window.runner.failed, timeout=30_000):
        window.start_protection()
    assert window.errors and "cannot read weight file" in window.errors[-1]
    assert window.canvas.mask(PROTECT).any() and window.image is not None


QUIT_SCRIPT = """
import sys, time
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from guardpaint.gui.shell import MainWindow
from guardpaint.osfiles import unfinished

app = QApplication([])
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.show()
part = Path(sys.argv[2])

def stuck(report, cancelled):  # a model pass that does not look at the cancel flag for a minute
    with unfinished(part):
        part.write_bytes(b"half a file")
        report("started")
        time.sleep(60)

window.runner.partial.connect(lambda _: window.close())
window.runner.start(stuck, on_done=lambda result: None)
app.exec()
print("the event loop returned", flush=True)
"""


def test_quitting_during_a_long_model_pass_ends_the_process_and_leaves_no_partial_file(tmp_path):
    """Ctrl+Q while a worker is inside a pass that ignores the cancel: the window goes at once, the process
    within the grace period, and the file the worker was writing goes with it."""
    from guardpaint.gui.shell import QUIT_GRACE_MS

    part = tmp_path / ".out.png.part"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", QUIT_SCRIPT, str(tmp_path / "settings.ini"), str(part)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    assert elapsed < QUIT_GRACE_MS / 1000 + 20 and "event loop returned" not in done.stdout
    assert not part.exists()
