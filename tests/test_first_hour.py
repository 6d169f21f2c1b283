"""The first hour of a new user, item by item (issue 22): one truth in the window, masks by role, the
files the app is given, what the progress line says, and the small things that read wrong."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from guardpaint.cli.main import build_parser, opens_files
from guardpaint.core.io.images import mask_role
from guardpaint.core.protection.loop import IterationReport
from guardpaint.gui.first_run import FirstRunDialog
from guardpaint.gui.loss_plot import IterationAxis
from guardpaint.gui.protect_panel import ProtectPanel

from conftest import make_photo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _protect(window, qtbot, files):
    assert window.load_mask_file(files["mask"])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    return window.protection.outcome


def _save_dialog(monkeypatch, *answers):
    """Answer QFileDialog.getSaveFileName with ``answers`` in turn; the calls' (folder or suggestion, options)."""
    calls, queue = [], list(answers)

    def answer(parent, title, suggestion, filters, *args, options=None, **kwargs):
        calls.append((suggestion, options))
        return (str(queue.pop(0)) if queue else "", "")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return calls


def test_save_mask_names_the_mask_by_its_role_beside_the_image(window, files, monkeypatch):
    calls = _save_dialog(monkeypatch, files["dir"] / "photo.test-mask.png")
    window.panel.layer_test.setChecked(True)
    test = np.zeros((96, 128), bool)
    test[5:15, 5:25] = True
    window.canvas.set_mask(test, "test")
    window.act_save_mask.trigger()
    suggestion, _ = calls[0]
    assert suggestion == str(files["dir"] / "photo.test-mask.png")  # the image's folder, the test name
    assert mask_role(files["dir"] / "photo.test-mask.png") == "test"
    assert not window.masks.save(files["dir"] / "photo.mask.png", "test")  # the batch's name: refused
    assert "save the test mask as" in window.errors[-1] and not (files["dir"] / "photo.mask.png").exists()


def test_a_test_mask_goes_onto_the_protection_layer_only_when_the_user_says_so(window, files):
    test = np.zeros((96, 128), bool)
    test[5:15, 5:25] = True
    window.panel.layer_test.setChecked(True)
    window.canvas.set_mask(test, "test")
    assert window.masks.save(files["dir"] / "photo.test-mask.png", "test")
    window.panel.layer_protect.setChecked(True)
    questions = []
    window.ui.ask = lambda question: (questions.append(question), False)[1]
    assert not window.load_mask_file(files["dir"] / "photo.test-mask.png")
    assert "saved as a test mask" in questions[-1] and not window.document.mask("protection").any()
    window.ui.ask = lambda question: True
    assert window.load_mask_file(files["dir"] / "photo.test-mask.png")
    np.testing.assert_array_equal(window.document.mask("protection"), test)


def test_cancelling_a_second_run_leaves_nothing_to_export(window, qtbot, files):
    _protect(window, qtbot, files)
    assert window.act_export.isEnabled()
    window.panel.settings.iterations.setValue(500)
    window.runner.partial.connect(lambda value: window.runner.cancel() if isinstance(value, IterationReport)
                                  else None)
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.start_protection()
    assert window.protection.outcome is None and window.panel.eta.text() == "Cancelled"
    assert not window.act_export.isEnabled() and not window.act_report.isEnabled()
    assert window.exports.export_protected(files["dir"] / "out.png") is None
    assert not (files["dir"] / "out.png").exists()
    assert "Metrics appear after a protection" in window.preview.metrics.text()
    assert window.preview.edit_names() == [] and not window.document.pending_export


def test_the_first_run_dialog_shows_all_of_its_text(qtbot):
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    text = dialog.text
    assert text.height() >= text.heightForWidth(text.width())  # no line cut off
    assert text.geometry().bottom() < dialog.download_button.geometry().top()  # nor under the buttons


def test_guardpaint_image_opens_the_app_on_it(tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray(make_photo(20, 30)).save(photo)
    parser = build_parser()
    assert opens_files(parser, [str(photo)]) and opens_files(parser, [str(photo), str(photo)])
    assert not opens_files(parser, ["protect", str(photo)]) and not opens_files(parser, [str(tmp_path / "no.png")])


def test_files_given_open_the_first_offer_its_mask_and_keep_the_others(window, files):
    second = files["dir"] / "second.png"
    Image.fromarray(make_photo(40, 50, seed=4)).save(second)
    Image.open(files["mask"]).save(files["dir"] / "photo.mask.png")
    questions = []
    window.ui.ask = lambda question: (questions.append(question), True)[1]
    window.open_files([str(files["image"]), str(second)])
    assert window.image_path == files["image"] and "photo.mask.png" in questions[-1]
    assert window.document.mask("protection").any()  # accepted: the saved mask is loaded
    assert str(second.resolve()) in window.recent.paths()


def test_help_answers_without_importing_torch():
    probe = ("import sys\nfrom guardpaint.cli.main import main\n"
             "code = main(['--help'])\nprint(code, 'torch' in sys.modules, 'PySide6' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "0 False False"


def test_the_progress_line_says_what_runs_and_the_eta_leaves_out_the_first_iteration(window, qtbot, files):
    lines = []
    window.runner.partial.connect(lambda value: lines.append(window.panel.eta.text()))
    _protect(window, qtbot, files)
    assert lines[0] == "Loading the model…" and lines[1].startswith("Optimising on cpu")
    assert "timing the next iteration" in lines[2] and "ETA" in lines[3]
    assert any(line.startswith("Verifying the written PNG with tiny.pth") for line in lines)


def test_the_eta_comes_from_the_iterations_after_the_first(qtbot):
    panel = ProtectPanel(20)
    qtbot.addWidget(panel)
    panel.start_run(10)

    def report(iteration: int, elapsed: float) -> IterationReport:
        return IterationReport(iteration, 10, 0.1, 0.1, 0.1, 0.3, elapsed, strength=2.5)

    panel.show_iteration(report(1, 9.0))  # the first includes loading and warm-up
    assert "ETA" not in panel.eta.text()
    panel.show_iteration(report(2, 10.0))
    assert "1.00 s/it · ETA 8 s" in panel.eta.text()


def test_protect_folder_creates_its_output_folder(window, qtbot, files):
    src, out = files["dir"] / "folder", files["dir"] / "new" / "protected"
    src.mkdir()
    Image.fromarray(make_photo(64, 80)).save(src / "p.png")
    Image.open(files["mask"]).resize((80, 64)).save(src / "p.mask.png")
    window.show_batch()
    dialog = window.batch
    dialog.input.setText(str(src))
    dialog.output.setText(str(out))
    window.panel.settings.iterations.setValue(1)
    locked = []
    window.runner.partial.connect(lambda _: locked.append(not dialog.input.isEnabled()
                                                          and not dialog.output.isEnabled()))
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        dialog.start_button.click()
    assert (out / "p.png").is_file() and locked and all(locked)
    assert dialog.input.isEnabled() and dialog.summary.text().startswith("1 written (")


def test_thumbnails_are_decoded_once_in_the_background(window, qtbot, files, monkeypatch):
    from guardpaint.gui import batch_dialog

    decoded, decode = [], batch_dialog.thumbnail_pixels
    monkeypatch.setattr(batch_dialog, "thumbnail_pixels", lambda path: (decoded.append(path), decode(path))[1])
    src = files["dir"] / "thumbs"
    src.mkdir()
    Image.fromarray(make_photo(64, 80)).save(src / "p.png")
    window.show_batch()
    dialog = window.batch
    dialog.input.setText(str(src))
    with qtbot.waitSignal(dialog.thumbnails.ready, timeout=10_000):
        dialog.refresh()  # the table is there at once; the icon follows
    first = dialog.thumbnails.get(src / "p.png")
    assert first is not None and not first.isNull()
    dialog.refresh()
    assert dialog.thumbnails.get(src / "p.png") is first and not dialog.table.item(0, 0).icon().isNull()
    assert decoded == [src / "p.png"]  # once, whatever the refreshes


def test_a_test_edit_brings_the_edits_tab_forward(window, qtbot, files):
    _protect(window, qtbot, files)
    window.preview.tabs.setCurrentIndex(1)  # looking at the noise
    test = np.zeros((96, 128), bool)
    test[5:15, 5:25] = True
    window.canvas.set_mask(test, "test")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.panel.test_button.click()
    assert window.preview.tabs.currentIndex() == 0 and window.preview.which.currentText() == "test mask"


def test_the_preview_names_the_model_that_made_the_edits(window, qtbot, files):
    _protect(window, qtbot, files)
    assert window.preview.clean.caption == "tiny.pth edit of the original"
    assert window.preview.attacked.caption == "tiny.pth edit of the protected image"


def test_the_suite_table_shows_whole_results(window, qtbot, files):
    _protect(window, qtbot, files)
    with qtbot.waitSignal(window.runner.done, timeout=120_000):
        window.act_suite.trigger()
    table = window.protection.suite_dialog.table
    for row in range(table.rowCount()):
        item = table.item(row, 4)
        assert table.columnWidth(4) >= table.fontMetrics().horizontalAdvance(item.text())


def test_the_report_sheet_labels_its_panels(window, qtbot, files):
    from guardpaint.gui.export_controller import SHEET_LABEL_HEIGHT, comparison_sheet

    outcome = _protect(window, qtbot, files)
    sheet = comparison_sheet(outcome)
    box = next(iter(outcome.shown_edits().values()))[0]
    scale = -(-160 // box.width)
    assert sheet.shape[0] == SHEET_LABEL_HEIGHT + box.height * scale
    strips = np.split(sheet[:SHEET_LABEL_HEIGHT], 5, axis=1)
    assert all((strip < 128).any() and (strip == 255).mean() > 0.5 for strip in strips)  # dark text on white


def test_the_loss_plot_ticks_whole_iterations():
    axis = IterationAxis("bottom")
    for low, high in ((0, 3), (1, 2), (0, 40), (0, 1000)):
        values = [v for _, level in axis.tickValues(low, high, 400) for v in level]
        assert values and all(float(v).is_integer() for v in values)


def test_export_refuses_the_original_before_any_replace_question(window, qtbot, files, monkeypatch):
    _protect(window, qtbot, files)
    target = files["dir"] / "elsewhere.png"
    target.write_bytes(b"old")
    calls = _save_dialog(monkeypatch, files["image"], target)
    questions = []
    window.ui.ask = lambda question: (questions.append(question), True)[1]
    before = files["image"].read_bytes()
    assert window.exports.export_dialog() == target
    assert all(options == QFileDialog.Option.DontConfirmOverwrite for _, options in calls)  # not Qt's question
    assert "is the original image" in window.errors[0] and files["image"].read_bytes() == before
    assert any("already exists. Replace it?" in q for q in questions) and target.read_bytes() != b"old"


def test_the_exit_statuses_include_130():
    assert "130 interrupted" in " ".join(build_parser().epilog.split())


def test_a_large_image_decodes_in_the_background_and_protect_waits_for_it(window, qtbot, files, monkeypatch):
    from guardpaint.gui import file_menu

    monkeypatch.setattr(file_menu, "DECODE_AT_ONCE", 100)  # every test image counts as large
    assert window.load_mask_file(files["mask"]) and window.panel.protect_button.isEnabled()
    other = files["dir"] / "other.png"
    Image.fromarray(make_photo(50, 70, seed=2)).save(other)
    with qtbot.waitSignal(window.opener.opened, timeout=10_000):
        assert window.open_image(other)
        assert not window.panel.protect_button.isEnabled()  # the image being decoded replaces this one
    assert window.image_path == other and window.image.rgb.shape == (50, 70, 3)
    broken = files["dir"] / "broken.png"
    broken.write_bytes(other.read_bytes()[:300])  # the header reads, the pixels do not
    with qtbot.waitSignal(window.opener.failed, timeout=10_000):
        assert window.open_image(broken)
    assert window.image_path == other and window.errors  # the open image is kept, the error shown


def test_save_mask_never_writes_over_the_image(window, files):
    before = files["image"].read_bytes()
    assert not window.masks.save(files["image"], "protection")
    assert "is the image itself" in window.errors[-1] and files["image"].read_bytes() == before
