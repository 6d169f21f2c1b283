"""The user always knows which model a protection is for, and every result is true for that model."""
import hashlib
import json

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from guardpaint.cli import main
from guardpaint.core.evaluation.report import REPORT_KEYS
from guardpaint.gui import first_run
from guardpaint.gui.main_window import MainWindow
from guardpaint.models import registry

from conftest import make_photo, make_tiny_generator
from high_gain import HighGainInpainter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def files(tmp_path):
    image = tmp_path / "photo.png"
    Image.fromarray(make_photo(64, 80)).save(image)
    mask = np.zeros((64, 80), np.uint8)
    mask[20:40, 30:52] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    for seed in (0, 1):
        torch.save(make_tiny_generator(seed=seed).state_dict(), tmp_path / f"tiny{seed}.pth")
    return tmp_path


@pytest.fixture
def store(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _window(qtbot, store):
    win = MainWindow(store)
    win.errors, win.questions = [], []
    win.ui.error = win.errors.append
    win.answer = True
    win.ui.ask = lambda question: (win.questions.append(question), win.answer)[1]
    qtbot.addWidget(win)
    win.show()
    return win


def _protect(win, qtbot, files, weights="tiny0.pth"):
    win.set_model(str(files / weights))
    win.panel.settings.iterations.setValue(2)
    assert win.open_image(files / "photo.png") and win.load_mask_file(files / "mask.png")
    with qtbot.waitSignal(win.runner.done, timeout=60_000):
        win.start_protection()
    return win.protection.outcome


def test_first_run_offers_the_choice_without_a_cached_model_and_remembers_it(qtbot, store):
    win = _window(qtbot, store)
    assert win.models.needs_first_run() and win.models.spec == registry.DEMO_MODEL
    QTimer.singleShot(0, lambda: next(w for w in QApplication.topLevelWidgets()
                                      if isinstance(w, first_run.FirstRunDialog)).demo_button.click())
    win.models.first_run()
    assert win.models.spec == registry.DEMO_MODEL and not win.models.needs_first_run()
    assert not _window(qtbot, store).models.needs_first_run()  # remembered


def test_first_run_is_silent_when_the_real_model_is_installed(qtbot, store):
    path = registry.model_path(registry.REAL_MODEL)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"cached")
    win = _window(qtbot, store)
    assert not win.models.needs_first_run() and win.models.spec == registry.REAL_MODEL
    assert win.banner.isHidden() and win.models.named[registry.REAL_MODEL].isChecked()


def test_demo_banner_and_the_check_mark_follow_the_active_model(qtbot, store, files):
    win = _window(qtbot, store)
    win.set_model(registry.DEMO_MODEL)
    assert not win.banner.isHidden() and win.models.named[registry.DEMO_MODEL].isChecked()
    assert "does <b>not</b> protect" in win.banner.label.text()
    win.set_model(str(files / "tiny0.pth"))
    assert win.banner.isHidden() and win.models.file_action.isChecked()
    assert win.models.file_action.text() == "Weight file: tiny0.pth"
    assert not win.models.named[registry.DEMO_MODEL].isChecked()
    assert "download" in win.models.named[registry.REAL_MODEL].text()  # not installed here


def test_export_of_a_protection_that_does_not_hold_asks_first(qtbot, store, files):
    win = _window(qtbot, store)
    outcome = _protect(win, qtbot, files)
    assert not outcome.protected and "What to try" in win.preview.metrics.text()
    win.answer = False
    target = files / "out.png"
    assert not win.exports.export_protected(target) and not target.exists()
    assert "does not hold" in win.questions[-1]
    win.answer = True
    assert win.exports.export_protected(target) and target.is_file()


def test_checks_after_a_model_switch_use_the_protections_model(qtbot, store, files):
    win = _window(qtbot, store)
    outcome = _protect(win, qtbot, files)
    win.set_model(str(files / "tiny1.pth"))
    assert not win.preview.notice.isHidden() and "tiny0.pth" in win.preview.notice_text.text()
    win.panel.layer_test.setChecked(True)
    test_mask = np.zeros((64, 80), bool)
    test_mask[2:12, 2:20] = True
    win.canvas.set_mask(test_mask, "test")
    with qtbot.waitSignal(win.runner.done, timeout=60_000) as done:
        win.start_test_edit()
    from guardpaint.core.editor.inpaint import Editor

    expected = Editor(outcome.model).inpaint(outcome.source.rgb, test_mask)
    (box, clean, _), = done.args[0].values()
    np.testing.assert_array_equal(clean, expected[box.slices])
    assert outcome.model.name == "tiny0.pth" and "tiny0.pth" in win.panel.eta.text()
    with qtbot.waitSignal(win.runner.done, timeout=60_000):
        win.act_suite.trigger()
    assert "tiny0.pth" in win.protection.suite_dialog.windowTitle()


def test_cli_and_app_write_reports_with_the_same_keys(qtbot, store, files, capsys):
    argv = ["protect", str(files / "photo.png"), "--mask", str(files / "mask.png"), "-o", str(files / "cli.png"),
            "--model", str(files / "tiny0.pth"), "--iterations", "2", "--json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    win = _window(qtbot, store)
    _protect(win, qtbot, files)
    assert win.exports.export_report(files / "app-report.json")
    app = json.loads((files / "app-report.json").read_text())

    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    assert tuple(cli) == tuple(app) == REPORT_KEYS
    for key in ("provenance", "settings", "optimisation", "imperceptibility", "input", "output", "timings"):
        assert set(shape(cli[key])) == set(shape(app[key])), key
    assert cli["provenance"]["models"][0]["sha256"] == app["provenance"]["models"][0]["sha256"]


def test_require_protected_exit_status(files, capsys, monkeypatch):
    argv = ["protect", str(files / "photo.png"), "--mask", str(files / "mask.png"), "-o", str(files / "o.png"),
            "--model", str(files / "tiny0.pth"), "--iterations", "2", "--require-protected", "--overwrite"]
    assert main(argv) == 3 and (files / "o.png").is_file()  # the file is still written; the status says it
    assert main([a for a in argv if a != "--require-protected"]) == 0
    monkeypatch.setattr("guardpaint.models.load_model", lambda spec, device: HighGainInpainter())
    assert main([*argv[:-2], "--iterations", "20", "--require-protected", "--overwrite"]) == 0
    capsys.readouterr()


def test_demo_protection_warns_and_reports_its_weights(files, capsys):
    argv = ["protect", str(files / "photo.png"), "--mask", str(files / "mask.png"), "-o", str(files / "d.png"),
            "--model", "demo", "--iterations", "1", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "big-lama" in warnings[0]
    report = json.loads(captured.out)
    demo = registry.model_path("demo")
    assert report["provenance"]["models"][0] == {
        "name": "demo", "family": "lama", "sha256": hashlib.sha256(demo.read_bytes()).hexdigest(),
        "parameters": report["provenance"]["models"][0]["parameters"], "path": str(demo)}
    assert report["protected"] is False and any("big-lama" in w for w in report["warnings"])


def test_models_list_says_what_the_demo_cannot_do(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "does not protect against big-lama" in out.replace("\n", " ").replace("  ", " ")


def test_the_app_protects_against_several_models_and_shows_each(qtbot, store, files):
    cached = registry.model_path(registry.REAL_MODEL)
    cached.parent.mkdir(parents=True, exist_ok=True)
    torch.save(make_tiny_generator(seed=5).state_dict(), cached)  # stands in for the real weights
    win = _window(qtbot, store)
    win.set_model(str(files / "tiny0.pth"))
    also = win.models.also_actions[registry.REAL_MODEL]
    assert also.isEnabled() and not also.isChecked()
    also.setChecked(True)
    assert win.models.specs() == [str(files / "tiny0.pth"), registry.REAL_MODEL]
    assert "tiny0.pth + big-lama" in win.status.model.text()
    outcome = _protect(win, qtbot, files)
    assert list(outcome.verifications) == ["tiny0.pth", "big-lama"]
    names = win.preview.edit_names()
    assert "tiny0.pth: region 1" in names and "big-lama: region 1" in names
    with qtbot.waitSignal(win.runner.done, timeout=60_000) as done:
        win.act_suite.trigger()
    assert set(done.args[0]) == {"tiny0.pth", "big-lama"}
    assert "tiny0.pth and big-lama" in win.protection.suite_dialog.windowTitle()
    assert not win.models.also_actions[registry.DEMO_MODEL].isChecked()
