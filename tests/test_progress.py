"""What the app shows while a protection runs: the progress line, the ETA and the loss plot."""
import pytest

from guardpaint.core.protection.loop import IterationReport
from guardpaint.core.protection.settings import Strength
from guardpaint.gui.panels import IterationAxis, ProtectPanel

from conftest import protect_in_window

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_progress_line_says_what_runs_and_the_eta_leaves_out_the_first_iteration(window, qtbot, files):
    lines = []
    window.runner.partial.connect(lambda value: lines.append(window.panel.eta.text()))
    protect_in_window(window, qtbot, files["mask"])
    assert lines[0] == "Loading the model…" and lines[1].startswith("Optimising on cpu")
    assert "timing the next iteration" in lines[2] and "ETA" in lines[3]
    assert any(line.startswith("Verifying the written PNG with tiny.pth") for line in lines)


def test_the_eta_comes_from_the_iterations_after_the_first(qtbot):
    panel = ProtectPanel(20)
    qtbot.addWidget(panel)
    panel.start_run(10)

    def report(iteration: int, elapsed: float, stage: int = 1) -> IterationReport:
        losses = {"attack": 0.1, "incomplete": 0.1, "hide": 0.1}
        return IterationReport(iteration, 10, losses, 0.3, elapsed, stage=stage, stages=3, strength=Strength(2.5 / 255))

    panel.show_iteration(report(1, 9.0))  # the first includes loading and warm-up
    assert "ETA" not in panel.eta.text()
    panel.show_iteration(report(2, 10.0))
    # this step's 8 iterations, and the two stronger steps that may follow for regions that do not hold
    assert "1.00 s/it · ETA 8 s (up to 28 s if stronger steps follow)" in panel.eta.text()
    assert (panel.progress.value(), panel.progress.maximum()) == (2, 30)
    panel.show_iteration(report(1, 21.0, stage=2))  # a second step: the bar goes on, never back
    assert panel.progress.value() == 11 and "Step 2 of up to 3" in panel.eta.text()


def test_robust_level_plots_the_editor_attack_term(window, qtbot, files):
    window.load_mask_file(files["mask"])
    window.panel.settings.widget("level").setCurrentText("robust")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    points = len(window.protection.outcome.result.history)
    qtbot.waitUntil(lambda: window.panel.plot.point_count() == points, timeout=5000)
    window.panel.plot._redraw()
    assert not window.panel.plot.toggles["robust"].isHidden()
    assert len(window.panel.plot.curves["robust"].getData()[0]) == points
    window.panel.plot.clear()
    assert window.panel.plot.toggles["robust"].isHidden()


def test_the_loss_plot_ticks_whole_iterations():
    axis = IterationAxis("bottom")
    for low, high in ((0, 3), (1, 2), (0, 40), (0, 1000)):
        values = [v for _, level in axis.tickValues(low, high, 400) for v in level]
        assert values and all(float(v).is_integer() for v in values)
