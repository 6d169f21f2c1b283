"""The results shown after a protection: the edits and their captions, region by region, and the suite's table."""
import numpy as np
import pytest
from PIL import Image

from conftest import make_photo, protect_in_window

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_preview_names_the_model_and_the_editor_that_made_the_edits(window, qtbot, files):
    protect_in_window(window, qtbot, files["mask"])
    assert window.preview.which.currentText() == "IOPaint: region 1"
    assert window.preview.clean.caption == "Edit of the original (tiny.pth in IOPaint)"
    assert window.preview.attacked.caption == "Edit of the protected image (tiny.pth in IOPaint)"
    window.preview.which.setCurrentText("ComfyUI: region 1")
    assert window.preview.clean.caption == "Edit of the original (tiny.pth in ComfyUI)"


def test_a_test_edit_brings_the_edits_tab_forward(window, qtbot, files):
    protect_in_window(window, qtbot, files["mask"])
    window.preview.tabs.setCurrentIndex(1)  # looking at the noise
    test = np.zeros((96, 128), bool)
    test[5:15, 5:25] = True
    window.canvas.set_mask(test, "test")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.panel.test_button.click()
    assert window.preview.tabs.currentIndex() == 0 and window.preview.which.currentText().endswith(": test mask")
    assert {"IOPaint: test mask", "ComfyUI: test mask"} <= set(window.preview.edit_names())


def test_a_large_photo_is_protected_and_shown_region_by_region(window, qtbot, files):
    big = files["dir"] / "big.png"
    Image.fromarray(make_photo(900, 1000, seed=3)).save(big)
    assert window.open_image(big)
    mask = np.zeros((900, 1000), bool)
    mask[100:150, 100:160] = True
    mask[700:760, 800:850] = True
    window.canvas.set_mask(mask)
    window.panel.settings.widget("iterations").setValue(2)
    window.panel.settings.widget("editors").set(("iopaint",))  # IOPaint's crops: the noise stays in them
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


def test_attack_suite_fills_its_table_live_and_can_be_cancelled(window, qtbot, files):
    assert not window.act_suite.isEnabled()
    window.load_mask_file(files["mask"])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    assert window.act_suite.isEnabled()
    seen = []
    window.runner.partial.connect(lambda _: seen.append(window.protection.suite_dialog.summary.text()))
    with qtbot.waitSignal(window.runner.done, timeout=60_000) as done:
        window.act_suite.trigger()
    (report,) = done.args[0].values()
    dialog = window.protection.suite_dialog
    assert dialog.table.rowCount() == len(report.cases) == dialog.total > 15  # counted before it ran
    assert any(f"of {dialog.total} cases done" in line for line in seen)
    results = {dialog.table.item(row, 4).text() for row in range(dialog.table.rowCount())}
    assert results <= {"held", "broken: the edit works"} and dialog.table.horizontalHeaderItem(4).text() == "Protection"
    assert "the protection held against" in dialog.summary.text() and "attack suite" in window.panel.eta.text().lower()
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        window.act_suite.trigger()
        window.protection.suite_dialog.reject()  # closing the window stops its suite
    assert "Cancelled" in window.protection.suite_dialog.summary.text() and window.errors == []


def test_the_suite_table_shows_whole_results(window, qtbot, files):
    protect_in_window(window, qtbot, files["mask"])
    with qtbot.waitSignal(window.runner.done, timeout=120_000):
        window.act_suite.trigger()
    table = window.protection.suite_dialog.table
    for row in range(table.rowCount()):
        item = table.item(row, 4)
        assert table.columnWidth(4) >= table.fontMetrics().horizontalAdvance(item.text())
