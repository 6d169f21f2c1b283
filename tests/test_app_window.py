"""The main window around the work: the empty first window, the settings panel and its saved values, shortcuts."""
import pytest

from guardpaint.gui.canvas import MAX_BRUSH
from guardpaint.gui.shell import MainWindow

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


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


def test_settings_panel_maps_to_core_settings(window):
    panel = window.panel.settings
    panel.widget("epsilon").setValue(12.5)
    panel.widget("target_colour").setCurrentText("blue")
    settings = panel.settings()
    assert settings.epsilon == pytest.approx(12.5 / 255) and settings.target_colour == (0, 0, 255)
    panel.fields["target_colour"].set((10, 20, 30))  # a custom colour, as the colour dialog gives it
    assert panel.settings().target_colour == (10, 20, 30)
    assert panel.widget("target_colour").currentText() == "#0a141e"
    panel.widget("target_colour").setCurrentText("auto")
    assert panel.settings().target_colour is None and panel.settings().iterations == 3
    assert panel.settings().level == "standard"
    panel.widget("level").setCurrentText("robust")
    assert panel.settings().level == "robust"


def test_the_basic_panel_is_two_knobs_and_maximum_strength_is_one_named_choice_away(window, store):
    from guardpaint.core.protection.settings import MAXIMUM_STRENGTH, ProtectionSettings

    panel = window.panel.settings
    default = panel.settings()
    assert default.budget == "adaptive" and default.auto_strength
    assert default.epsilon == pytest.approx(ProtectionSettings().epsilon)
    assert not panel.widget("level").isVisibleTo(window) and not panel.widget("budget").isVisibleTo(window)
    assert panel.widget("epsilon").isVisibleTo(window) and panel.widget("iterations").isVisibleTo(window)
    basic = panel.layout().itemAt(0).layout()  # strength, the preset under it, iterations, output: no empty row
    rows = [basic.getWidgetPosition(w)[0] for w in (panel.widget("epsilon"), panel.maximum, panel.widget("iterations"))]
    assert rows == [0, 1, 2] and basic.rowCount() == 4
    panel.maximum.setChecked(True)
    chosen = panel.settings()
    assert (chosen.epsilon, chosen.budget, chosen.auto_strength) == (MAXIMUM_STRENGTH, "uniform", False)
    assert not panel.widget("epsilon").isEnabled() and "visible on smooth areas" in panel.maximum.text()
    panel.maximum.setChecked(False)
    panel.save(store)
    store.setValue("protection/version", 2)  # a settings file from before: its strength is not restored
    store.setValue("protection/epsilon", 6.4 / 255)
    panel.widget("epsilon").setValue(3.0)
    assert panel.restore(store) == []
    assert panel.widget("epsilon").value() == pytest.approx(3.0)  # not the old file's


def test_shortcut_table_is_generated_from_the_actions(window):
    from PySide6.QtGui import QKeySequence

    from guardpaint.gui.shell import shortcut_rows

    rows = shortcut_rows(window.actions())
    listed = {key.strip() for keys, _ in rows for key in keys.split(" / ")}
    for action in window.actions():
        for shortcut in action.shortcuts():
            assert shortcut.toString(QKeySequence.SequenceFormat.NativeText) in listed, action.text()
    assert ("Ctrl+Shift+Z / Ctrl+Y", "Redo") in rows and ("Wheel", "zoom around the cursor") in rows


def test_the_editors_are_a_checklist_made_from_their_declarations(window, store):
    from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS

    panel = window.panel.settings
    checklist = panel.widget("editors")
    assert list(checklist.boxes) == list(EDITORS) and panel.settings().editors == DEFAULT_EDITORS
    assert checklist.boxes["comfyui"].text() == EDITORS["comfyui"].label
    assert "nearest-exact" in checklist.boxes["comfyui"].toolTip()
    checklist.boxes["comfyui"].setChecked(True)
    checklist.boxes["lama-512-crop"].setChecked(True)
    assert panel.settings().editors == ("iopaint", "comfyui", "lama-512-crop")
    for name in ("iopaint", "comfyui", "lama-512-crop"):
        checklist.boxes[name].setChecked(False)
    assert panel.settings().editors == ("lama-512-crop",)  # the last one stays checked
    assert checklist.boxes["lama-512-crop"].isChecked()
    checklist.boxes["comfyui"].setChecked(True)
    panel.save(store)
    checklist.set(DEFAULT_EDITORS)
    assert panel.restore(store) == [] and panel.settings().editors == ("comfyui", "lama-512-crop")
    store.remove("protection/editors")
    store.setValue("protection/pipeline", "crop")  # a settings file from before the editors
    assert panel.restore(store) == [] and panel.settings().editors == ("iopaint:crop",)


def test_the_window_opens_within_its_screen_and_remembers_its_size(qtbot, store):
    first = MainWindow(store)
    qtbot.addWidget(first)
    area = first.screen().availableGeometry()
    assert first.width() <= area.width() and first.height() <= area.height()  # not 1400 x 900 on a small screen
    first.resize(700, 500)
    first.close()
    again = MainWindow(store)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)
    again.resize(area.width() + 600, area.height() + 400)  # saved on a larger screen than this one
    again.close()
    third = MainWindow(store)
    qtbot.addWidget(third)
    assert third.width() <= area.width() and third.height() <= area.height()
    assert area.contains(third.geometry().topLeft())


def test_the_window_fits_a_1280_by_800_screen_with_every_panel_open(window):
    """The smallest laptop screen the app is drawn for: opening Advanced settings scrolls the Protect panel
    instead of making the window taller, and the panel and the loss plot's legend fit beside the image."""
    window.panel.settings.advanced.setChecked(True)
    window.preview.tabs.setCurrentIndex(0)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 800, hint
