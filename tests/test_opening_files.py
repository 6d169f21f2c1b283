"""Opening images: files given on the command line, drops, recent files, background decoding, bad files."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from guardpaint.cli.main import build_parser, opens_files
from guardpaint.gui.canvas import PROTECT

from conftest import make_photo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


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


def test_a_large_image_decodes_in_the_background_and_protect_waits_for_it(window, qtbot, files, monkeypatch):
    from guardpaint.gui.controllers import file_menu

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
