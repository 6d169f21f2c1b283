"""Protection against several models at once: the loop, the verdict, the command line and the app."""
import json

import numpy as np
import pytest
from PIL import Image

from guardpaint.cli import main
from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_image
from guardpaint.models import registry

from conftest import IOPAINT, make_mask, make_photo, make_tiny_model, open_window, protect_case, save_tiny_weights
from high_gain import HighGainInpainter

FAST = ProtectionSettings(iterations=4, epsilon=0.1, precision="fp32", editors=IOPAINT)


def test_a_two_model_ensemble_reports_both_and_keeps_the_worst_models_best():
    photo, mask = make_photo(), make_mask()
    a, b = make_tiny_model(seed=0, name="a"), make_tiny_model(seed=1, name="b")
    result = protect([a, b], photo, mask, FAST)
    for report in result.history:
        assert len(report.model_totals) == 2
        assert report.total == pytest.approx(max(report.model_totals), rel=1e-5)  # one window: the worst model
    assert result.best_loss <= min(report.total for report in result.history) + 1e-6
    outcome = protect_image([a, b], LoadedImage(photo), mask, FAST)
    report = protection_report(outcome)
    assert [m["name"] for m in report["provenance"]["models"]] == ["a", "b"]
    assert len({m["sha256"] for m in report["provenance"]["models"]}) == 2
    assert [e["model"] for e in report["edits"]] == ["a", "b"]


def test_the_verdict_needs_every_model():
    photo, mask = make_photo(), make_mask()
    moved, unmoved = HighGainInpainter(name="moved"), HighGainInpainter(gain=0.0, name="unmoved")
    alone = protect_image(moved, LoadedImage(photo), mask, ProtectionSettings(editors=IOPAINT))
    both = protect_image([moved, unmoved], LoadedImage(photo), mask, ProtectionSettings(editors=IOPAINT))
    assert alone.protected and not both.protected
    assert both.verifications["moved"]["iopaint"].holds and not both.verifications["unmoved"]["iopaint"].holds
    assert protection_report(both)["summary"].startswith("Not protected against unmoved")


def test_cli_takes_several_models(tmp_path, capsys):
    photo, mask = make_photo(), make_mask()
    Image.fromarray(photo).save(tmp_path / "p.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "m.png")
    for seed in (0, 1):
        save_tiny_weights(tmp_path / f"w{seed}.pth", seed=seed)
    assert main(["protect", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                 "--model", str(tmp_path / "w0.pth"), "--model", str(tmp_path / "w1.pth"), "--iterations", "2",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in report["provenance"]["models"]] == ["w0.pth", "w1.pth"]
    assert len(report["optimisation"]["final_losses"]["model_totals"]) == 2
    assert main(["inpaint", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "i.png"),
                 "--model", str(tmp_path / "w0.pth"), "--model", str(tmp_path / "w1.pth")]) == 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_app_protects_against_several_models_and_shows_each(qtbot, store, case, weights_pair):
    tiny0, _ = weights_pair
    cached = registry.model_path(registry.REAL_MODEL)
    cached.parent.mkdir(parents=True, exist_ok=True)
    save_tiny_weights(cached, seed=5)  # stands in for the real weights
    win = open_window(qtbot, store)
    win.set_model(str(tiny0))
    also = win.models.also_actions[registry.REAL_MODEL]
    assert also.isEnabled() and not also.isChecked()
    also.setChecked(True)
    assert win.models.specs() == [str(tiny0), registry.REAL_MODEL]
    assert "tiny0.pth + big-lama" in win.status.model.text()
    outcome = protect_case(win, qtbot, case, tiny0)
    assert list(outcome.verifications) == ["tiny0.pth", "big-lama"]
    names = win.preview.edit_names()
    assert "tiny0.pth, IOPaint: region 1" in names and "big-lama, ComfyUI: region 1" in names
    with qtbot.waitSignal(win.runner.done, timeout=60_000) as done:
        win.act_suite.trigger()
    assert set(done.args[0]) == {"tiny0.pth", "big-lama"}
    assert "tiny0.pth and big-lama" in win.protection.suite_dialog.windowTitle()
    assert not win.models.also_actions[registry.DEMO_MODEL].isChecked()
