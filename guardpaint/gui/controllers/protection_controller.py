"""Runs protection, test edits and the attack suite off the GUI thread; one callback per job.

The outcome lives in the :class:`Document`; this controller starts the jobs, hands their results to
the document and shows what the document holds. The test edit and the suite always use the model
the outcome was made with, whatever the Model menu says now.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from guardpaint.document import MODEL_CHANGED, Document, ProtectionJob
from guardpaint.errors import InputError
from guardpaint.gui.dialogs import BatchDialog, SuiteDialog
from guardpaint.gui.facade import BatchItem, BatchTally, Box, CaseResult, ProtectedImage, SuiteReport, case_count
from guardpaint.gui.panels import PreviewPanel, ProtectPanel
from guardpaint.gui.support import Interaction
from guardpaint.gui.work import ModelCache, TaskRunner, run_attack_suite, run_batch, run_protection, run_test_edit


class ProtectionController(QObject):
    """The jobs of one window (protection, test edit, suite, folder) on its one worker."""

    def __init__(self, document: Document, panel: ProtectPanel, preview: PreviewPanel, ui: Interaction,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.panel, self.preview, self.ui = document, panel, preview, ui
        self.runner = TaskRunner(self)
        self.models = ModelCache()
        self.suite_dialog: SuiteDialog | None = None
        self._running_suite: SuiteDialog | None = None
        self._started = 0.0
        document.outcome_changed.connect(self._show_outcome)

    @property
    def outcome(self) -> ProtectedImage | None:
        return self.document.outcome

    def clear(self) -> None:
        """A new image: stop what runs (its late results are dropped) and reset the panel."""
        self.runner.shutdown()
        self.preview.clear()
        self.panel.reset()

    def _show_outcome(self) -> None:
        """The preview shows the document's outcome, or nothing when there is none (one truth)."""
        outcome = self.document.outcome
        if outcome is None:
            self.preview.clear()
        else:
            self.preview.show_protection(outcome)

    def stale_notice(self, display_name: str) -> str | None:
        """Why the protection shown is not the current image's any more (and Export is off), or None."""
        outcome, reason = self.document.outcome, self.document.stale_reason()
        if outcome is None or reason is None:
            return None
        made = " and ".join(outcome.verifications)
        if reason == MODEL_CHANGED:
            return (f"This protection was made with {made}; the active model is now {display_name}. Its results "
                    f"hold only for {made}: protect again to protect against {display_name}.")
        return f"{reason[0].upper()}{reason[1:]}: what is shown is no longer this image's protection. Protect again."

    # ------------------------------------------------------------------ protection
    def protect(self, job: ProtectionJob) -> None:
        """Run ``job`` (begun on the document, which dropped the previous outcome)."""
        self.panel.start_run(job.request.settings.iterations)
        self._started = time.perf_counter()
        self.runner.start(
            lambda report, cancelled: run_protection(self.models, job, report, cancelled),
            on_done=lambda outcome: self._protected(job, outcome), on_partial=self.panel.show_progress,
            on_failed=lambda message: self._run_ended(job, "Failed", message),
            on_cancelled=lambda: self._run_ended(job, "Cancelled"))

    def _protected(self, job: ProtectionJob, outcome: ProtectedImage) -> None:
        if not self.document.finish_protection(job, outcome):
            return
        seconds = time.perf_counter() - self._started
        verdict = "edit defeated" if outcome.protected else "edit NOT defeated"
        self.panel.finish_run(f"Done in {seconds:.1f} s on {outcome.model.device} · {verdict} "
                              f"({' and '.join(outcome.verifications)})")

    def _run_ended(self, job: ProtectionJob, status: str, message: str | None = None) -> None:
        self.document.end_run(job)
        self.panel.stop_run(status)
        if message:
            self.ui.error(message)

    # ------------------------------------------------------------------ checks on the outcome
    def test_edit(self, mask: np.ndarray) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        models = " and ".join(outcome.verifications)
        self.panel.show_status(f"Running the test edit with {models}…")

        def shown(edits: dict[str, tuple[Box, np.ndarray, np.ndarray]]) -> None:
            if outcome is not self.outcome:
                return
            for label, (box, clean, attacked) in edits.items():
                self.preview.add_edit(label, clean, attacked, box)
            self.preview.show_edits()
            self.panel.show_status(f"Test edit done ({models})")

        self.runner.start(lambda report, cancelled: run_test_edit(outcome, mask, cancelled), on_done=shown,
                          on_failed=self._failed, on_cancelled=lambda: self.panel.show_status("Cancelled"))

    def _failed(self, message: str) -> None:
        self.panel.show_status("Failed")
        self.ui.error(message)

    def attack_suite(self, parent: QWidget) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        names = list(outcome.verifications)
        total = sum(case_count(outcome.mask, kind=model.kind) for model in outcome.models)
        dialog = self.suite_dialog = SuiteDialog(names, parent, total)
        dialog.rejected.connect(lambda: self._close_suite(dialog))
        self._running_suite = dialog
        dialog.show()
        self.panel.show_status(f"Running the attack suite with {' and '.join(names)}…")

        def finished(suites: dict[str, SuiteReport]) -> None:
            self._running_suite = None
            self.document.set_suites(outcome, suites)
            dialog.finish(suites)
            held = ", ".join(f"{label} {suite.held_fraction():.0%}" for label, suite in suites.items())
            self.panel.show_status(f"Attack suite: protection held in {held} of the attacks")

        def case(value: tuple[str, CaseResult]) -> None:
            dialog.add_case(*value)

        self.runner.start(lambda report, cancelled: run_attack_suite(outcome, report, cancelled),
                          on_done=finished, on_partial=case,
                          on_failed=lambda message: self._suite_ended(dialog, message, failed=True),
                          on_cancelled=lambda: self._suite_ended(dialog, "Cancelled."))

    def _suite_ended(self, dialog: SuiteDialog, message: str, failed: bool = False) -> None:
        self._running_suite = None
        dialog.stop(message)
        self._failed(message) if failed else self.panel.show_status("Cancelled")

    def _close_suite(self, dialog: SuiteDialog) -> None:
        """Closing the suite's window stops the suite it shows, and nothing else."""
        if dialog is self._running_suite:
            self.runner.cancel()

    # ------------------------------------------------------------------ folders
    def protect_folder(self, dialog: BatchDialog, items: list[BatchItem]) -> None:
        """Protect a folder with the document's settings, models and format, on the same worker as single
        protections; the dialog shows each image's fate."""
        try:
            if self.runner.is_busy():
                raise InputError("A protection is running: wait for it, or cancel it, then Start again.")
            job = self.document.begin_folder(items)
        except InputError as exc:
            dialog.finish(str(exc))
            return
        dialog.set_running(True)
        tally = BatchTally()

        def progress(value: tuple[int, dict | None]) -> None:
            row, report = value
            if report is None:
                dialog.mark_running(row)
                return
            tally.add(report)
            dialog.mark(row, report)

        def ended(message: str, failed: bool = False) -> None:
            self.document.end_folder(job)
            dialog.finish(message)
            if failed:
                self.ui.error(message)

        self.runner.start(lambda report, cancelled: run_batch(self.models, job, report, cancelled),
                          on_done=lambda _: ended(f"{tally.summary(len(items))}."),
                          on_partial=progress,
                          on_failed=lambda message: ended(message, failed=True),
                          on_cancelled=lambda: ended(f"Stopped: {tally.summary(len(items))}. "
                                                     "Start again to resume: finished images are skipped."))
