"""Mask files in the app: saved by role beside the image, never over it, loaded onto the layer the user means."""
import numpy as np
import pytest

from guardpaint.core.io.images import mask_role

from conftest import answer_save_dialog

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_save_mask_names_the_mask_by_its_role_beside_the_image(window, files, monkeypatch):
    calls = answer_save_dialog(monkeypatch, files["dir"] / "photo.test-mask.png")
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


def test_save_mask_never_writes_over_the_image(window, files):
    before = files["image"].read_bytes()
    assert not window.masks.save(files["image"], "protection")
    assert "is the image itself" in window.errors[-1] and files["image"].read_bytes() == before


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
