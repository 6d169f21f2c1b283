"""Nothing lost when the machine misbehaves: a full disk, running out of memory, weights rewritten underneath,
a damaged settings file, two writers on one folder, a crash while painting, and the exit itself."""
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from guardpaint.cli import main
from guardpaint.core.batch import is_complete
from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.io.files import UNFINISHED_CLAIM_GRACE, claim_path, claimed
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_image
from guardpaint.gui.work import ModelCache
from guardpaint.models import load_model

from conftest import batch_argv, make_photo, open_window, save_tiny_weights

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ROOT = Path(__file__).resolve().parent.parent


def _limited(limit: int):
    """A preexec function: a file-size limit of ``limit`` bytes for the child (its writes then fail with
    EFBIG: Python ignores the SIGXFSZ that would otherwise kill it)."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _cli(*args, limit: int | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "guardpaint", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=None if limit is None else _limited(limit),
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def _no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith((".part", ".claim", ".probe"))]


# ------------------------------------------------------------------------------ a full disk
def test_a_full_disk_during_protect_leaves_no_file_and_says_so_in_one_line(case):
    out = case["dir"] / "out.png"
    done = _cli("protect", case["image"], "--mask", case["mask"], "-o", out, "--model", case["model"], "--iterations",
                1, "--no-auto-strength", limit=4096)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and lines[-1].startswith(f"error: {out}: no room to write it (File too large")
    assert "nothing was written under this name" in lines[-1] and "Traceback" not in done.stderr
    assert not out.exists()
    _no_leftovers(case["dir"])


def test_a_full_disk_stops_a_batch_cleanly_and_the_same_command_resumes(batch_folder):
    stopped = _cli(*batch_argv(batch_folder, "out"), limit=4096)
    assert stopped.returncode == 2 and "before the disk filled up; run the same command again" in stopped.stderr
    assert "error: " in stopped.stderr.strip().splitlines()[-1] and "no room to write it" in stopped.stderr
    out = batch_folder / "out"
    assert all(is_complete(path) for path in out.iterdir())  # nothing partial under an output's name
    _no_leftovers(out)
    resumed = _cli(*batch_argv(batch_folder, "out"))
    assert resumed.returncode == 2  # the corrupt input fails, as in any batch
    assert sorted(p.name for p in out.iterdir()) == ["c-rgba.png", "d-grey.png"]


def test_the_app_says_a_full_disk_and_keeps_the_protection(window, qtbot, files):
    from conftest import protect_in_window

    outcome = protect_in_window(window, qtbot, files["mask"])
    target = files["dir"] / "exported.png"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, hard))
    try:
        assert window.exports.export_protected(target) is None
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert "no room to write it" in window.errors[-1] and not target.exists()
    assert window.document.outcome is outcome and window.document.exportable and window.document.pending_export
    assert window.exports.export_protected(target) == target and is_complete(target)


# ------------------------------------------------------------------------------ out of memory
def _failing_second_call(monkeypatch):
    """``protect`` as the workflow calls it, running out of memory on its second call."""
    import guardpaint.core.workflow as workflow

    real, calls = workflow.protect, []

    def protect(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "protect", protect)
    return calls


def test_out_of_memory_fails_one_image_of_a_batch_and_it_goes_on(tmp_path, monkeypatch, capsys):
    folder, masks = tmp_path / "in", tmp_path / "masks"
    folder.mkdir(), masks.mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(make_photo(64, 80, seed=ord(name))).save(folder / f"{name}.png")
        mask = np.zeros((64, 80), np.uint8)
        mask[20:40, 30:50] = 255
        Image.fromarray(mask).save(masks / f"{name}.png")
    _failing_second_call(monkeypatch)
    code = main(["batch", str(folder), "--masks", str(masks), "-o", str(tmp_path / "out"), "--model",
                 str(save_tiny_weights(tmp_path / "tiny.pth")), "--iterations", "1", "--quiet", "--json"])
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 2 and [r["status"] for r in reports] == ["done", "failed", "done"]
    assert reports[1]["summary"].startswith("out of memory on the GPU: try a smaller region, memory saving")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]


def test_out_of_memory_in_the_app_is_one_message_and_the_work_stays(window, qtbot, files, monkeypatch):
    assert window.load_mask_file(files["mask"])
    mask, settings = window.document.mask("protection").copy(), window.document.settings
    _failing_second_call(monkeypatch)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    with qtbot.waitSignal(window.runner.failed, timeout=60_000):
        window.start_protection()
    assert window.errors[-1].startswith("Out of memory on the GPU: try a smaller region, memory saving")
    assert window.document.image is not None and (window.document.mask("protection") == mask).all()
    assert window.document.settings == settings and window.document.outcome is None


# ------------------------------------------------------------------------------ weights rewritten underneath
def test_a_weight_file_rewritten_after_loading_is_named_and_reloaded(tmp_path, photo, mask):
    weights = save_tiny_weights(tmp_path / "tiny.pth", seed=0)
    model = load_model(weights, torch.device("cpu"))
    outcome = protect_image(model, LoadedImage(photo), mask, ProtectionSettings(iterations=1))
    assert model.source_change() is None
    assert not any("changed on disk" in warning for warning in protection_report(outcome)["warnings"])
    os.utime(weights, (time.time() + 5, time.time() + 5))  # touched, same bytes: no change
    assert model.source_change() is None
    save_tiny_weights(weights, seed=1)  # really rewritten, other weights
    change = model.source_change()
    assert change.startswith("the weight file tiny.pth changed on disk after it was loaded")
    assert f"sha256 {model.sha256[:12]}" in change
    assert change in protection_report(outcome)["warnings"]
    cache = ModelCache()
    first = cache.get([str(weights)], "cpu")[0]
    assert cache.get([str(weights)], "cpu")[0] is first
    save_tiny_weights(weights, seed=2)
    assert cache.get([str(weights)], "cpu")[0] is not first  # the app's next protection reads the new file
    weights.unlink()
    assert "was removed or became unreadable" in first.source_change()


# ------------------------------------------------------------------------------ a damaged settings file
def test_a_damaged_settings_file_starts_with_the_defaults_and_says_so_once(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    path = tmp_path / "settings.ini"
    path.write_bytes(b"[protection\n\x00\xff garbage = = =\nepsilon=not a number\n[window]geometry=@ByteArray(\x01")
    window = open_window(qtbot, QSettings(str(path), QSettings.Format.IniFormat))
    assert window.panel.settings.settings() == ProtectionSettings()
    window.models.first_run = lambda force=False: None
    window.startup()
    assert len(window.errors) == 1 and "GuardPaint started with the default settings" in window.errors[0]


def test_unreadable_saved_values_are_named_and_set_back_to_defaults(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store.setValue("protection/version", 3)
    store.setValue("protection/iterations", "many")
    store.setValue("protection/budget", "everywhere")
    store.sync()
    window = open_window(qtbot, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert window.panel.settings.settings() == ProtectionSettings()
    assert "(iterations, budget)" in window.settings_problem and "set back to their defaults" in window.settings_problem


# ------------------------------------------------------------------------------ two writers
def test_a_claim_being_filled_is_respected_and_one_never_filled_is_taken_over(tmp_path):
    """Two batches starting together meet between a claim's creation and its filling: the second must not
    take the empty claim for a dead writer's (it did, and both wrote the first image)."""
    output = tmp_path / "p0.png"
    claim_path(output).touch()  # created, not filled yet
    with claimed(output) as mine:
        assert not mine
    long_ago = time.time() - 2 * UNFINISHED_CLAIM_GRACE
    os.utime(claim_path(output), (long_ago, long_ago))  # never filled: its writer died
    with claimed(output) as mine:
        assert mine and claim_path(output).read_text(encoding="utf-8").split("\n")[0] == str(os.getpid())
    assert not claim_path(output).exists()


def test_two_batches_on_one_folder_write_each_output_once_and_count_right(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for index in range(6):
        Image.fromarray(make_photo(64, 80, seed=index)).save(folder / f"p{index}.png")
        mask = np.zeros((64, 80), np.uint8)
        mask[20:40, 30:50] = 255
        Image.fromarray(mask).save(folder / f"p{index}.mask.png")
    weights = save_tiny_weights(tmp_path / "tiny.pth")
    argv = [sys.executable, "-m", "guardpaint", "batch", str(folder), "-o", str(out), "--model", str(weights),
            "--iterations", "2", "--quiet", "--json"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    reports = [[json.loads(line) for line in stdout.splitlines()] for stdout, _ in results]
    done = [r["input"]["image"] for lines in reports for r in lines if r["status"] == "done"]
    assert sorted(Path(image).name for image in done) == [f"p{i}.png" for i in range(6)]  # each written once
    for lines, (_, stderr) in zip(reports, results, strict=True):
        assert len(lines) == 6  # every image accounted for by each process: written here, or skipped
        written = sum(r["status"] == "done" for r in lines)
        assert f"{written} written" in stderr and f"{6 - written} skipped" in stderr
    assert all(is_complete(out / f"p{i}.png") for i in range(6))
    _no_leftovers(out)


# ------------------------------------------------------------------------------ a crash while painting
CRASHING_APP = """
import sys, time
import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from guardpaint.gui.shell import MainWindow
app = QApplication([])
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.ui.ask = lambda question: False
window.show()
assert window.open_image(sys.argv[2])
app.processEvents()
mask = np.zeros((96, 128), bool)
mask[20:50, 30:90] = True
window.canvas.set_mask(mask)  # as a brush would: the canvas tells the document
window.panel.settings.widget("iterations").setValue(7)
window.session.save()
print("saved", flush=True)
time.sleep(120)
"""


def test_a_killed_app_loses_no_brushing_the_next_start_restores_it(qtbot, tmp_path, files):
    from PySide6.QtCore import QSettings

    child = subprocess.Popen([sys.executable, "-c", CRASHING_APP, str(tmp_path / "first.ini"), str(files["image"])],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        assert child.stdout.readline().strip() == "saved", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    window = open_window(qtbot, QSettings(str(tmp_path / "second.ini"), QSettings.Format.IniFormat))
    window.session.offer_restore()
    qtbot.waitUntil(lambda: window.document.image is not None, timeout=30_000)
    assert "photo.png was open" in window.questions[-1]
    expected = np.zeros((96, 128), bool)
    expected[20:50, 30:90] = True
    assert (window.document.mask("protection") == expected).all()
    assert window.document.settings.iterations == 7 and window.panel.settings.widget("iterations").value() == 7
    assert list(window.session.autosave.folder.glob("autosave-*.npz")) == []  # restored, then discarded


def test_a_clean_close_leaves_nothing_to_restore(window, qtbot, files):
    assert window.load_mask_file(files["mask"])
    window.session.save()
    assert window.session.autosave.path.is_file()
    window.close()
    assert not window.session.autosave.path.exists()


def test_the_app_exits_cleanly_every_time(tmp_path):
    """The exit used to crash in about one run in three (Qt's and Python's destructors in the wrong order)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GUARDPAINT_EXIT_AFTER_MS": "300", "HOME": str(tmp_path)}
    codes = [subprocess.run([sys.executable, "-m", "guardpaint"], env=env, capture_output=True, timeout=120).returncode
             for _ in range(4)]
    assert codes == [0, 0, 0, 0]
