"""Runs protection, test edits and the attack suite off the GUI thread; one callback per job.

The outcome of a protection keeps the model and device it was made with; the test
edit and the suite always use that model, whatever the Model menu says now.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from guardpaint.core.batch import BatchItem
from guardpaint.core.editor.geometry import Box
from guardpaint.core.evaluation.outcome import ProtectedImage
from guardpaint.core.evaluation.suite import CaseResult, SuiteReport
from guardpaint.core.io.formats import OutputFormat
from guardpaint.core.io.images import LoadedImage
from guardpaint.gui.batch_dialog import BatchDialog
from guardpaint.gui.jobs import ModelCache, run_attack_suite, run_batch, run_protection, run_test_edit
from guardpaint.gui.preview import PreviewPanel
from guardpaint.gui.protect_panel import ProtectPanel
from guardpaint.gui.suite_dialog import SuiteDialog
from guardpaint.gui.worker import TaskRunner


class ProtectionController(QObject):
    """The protection session of one image: its runner, its outcome, and what is shown of them."""

    outcomeChanged = Signal()  # noqa: N815 - a protection finished, or the outcome was dropped

    def __init__(self, panel: ProtectPanel, preview: PreviewPanel, error: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.preview, self.error = panel, preview, error
        self.runner = TaskRunner(self)
        self.models = ModelCache()
        self.outcome: ProtectedImage | None = None
        self.outcome_specs: list[str] | None = None  # the model specs the outcome was made with
        self.suites: dict[str, SuiteReport] | None = None  # the attack suite of this outcome per model, once run
        self.suite_dialog: SuiteDialog | None = None
        self._running_suite: SuiteDialog | None = None
        self._started = 0.0

    def clear(self) -> None:
        """A new image: stop what runs and forget the outcome."""
        self.runner.shutdown()
        self.outcome = self.outcome_specs = self.suites = None
        self.preview.clear()
        self.panel.reset()
        self.outcomeChanged.emit()

    # ------------------------------------------------------------------ protection
    def protect(self, image: LoadedImage, mask: np.ndarray, test_mask: np.ndarray, specs: list[str],
                device: str) -> None:
        settings, fmt = self.panel.settings.settings(), self.panel.settings.output_format()
        self.preview.clear()
        self.panel.start_run(settings.iterations)
        self._started = time.perf_counter()
        self.runner.start(
            lambda report, cancelled: run_protection(self.models, specs, device, image, mask, test_mask, settings,
                                                     fmt, report, cancelled),
            on_done=lambda outcome: self._protected(outcome, specs), on_partial=self.panel.show_iteration,
            on_failed=self._failed, on_cancelled=self._cancelled)

    def _protected(self, outcome: ProtectedImage, specs: list[str]) -> None:
        self.outcome, self.outcome_specs, self.suites = outcome, specs, None
        self.preview.show_protection(outcome)
        seconds = time.perf_counter() - self._started
        verdict = "edit defeated" if outcome.protected else "edit NOT defeated"
        self.panel.eta.setText(f"Done in {seconds:.1f} s on {outcome.model.device} · {verdict} "
                               f"({' and '.join(outcome.verifications)})")
        self.outcomeChanged.emit()

    def _failed(self, message: str) -> None:
        self.panel.eta.setText("Failed")
        self.error(message)

    def _cancelled(self) -> None:
        self.panel.eta.setText("Cancelled")
        self.panel.progress.reset()

    def model_switched(self, specs: list[str], display_name: str) -> None:
        """Say so when the active models are no longer the ones the shown protection was made for."""
        if self.outcome is not None and specs != self.outcome_specs:
            made = " and ".join(self.outcome.verifications)
            self.preview.show_notice(f"This protection was made with {made}; the active model is now "
                                     f"{display_name}. Its results hold only for {made}: protect again to "
                                     f"protect against {display_name}.")
        else:
            self.preview.show_notice(None)

    # ------------------------------------------------------------------ checks on the outcome
    def test_edit(self, mask: np.ndarray) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        self.panel.eta.setText(f"Running test edit with {' and '.join(outcome.verifications)}…")

        def shown(edits: dict[str, tuple[Box, np.ndarray, np.ndarray]]) -> None:
            for label, (box, clean, attacked) in edits.items():
                self.preview.add_edit(label, clean, attacked, box)
            self.panel.eta.setText(f"Test edit done ({' and '.join(outcome.verifications)})")

        self.runner.start(lambda report, cancelled: run_test_edit(outcome, mask, cancelled), on_done=shown,
                          on_failed=self._failed, on_cancelled=self._cancelled)

    def attack_suite(self, parent: QWidget) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        names = list(outcome.verifications)
        dialog = self.suite_dialog = SuiteDialog(names, parent)
        dialog.rejected.connect(lambda: self._close_suite(dialog))
        self._running_suite = dialog
        dialog.show()
        self.panel.eta.setText(f"Running the attack suite with {' and '.join(names)}…")

        def finished(suites: dict[str, SuiteReport]) -> None:
            self._running_suite = None
            if outcome is self.outcome:
                self.suites = suites
            dialog.finish(suites)
            held = ", ".join(f"{label} {suite.held_fraction():.0%}" for label, suite in suites.items())
            self.panel.eta.setText(f"Attack suite: protection held in {held} of the attacks")

        def case(value: tuple[str, CaseResult]) -> None:
            dialog.add_case(*value)

        self.runner.start(lambda report, cancelled: run_attack_suite(outcome, report, cancelled),
                          on_done=finished, on_partial=case,
                          on_failed=lambda message: self._suite_ended(dialog, message, failed=True),
                          on_cancelled=lambda: self._suite_ended(dialog, "Cancelled."))

    def _suite_ended(self, dialog: SuiteDialog, message: str, failed: bool = False) -> None:
        self._running_suite = None
        dialog.stop(message)
        self._failed(message) if failed else self._cancelled()

    def _close_suite(self, dialog: SuiteDialog) -> None:
        """Closing the suite's window stops the suite it shows, and nothing else."""
        if dialog is self._running_suite:
            self.runner.cancel()

    # ------------------------------------------------------------------ folders
    def protect_folder(self, dialog: BatchDialog, items: list[BatchItem], fmt: OutputFormat, specs: list[str],
                       device: str) -> None:
        """Protect a folder on the same worker as single protections; the dialog shows each image's fate."""
        if self.runner.is_busy():
            dialog.finish("A protection is running: wait for it, or cancel it, then Start again.")
            return
        settings = self.panel.settings.settings()
        dialog.set_running(True)

        def progress(value: tuple[int, dict | None]) -> None:
            row, report = value
            dialog.mark_running(row) if report is None else dialog.mark(row, report)

        def finished(counts: dict[str, int]) -> None:
            dialog.finish(f"{counts['done']} protected, {counts['skipped']} skipped, {counts['failed']} failed.")

        self.runner.start(lambda report, cancelled: run_batch(self.models, specs, device, items, settings, fmt,
                                                              report, cancelled),
                          on_done=finished, on_partial=progress,
                          on_failed=lambda message: (dialog.finish(message), self.error(message)),
                          on_cancelled=lambda: dialog.finish("Stopped. Start again to resume: finished images "
                                                             "are skipped."))
