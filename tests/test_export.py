"""Exporting results: only a verified protection, never over the original, reports and sheets that match the file."""
import json

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from guardpaint.cli import main
from guardpaint.core.evaluation.report import REPORT_KEYS
from guardpaint.core.protection.loop import IterationReport

from conftest import answer_save_dialog, make_photo, open_window, protect_case, protect_in_window

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_export_writes_the_verified_png(window, qtbot, files):
    window.load_mask_file(files["mask"])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    target = files["dir"] / "out.png"
    assert window.exports.export_protected(target)
    written = np.array(Image.open(target))
    np.testing.assert_array_equal(written, window.protection.outcome.written)
    assert np.abs(written.astype(int) - make_photo(96, 128)).max() <= 7
    assert window.exports.export_protected(files["dir"] / "same.webp")  # the same pixels, losslessly
    np.testing.assert_array_equal(np.array(Image.open(files["dir"] / "same.webp")), written)
    assert not window.exports.export_protected(files["dir"] / "lossy.jpg")  # new, unmeasured pixels: refused
    assert not (files["dir"] / "lossy.jpg").exists() and "protect again" in window.errors[-1]
    assert window.exports.export_report(files["dir"] / "report.json")
    assert (files["dir"] / "report-sheet.png").is_file()
    assert window.exports.export_protected(files["dir"] / "x-sheet.png")
    assert not window.exports.export_report(files["dir"] / "x.json")  # its sheet would replace the export
    assert "would replace the original or the exported image" in window.errors[-1]


def test_export_never_suggests_or_overwrites_the_input(window, qtbot, files):
    from guardpaint.gui.controllers import export_suggestion

    clash = files["dir"] / "photo-protected.png"
    Image.fromarray(make_photo(96, 128)).save(clash)
    assert export_suggestion(files["dir"], clash, "protected.png").name == "photo-protected-protected.png"
    assert export_suggestion(files["dir"], files["image"], "protected.png").name == "photo-protected.png"
    window.load_mask_file(files["mask"])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    before = files["image"].read_bytes()
    assert not window.exports.export_protected(files["image"])
    assert files["image"].read_bytes() == before and "original image" in window.errors[-1]


def test_export_refuses_the_original_before_any_replace_question(window, qtbot, files, monkeypatch):
    protect_in_window(window, qtbot, files["mask"])
    target = files["dir"] / "elsewhere.png"
    target.write_bytes(b"old")
    calls = answer_save_dialog(monkeypatch, files["image"], target)
    questions = []
    window.ui.ask = lambda question: (questions.append(question), True)[1]
    before = files["image"].read_bytes()
    assert window.exports.export_dialog() == target
    assert all(options == QFileDialog.Option.DontConfirmOverwrite for _, options in calls)  # not Qt's question
    assert "is the original image" in window.errors[0] and files["image"].read_bytes() == before
    assert any("already exists. Replace it?" in q for q in questions) and target.read_bytes() != b"old"


def test_cancelling_a_second_run_leaves_nothing_to_export(window, qtbot, files):
    protect_in_window(window, qtbot, files["mask"])
    assert window.act_export.isEnabled()
    window.panel.settings.widget("iterations").setValue(500)
    window.runner.partial.connect(lambda value: window.runner.cancel() if isinstance(value, IterationReport)
                                  else None)
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.start_protection()
    assert window.protection.outcome is None and window.panel.eta.text() == "Cancelled"
    assert not window.act_export.isEnabled() and not window.act_report.isEnabled()
    assert window.exports.export_protected(files["dir"] / "out.png") is None
    assert not (files["dir"] / "out.png").exists()
    assert "The verdict appears here after a protection" in window.preview.verdict.text()
    assert window.preview.edit_names() == [] and not window.document.pending_export


def test_export_of_a_protection_that_does_not_hold_asks_first(qtbot, store, case):
    win = open_window(qtbot, store)
    outcome = protect_case(win, qtbot, case, case["model"])
    assert not outcome.protected and "What can help" in win.preview.verdict.text()
    win.answer = False
    target = case["dir"] / "out.png"
    assert not win.exports.export_protected(target) and not target.exists()
    assert win.questions[-1].startswith("Not protected against tiny.pth") and "Export it anyway?" in win.questions[-1]
    win.answer = True
    assert win.exports.export_protected(target) and target.is_file()


def test_the_report_sheet_labels_its_panels(window, qtbot, files):
    from guardpaint.gui.controllers import SHEET_LABEL_HEIGHT, comparison_sheet

    outcome = protect_in_window(window, qtbot, files["mask"])
    sheet = comparison_sheet(outcome)
    box = next(iter(outcome.shown_edits().values()))[0]
    scale = -(-160 // box.width)
    assert sheet.shape[0] == SHEET_LABEL_HEIGHT + box.height * scale
    strips = np.split(sheet[:SHEET_LABEL_HEIGHT], 5, axis=1)
    assert all((strip < 128).any() and (strip == 255).mean() > 0.5 for strip in strips)  # dark text on white


def test_cli_and_app_write_reports_with_the_same_keys(qtbot, store, case, capsys):
    argv = ["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(case["dir"] / "cli.png"),
            "--model", str(case["model"]), "--iterations", "2", "--json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    win = open_window(qtbot, store)
    protect_case(win, qtbot, case, case["model"])
    assert win.exports.export_report(case["dir"] / "app-report.json")
    app = json.loads((case["dir"] / "app-report.json").read_text())

    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    assert tuple(cli) == tuple(app) == REPORT_KEYS
    for key in ("provenance", "settings", "optimisation", "imperceptibility", "input", "output", "timings"):
        assert set(shape(cli[key])) == set(shape(app[key])), key
    assert cli["provenance"]["models"][0]["sha256"] == app["provenance"]["models"][0]["sha256"]


def test_a_jpeg_report_is_measured_on_the_jpeg_file():
    from guardpaint.core.evaluation.report import protection_report
    from guardpaint.core.io.formats import OutputFormat, decode_image
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.settings import ProtectionSettings
    from guardpaint.core.workflow import protect_image

    from conftest import make_mask, make_tiny_model

    photo, mask, model = make_photo(64, 80, seed=3), make_mask(), make_tiny_model()
    settings = ProtectionSettings(iterations=2)
    png = protection_report(protect_image(model, LoadedImage(photo), mask, settings))
    outcome = protect_image(model, LoadedImage(photo), mask, settings, fmt=OutputFormat("jpeg", 70))
    jpeg = protection_report(outcome)
    np.testing.assert_array_equal(decode_image(outcome.data), outcome.written)  # measured on the file's pixels
    assert png["output"]["format"] == "png" and jpeg["output"] == {**jpeg["output"], "format": "jpeg", "quality": 70}
    assert png["settings"]["jpeg_quality"] is None and jpeg["settings"]["jpeg_quality"] == 70
    # JPEG's own loss shows in the measurements: beyond the noise budget, and a lower PSNR.
    assert png["imperceptibility"]["max_abs_diff"] <= 7 < jpeg["imperceptibility"]["max_abs_diff"]
    assert jpeg["imperceptibility"]["psnr"] < png["imperceptibility"]["psnr"]
