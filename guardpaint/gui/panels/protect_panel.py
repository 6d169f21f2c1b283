"""The Protect dock: mask layer and brush controls, settings, run buttons, progress and the live plot."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from guardpaint.document import GeneratorChoice
from guardpaint.gui.canvas import MAX_BRUSH, MIN_BRUSH
from guardpaint.gui.facade import IterationReport
from guardpaint.gui.panels.loss_plot import LossPlot
from guardpaint.gui.panels.settings_panel import SettingsPanel


class ProtectPanel(QWidget):
    """Widgets only; the window connects them to the canvas and the protection controller."""

    def __init__(self, brush_size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer_protect = QRadioButton("Protection mask")
        self.layer_test = QRadioButton("Test mask")
        self.layer_protect.setChecked(True)
        self.layer_test.setToolTip("Paint anywhere, then Test edit: see what LaMa does there on both images")
        layers = QButtonGroup(self)
        layers.addButton(self.layer_protect)
        layers.addButton(self.layer_test)
        row = QHBoxLayout()
        row.addWidget(self.layer_protect)
        row.addWidget(self.layer_test)
        self.brush_slider = QSlider(Qt.Orientation.Horizontal, minimum=MIN_BRUSH, maximum=MAX_BRUSH)
        self.brush_slider.setValue(brush_size)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, minimum=5, maximum=100)
        self.opacity_slider.setValue(50)
        self.brush_label = QLabel()
        self.brush_slider.valueChanged.connect(lambda size: self.brush_label.setText(f"{size} px"))
        self.brush_label.setText(f"{brush_size} px")
        self.brush_label.setMinimumWidth(self.brush_label.fontMetrics().horizontalAdvance(f"{MAX_BRUSH} px"))
        brush = QHBoxLayout()
        brush.addWidget(self.brush_slider, 1)
        brush.addWidget(self.brush_label)
        form = QFormLayout()
        form.addRow("Brush size", brush)
        form.addRow("Mask opacity", self.opacity_slider)
        self.settings = SettingsPanel()
        self.protect_button = QPushButton("Protect")
        self.protect_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.test_button = QPushButton("Test edit")
        self.test_button.setToolTip("Run LaMa with the test mask on the original and the protected image")
        buttons = QHBoxLayout()
        for button in (self.protect_button, self.cancel_button, self.test_button):
            buttons.addWidget(button)
        self.generator_note = QLabel()
        self.generator_note.setWordWrap(True)
        self.generator_note.hide()
        self.progress = QProgressBar()
        self.progress.setFormat("%p %")
        self.eta = QLabel("")
        self.eta.setWordWrap(True)
        self.plot = LossPlot()
        self._first: tuple[int, float] | None = None  # (updates done, seconds) at a run's first iteration shown
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self.settings)
        layout.addLayout(buttons)
        layout.addWidget(self.generator_note)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addWidget(self.plot, 1)

    def start_run(self, iterations: int) -> None:
        self.plot.clear()
        self.progress.setRange(0, iterations)  # the first iteration's report gives the ladder's length
        self.progress.setValue(0)
        self._first = None
        self.show_status("Starting…")

    def show_generator(self, choice: GeneratorChoice | None) -> None:
        """Say which noise generator Protect starts from, if any (it is used when it matches the model)."""
        self.generator_note.setVisible(choice is not None)
        if choice is not None:
            refine = f" + {choice.refine} refine iterations" if choice.refine else ""
            self.generator_note.setText(f"Noise generator: {choice.path.name} (one pass{refine}), used when it was "
                                        "trained against the active model")

    def show_status(self, text: str) -> None:
        self.eta.setText(text)

    def show_progress(self, value: IterationReport | str) -> None:
        """A job's progress: an iteration's losses, or a line saying what it is doing (loading, verifying)."""
        if isinstance(value, str):
            self.show_status(value)
        else:
            self.show_iteration(value)

    def show_iteration(self, report: IterationReport) -> None:
        """Plot the iteration; the bar counts every step the ladder may run (it never goes back: a run that
        stops early jumps to the end) and the ETA gives this step's time and, when stronger steps may follow
        for the regions that do not hold, the time if they all run. Timing starts after the first iteration
        (it includes the set-up, the model's warm-up and, for JPEG, building the codec)."""
        self.plot.add(report)
        done = (report.stage - 1) * report.total_iterations + report.iteration
        self.progress.setRange(0, report.stages * report.total_iterations)
        self.progress.setValue(done)
        if self._first is None:
            self._first = (done, report.elapsed)
        first_done, first_elapsed = self._first
        windows = f" · {report.windows} windows" if report.windows > 1 else ""
        budget = {"reference": "on every pixel", "uniform": "at full strength where the noise acts"}.get(
            report.budget, "where the noise acts")
        step = f"Step {report.stage} of up to {report.stages}: {report.strength} {budget}"
        if report.stage > 1:
            step += ", for the regions that did not hold"
        timing = "timing the next iteration"
        if done > first_done:
            per_iteration = (report.elapsed - first_elapsed) / (done - first_done)
            now = per_iteration * (report.total_iterations - report.iteration)
            later = per_iteration * report.total_iterations * (report.stages - report.stage)
            timing = f"{per_iteration:.2f} s/it · ETA {now:.0f} s"
            if later:
                timing += f" (up to {now + later:.0f} s if stronger steps follow)"
        self.eta.setText(f"{step} · iteration {report.iteration}/{report.total_iterations}{windows} · {timing}")

    def finish_run(self, text: str) -> None:
        self.progress.setValue(self.progress.maximum())
        self.show_status(text)

    def stop_run(self, text: str) -> None:
        """A run that ended without a result: the bar and the plot are emptied, the line says why."""
        self.plot.clear()
        self.progress.reset()
        self.show_status(text)

    def reset(self) -> None:
        self.stop_run("")
