"""Protect folder in the app: table and thumbnails, stop and resume, a new output folder, no other image meanwhile."""
import pytest
from PIL import Image

from guardpaint.gui.canvas import PROTECT

from conftest import make_photo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


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
    window.panel.settings.widget("iterations").setValue(3)
    window.runner.partial.connect(lambda value: window.runner.cancel() if value[1] is not None else None)
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        dialog.start_button.click()  # stopped after the first image finishes
    assert "resume" in dialog.summary.text() and dialog.start_button.isEnabled()
    window.runner.partial.disconnect()
    window.panel.settings.widget("iterations").setValue(2)
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
    window.panel.settings.widget("iterations").setValue(500)
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


def test_protect_folder_creates_its_output_folder(window, qtbot, files):
    src, out = files["dir"] / "folder", files["dir"] / "new" / "protected"
    src.mkdir()
    Image.fromarray(make_photo(64, 80)).save(src / "p.png")
    Image.open(files["mask"]).resize((80, 64)).save(src / "p.mask.png")
    window.show_batch()
    dialog = window.batch
    dialog.input.setText(str(src))
    dialog.output.setText(str(out))
    window.panel.settings.widget("iterations").setValue(1)
    locked = []
    window.runner.partial.connect(lambda _: locked.append(not dialog.input.isEnabled()
                                                          and not dialog.output.isEnabled()))
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        dialog.start_button.click()
    assert (out / "p.png").is_file() and locked and all(locked)
    assert dialog.input.isEnabled() and dialog.summary.text().startswith("1 written (")


def test_thumbnails_are_decoded_once_in_the_background(window, qtbot, files, monkeypatch):
    from guardpaint.gui.dialogs import batch_dialog

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
