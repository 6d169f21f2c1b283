"""The first start: the choice between the demo and the real model, offered once, and its dialog's text."""
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from guardpaint.gui.dialogs import FirstRunDialog
from guardpaint.models import registry

from conftest import open_window

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_first_run_offers_the_choice_without_a_cached_model_and_remembers_it(qtbot, store):
    win = open_window(qtbot, store)
    assert win.models.needs_first_run() and win.models.spec == registry.DEMO_MODEL
    QTimer.singleShot(0, lambda: next(w for w in QApplication.topLevelWidgets()
                                      if isinstance(w, FirstRunDialog)).demo_button.click())
    win.models.first_run()
    assert win.models.spec == registry.DEMO_MODEL and not win.models.needs_first_run()
    assert not open_window(qtbot, store).models.needs_first_run()  # remembered


def test_first_run_is_silent_when_the_real_model_is_installed(qtbot, store):
    path = registry.model_path(registry.REAL_MODEL)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"cached")
    win = open_window(qtbot, store)
    assert not win.models.needs_first_run() and win.models.spec == registry.REAL_MODEL
    assert win.banner.isHidden() and win.models.named[registry.REAL_MODEL].isChecked()


def test_the_first_run_dialog_shows_all_of_its_text(qtbot):
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    text = dialog.text
    assert text.height() >= text.heightForWidth(text.width())  # no line cut off
    assert text.geometry().bottom() < dialog.download_button.geometry().top()  # nor under the buttons


def test_the_noise_generator_menu_says_none_ships_and_how_to_make_one(qtbot, store, monkeypatch):
    from guardpaint.gui.controllers import model_controller

    win = open_window(qtbot, store)
    asked, picked = [], []
    win.ui.ask = lambda question: asked.append(question) or False
    monkeypatch.setattr(model_controller.QFileDialog, "getOpenFileName", lambda *a, **k: picked.append(a) or ("", ""))
    assert win.models.choose_generator() is False
    assert "No noise generator ships with GuardPaint" in asked[0] and "guardpaint generator train" in asked[0]
    assert picked == []  # declined: no bare file picker
    win.ui.ask = lambda question: True
    assert win.models.choose_generator() is False and len(picked) == 1  # then the file, cancelled here
