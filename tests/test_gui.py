"""GUI tests (pytest-qt, offscreen) on a tiny seeded model: paint, protect, cancel, export, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from guardpaint.gui.canvas import MAX_BRUSH, PROTECT, TEST
from guardpaint.gui.main_window import MainWindow

from conftest import make_photo, paint_stroke

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_paint_undo_redo_and_eraser(window):
    canvas = window.canvas
    canvas.set_brush_size(10)
    paint_stroke(canvas, [(20, 48), (100, 48)])
    mask = canvas.mask(PROTECT)
    assert mask[48, 30:90].all() and not mask[10, :].any() and not mask[:, 120:].any()
    assert not canvas.mask(TEST).any()
    window.set_tool(True)
    paint_stroke(canvas, [(60, 48), (60, 49)])
    assert not canvas.mask(PROTECT)[48, 60]
    canvas.undo()
    assert canvas.mask(PROTECT)[48, 60]
    canvas.undo()
    assert not canvas.mask(PROTECT).any()
    canvas.redo()
    np.testing.assert_array_equal(canvas.mask(PROTECT), mask)


def test_keys_change_brush_and_layers(window, qtbot):
    canvas = window.canvas
    canvas.set_brush_size(20)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_size > 20 and window.panel.brush_slider.value() == canvas.brush_size
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_size < 20
    window.toggle_layer()
    assert canvas.active == TEST
    paint_stroke(canvas, [(10, 10), (30, 10)])
    assert canvas.mask(TEST).any() and not canvas.mask(PROTECT).any()


def test_invert_clear_and_zoom(window):
    canvas = window.canvas
    canvas.invert_mask()
    assert canvas.mask(PROTECT).all()
    canvas.clear_mask()
    assert not canvas.mask(PROTECT).any()
    canvas.actual_size()
    assert canvas.zoom() == pytest.approx(1.0)
    canvas.zoom_by(2.0)
    assert canvas.zoom() == pytest.approx(2.0)
    assert window.status.zoom.text() == "200 %"


def test_protect_runs_to_completion_with_plot_and_preview(window, qtbot, files):
    assert window.load_mask_file(files["mask"])
    window.panel.layer_test.setChecked(True)
    paint_stroke(window.canvas, [(5, 85), (40, 85)])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    outcome = window.protection.outcome
    steps = outcome.result.steps  # auto strength: a second step where a region did not hold
    qtbot.waitUntil(lambda: window.panel.plot.point_count() == 3 * steps == len(outcome.result.history), timeout=5000)
    assert window.panel.progress.value() == 3
    assert outcome is not None and outcome.written.shape == (96, 128, 3)
    assert set(window.preview.edit_names()) == {"region 1", "ring around region 1", "test mask"}
    assert window.preview.clean.image is not None and window.preview.attacked.image is not None
    assert window.preview.compare.left is not None and window.preview.noise.image is not None
    assert "PSNR" in window.preview.metrics.text()
    with qtbot.waitSignal(window.runner.done, timeout=30_000):
        window.start_test_edit()
    assert window.errors == []


def test_attack_suite_fills_its_table_live_and_can_be_cancelled(window, qtbot, files):
    assert not window.act_suite.isEnabled()
    window.load_mask_file(files["mask"])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    assert window.act_suite.isEnabled()
    with qtbot.waitSignal(window.runner.done, timeout=60_000) as done:
        window.act_suite.trigger()
    (report,) = done.args[0].values()
    dialog = window.protection.suite_dialog
    assert dialog.table.rowCount() == len(report.cases) > 15
    assert "protection held in" in dialog.summary.text() and "attack suite" in window.panel.eta.text().lower()
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.act_suite.trigger()
        window.protection.suite_dialog.reject()  # closing the window stops its suite
    assert "Cancelled" in window.protection.suite_dialog.summary.text() and window.errors == []


def test_robust_level_plots_the_editor_attack_term(window, qtbot, files):
    window.load_mask_file(files["mask"])
    window.panel.settings.level.setCurrentText("robust")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    points = len(window.protection.outcome.result.history)
    qtbot.waitUntil(lambda: window.panel.plot.point_count() == points, timeout=5000)
    window.panel.plot._redraw()
    assert not window.panel.plot.toggles["robust"].isHidden()
    assert len(window.panel.plot.curves["robust"].getData()[0]) == points
    window.panel.plot.clear()
    assert window.panel.plot.toggles["robust"].isHidden()


def test_cancel_stops_within_an_iteration(window, qtbot, files):
    window.load_mask_file(files["mask"])
    window.panel.settings.iterations.setValue(500)
    window.runner.partial.connect(lambda _: window.runner.cancel())
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.start_protection()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10_000)
    assert window.panel.plot.point_count() <= 2
    assert window.protection.outcome is None and window.panel.eta.text() == "Cancelled"


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


def test_bad_files_show_an_error_and_keep_state(window, files):
    window.load_mask_file(files["mask"])
    before = window.canvas.mask(PROTECT).copy()
    broken = files["dir"] / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert not window.open_image(broken)
    small = files["dir"] / "small.png"
    Image.new("L", (10, 10)).save(small)
    assert not window.load_mask_file(small)
    assert len(window.errors) == 2 and "mask is 10x10" in window.errors[1]
    assert window.image_path == files["image"]
    np.testing.assert_array_equal(window.canvas.mask(PROTECT), before)


def test_bad_weights_fail_cleanly_and_keep_the_mask(window, qtbot, files):
    window.load_mask_file(files["mask"])
    bad = files["dir"] / "bad.pth"
    bad.write_bytes(b"garbage")
    window.set_model(str(bad))
    with qtbot.waitSignal(window.runner.failed, timeout=30_000):
        window.start_protection()
    assert window.errors and "cannot read weight file" in window.errors[-1]
    assert window.canvas.mask(PROTECT).any() and window.image is not None


def test_drop_opens_the_image_and_recent_files_remembered(window, files, store):
    other = files["dir"] / "other.png"
    Image.fromarray(make_photo(50, 70, seed=2)).save(other)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.image.size == (70, 50)
    assert store.value("recent")[0].endswith("other.png")
    assert [a.text() for a in window.recent_menu.actions()][:2] == ["other.png", "photo.png"]


def test_closing_mid_run_stops_the_worker_and_saves_settings(qtbot, store, files):
    win = MainWindow(store)
    win.ui.error = lambda message: None
    win.set_model(str(files["weights"]))
    win.open_image(files["image"])
    win.load_mask_file(files["mask"])
    win.panel.settings.iterations.setValue(400)
    win.panel.settings.strength.setValue(4.5)
    with qtbot.waitSignal(win.runner.partial, timeout=60_000):
        win.start_protection()
    win.close()
    assert not win.runner.is_busy() and not win.isVisible()  # gone at once, even if a step is finishing
    qtbot.waitUntil(lambda: not win.runner.has_running_threads(), timeout=30_000)
    again = MainWindow(store)
    assert again.panel.settings.strength.value() == pytest.approx(4.5)
    assert again.models.spec == str(files["weights"])
    again.close()


def test_settings_panel_maps_to_core_settings(window):
    panel = window.panel.settings
    panel.strength.setValue(12.5)
    panel.target.setCurrentText("blue")
    settings = panel.settings()
    assert settings.epsilon == pytest.approx(12.5 / 255) and settings.target_colour == (0, 0, 255)
    panel.custom_colour = (10, 20, 30)
    panel.target.setCurrentText("custom…")
    assert panel.settings().target_colour == (10, 20, 30)
    panel.target.setCurrentText("auto")
    assert panel.settings().target_colour is None and panel.settings().iterations == 3
    assert panel.settings().level == "standard"
    panel.level.setCurrentText("robust")
    assert panel.settings().level == "robust"


def test_the_basic_panel_is_two_knobs_and_maximum_strength_is_one_named_choice_away(window, store):
    from guardpaint.core.protection.settings import MAXIMUM_STRENGTH, ProtectionSettings

    panel = window.panel.settings
    default = panel.settings()
    assert default.budget == "adaptive" and default.auto_strength
    assert default.epsilon == pytest.approx(ProtectionSettings().epsilon)
    assert not panel.level.isVisibleTo(window) and not panel.budget.isVisibleTo(window)  # in Advanced
    assert panel.strength.isVisibleTo(window) and panel.iterations.isVisibleTo(window)
    panel.maximum.setChecked(True)
    chosen = panel.settings()
    assert (chosen.epsilon, chosen.budget, chosen.auto_strength) == (MAXIMUM_STRENGTH, "uniform", False)
    assert not panel.strength.isEnabled() and "visible on smooth areas" in panel.maximum.text()
    panel.maximum.setChecked(False)
    panel.save(store)
    store.setValue("protection/version", 1)  # a settings file from before: it saved the old default strength
    store.setValue("protection/strength", 6.4)
    panel.strength.setValue(3.0)
    panel.restore(store)
    assert panel.strength.value() == pytest.approx(3.0)  # not the old default


def test_shortcut_table_is_generated_from_the_actions(window):
    from PySide6.QtGui import QKeySequence

    from guardpaint.gui.shortcuts import shortcut_rows

    rows = shortcut_rows(window.actions())
    listed = {key.strip() for keys, _ in rows for key in keys.split(" / ")}
    for action in window.actions():
        for shortcut in action.shortcuts():
            assert shortcut.toString(QKeySequence.SequenceFormat.NativeText) in listed, action.text()
    assert ("Ctrl+Shift+Z / Ctrl+Y", "Redo") in rows and ("Wheel", "zoom around the cursor") in rows


def test_first_five_minutes_empty_window_and_disabled_actions(qtbot, store):
    win = MainWindow(store)
    qtbot.addWidget(win)
    win.show()
    assert win.stack.currentWidget() is win.empty
    for action in (win.act_undo, win.act_redo, win.act_brush, win.act_eraser, win.act_protect, win.act_export):
        assert not action.isEnabled(), action.text()
    win.empty.sample_button.click()
    assert win.image is not None and win.stack.currentWidget() is win.canvas
    assert all(a.isEnabled() for a in (win.act_undo, win.act_redo, win.act_brush, win.act_eraser))
    assert win.panel.brush_slider.maximum() == MAX_BRUSH


def test_transparent_pixels_are_drawn_on_a_checkerboard(window, files):
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., 3] = 0
    rgba[10:30, 10:50] = (200, 30, 30, 255)
    path = files["dir"] / "transparent.png"
    Image.fromarray(rgba, "RGBA").save(path)
    assert window.open_image(path)
    shot = window.canvas.viewport().grab().toImage()
    centre = window.canvas.mapFromScene(QPointF(3, 3))
    assert shot.rect().contains(centre) and window.canvas.zoom() > 1  # fitted to the view, not to nothing
    colours = {shot.pixelColor(centre.x() + dx, centre.y() + dy).name() for dx in range(20) for dy in range(20)}
    assert len(colours) >= 2 and all(c in ("#999999", "#cccccc") for c in colours), colours


def test_a_new_image_never_receives_the_old_images_result(window, qtbot, files):
    window.load_mask_file(files["mask"])
    window.panel.settings.iterations.setValue(400)
    with qtbot.waitSignal(window.runner.partial, timeout=60_000):
        window.start_protection()
    other = files["dir"] / "other.png"
    Image.fromarray(make_photo(50, 70, seed=2)).save(other)
    assert window.open_image(other)  # replaces (cancels) the running job
    qtbot.waitUntil(lambda: not window.runner.has_running_threads(), timeout=30_000)
    qtbot.wait(100)
    assert window.protection.outcome is None and window.panel.plot.point_count() == 0
    assert window.image.size == (70, 50) and window.panel.eta.text() == ""


def test_export_never_suggests_or_overwrites_the_input(window, qtbot, files):
    from guardpaint.gui.export_controller import export_suggestion

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


def test_a_large_photo_is_protected_and_shown_region_by_region(window, qtbot, files):
    big = files["dir"] / "big.png"
    Image.fromarray(make_photo(900, 1000, seed=3)).save(big)
    assert window.open_image(big)
    mask = np.zeros((900, 1000), bool)
    mask[100:150, 100:160] = True
    mask[700:760, 800:850] = True
    window.canvas.set_mask(mask)
    window.panel.settings.iterations.setValue(2)
    progress = []
    window.runner.partial.connect(lambda report: progress.append(window.panel.eta.text()))
    with qtbot.waitSignal(window.runner.done, timeout=120_000):
        window.start_protection()
    outcome = window.protection.outcome
    assert len(outcome.result.windows) == 2 and any("2 windows" in line for line in progress)
    names = window.preview.edit_names()
    assert {"region 1", "region 2", "ring around region 1", "ring around region 2"} <= set(names)
    listed = window.preview.regions
    assert listed.isVisibleTo(window) and listed.count() == 2
    assert [listed.item(i).text().split(":")[0] for i in range(2)] == ["Region 1", "Region 2"]
    listed.setCurrentRow(1)  # selecting a region shows its crop
    assert window.preview.which.currentText() == "region 2"
    clean, _ = outcome.verification.edits["region 2"]
    assert clean.shape[0] < 400 and clean.shape[1] < 400  # the editor's crop, not the photo
    assert window.preview.compare.left.width() == clean.shape[1]
    assert outcome.verification.edit_boxes["region 2"] == outcome.result.regions[1].crop((900, 1000))


def test_protect_folder_fills_its_table_stops_resumes_and_opens_rows(window, qtbot, files):
    src, out = files["dir"] / "folder", files["dir"] / "protected"
    src.mkdir(), out.mkdir()
    for index in range(3):
        Image.fromarray(make_photo(64, 80, seed=index)).save(src / f"p{index}.png")
        if index != 1:
            Image.open(files["mask"]).resize((80, 64)).save(src / f"p{index}.mask.png")
    window.show_batch()
    dialog = window.batch
    dialog.input.setText(str(src))
    dialog.output.setText(str(out))
    assert dialog.refresh() and dialog.table.rowCount() == 3
    assert [dialog.table.item(r, 2).text() for r in range(3)] == ["p0.mask.png", "not found", "p2.mask.png"]
    window.panel.settings.iterations.setValue(3)
    window.runner.partial.connect(lambda value: window.runner.cancel() if value[1] is not None else None)
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        dialog.start_button.click()  # stopped after the first image finishes
    assert "resume" in dialog.summary.text() and dialog.start_button.isEnabled()
    window.runner.partial.disconnect()
    window.panel.settings.iterations.setValue(2)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        dialog.start_button.click()
    statuses = [dialog.table.item(r, 3).text() for r in range(3)]
    assert statuses[1] == "skipped" and statuses[0] in ("done", "skipped") and statuses[2] == "done"
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p2.png"]
    assert dialog.table.item(2, 5).text() in ("held", "not held") and "dB" in dialog.table.item(2, 4).text()
    dialog.table.cellDoubleClicked.emit(2, 1)
    assert window.image_path == src / "p2.png" and window.canvas.mask(PROTECT).any()


def test_opening_an_image_during_a_batch_is_refused_and_the_batch_goes_on(window, qtbot, files):
    src, out = files["dir"] / "slow", files["dir"] / "slow-out"
    src.mkdir(), out.mkdir()
    Image.fromarray(make_photo(64, 80)).save(src / "a.png")
    Image.open(files["mask"]).resize((80, 64)).save(src / "a.mask.png")
    window.show_batch()
    window.batch.input.setText(str(src))
    window.batch.output.setText(str(out))
    window.panel.settings.iterations.setValue(500)
    with qtbot.waitSignal(window.runner.partial, timeout=60_000):
        window.batch.start_button.click()
    assert not window.batch.start_button.isEnabled()
    assert not window.open_image(files["image"])  # would stop the batch: refused, with the reason
    assert "A folder is being protected" in window.errors[-1] and window.runner.is_busy()
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.batch.stop_button.click()
    assert window.batch.start_button.isEnabled() and "Stopped" in window.batch.summary.text()
    window.batch.mark(0, {"status": "done", "summary": "ok", "imperceptibility": {"psnr": None}, "protected": False})
    assert window.batch.table.item(0, 4).text() == "identical"
