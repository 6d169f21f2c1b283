"""Which model a protection is for: the active model in menu and banner, the demo's warnings, checks after a switch."""
import hashlib
import json

import numpy as np
import pytest

from guardpaint.cli import main
from guardpaint.models import registry

from conftest import open_window, protect_case

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_demo_banner_and_the_check_mark_follow_the_active_model(qtbot, store, weights_pair):
    tiny0, _ = weights_pair
    win = open_window(qtbot, store)
    win.set_model(registry.DEMO_MODEL)
    assert not win.banner.isHidden() and win.models.named[registry.DEMO_MODEL].isChecked()
    assert "does <b>not</b> protect" in win.banner.label.text()
    win.set_model(str(tiny0))
    assert win.banner.isHidden() and win.models.file_action.isChecked()
    assert win.models.file_action.text() == "Weight file: tiny0.pth"
    assert not win.models.named[registry.DEMO_MODEL].isChecked()
    assert "download" in win.models.named[registry.REAL_MODEL].text()  # not installed here


def test_checks_after_a_model_switch_use_the_protections_model(qtbot, store, case, weights_pair):
    tiny0, tiny1 = weights_pair
    win = open_window(qtbot, store)
    outcome = protect_case(win, qtbot, case, tiny0)
    win.set_model(str(tiny1))
    assert not win.preview.notice.isHidden() and "tiny0.pth" in win.preview.notice_text.text()
    win.panel.layer_test.setChecked(True)
    test_mask = np.zeros((64, 80), bool)
    test_mask[2:12, 2:20] = True
    win.canvas.set_mask(test_mask, "test")
    with qtbot.waitSignal(win.runner.done, timeout=60_000) as done:
        win.start_test_edit()
    from guardpaint.core.editor.inpaint import Editor

    expected = Editor(outcome.model).inpaint(outcome.source.rgb, test_mask)
    box, clean, _ = done.args[0]["IOPaint: test mask"]
    np.testing.assert_array_equal(clean, expected[box.slices])
    assert outcome.model.name == "tiny0.pth" and "tiny0.pth" in win.panel.eta.text()
    with qtbot.waitSignal(win.runner.done, timeout=60_000):
        win.act_suite.trigger()
    assert "tiny0.pth" in win.protection.suite_dialog.windowTitle()


def test_demo_protection_warns_and_reports_its_weights(case, capsys):
    argv = ["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(case["dir"] / "d.png"),
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


def test_models_list_says_no_generator_ships_and_how_to_train_one(capsys):
    assert main(["models", "list"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "No noise generator ships with GuardPaint" in out
    assert "guardpaint generator train --model big-lama" in out
    assert main(["models", "--json", "list"]) == 0
    assert "generator train" in json.loads(capsys.readouterr().out)["generators"]
