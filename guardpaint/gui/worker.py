"""Running core work off the GUI thread: one task at a time, cancellable, reporting by signals.

A task is a plain function ``fn(report, should_cancel) -> result``; it knows
nothing about Qt. ``report`` queues a partial result to the GUI thread.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from guardpaint.errors import Cancelled, GuardPaintError

Task = Callable[[Callable[[Any], None], Callable[[], bool]], Any]


def describe_failure(exc: BaseException) -> str:
    """A one-line message for the user, with a suggestion where one helps."""
    import torch

    if isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower():
        return "Out of memory on the device. Try the CPU (Advanced > Device) or a smaller image."
    if isinstance(exc, GuardPaintError):
        return str(exc)
    return f"Unexpected error: {type(exc).__name__}: {exc}"


class _Job(QObject):
    partial = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, task: Task, cancel: threading.Event) -> None:
        super().__init__()
        self._task = task
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._task(self.partial.emit, self._cancel.is_set)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            traceback.print_exc()
            self.failed.emit(describe_failure(exc))
        else:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.done.emit(result)


class TaskRunner(QObject):
    """Owns a worker thread; starting a task cancels the one before it."""

    partial = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    busyChanged = Signal(bool)  # noqa: N815

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _Job | None = None
        self._cancel = threading.Event()
        self._active = False

    def is_busy(self) -> bool:
        """True from ``start`` until the task's outcome signal has been delivered."""
        return self._active

    def start(self, task: Task) -> None:
        self.shutdown()
        self._cancel = threading.Event()
        thread = QThread()
        job = _Job(task, self._cancel)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.partial.connect(self.partial)
        job.done.connect(self._job_done)
        job.failed.connect(self._job_failed)
        job.cancelled.connect(self._job_cancelled)
        for source in (job.done, job.failed, job.cancelled):
            source.connect(thread.quit)
        thread.finished.connect(self._finished)
        self._thread, self._job = thread, job
        self._active = True
        thread.start()
        self.busyChanged.emit(True)

    # Queued to the GUI thread (this object lives there): mark idle first, so that
    # handlers of the public signals may start the next task.
    @Slot(object)
    def _job_done(self, result: object) -> None:
        self._active = False
        self.done.emit(result)
        self.busyChanged.emit(False)

    @Slot(str)
    def _job_failed(self, message: str) -> None:
        self._active = False
        self.failed.emit(message)
        self.busyChanged.emit(False)

    @Slot()
    def _job_cancelled(self) -> None:
        self._active = False
        self.cancelled.emit()
        self.busyChanged.emit(False)

    def cancel(self) -> None:
        """Ask the running task to stop at its next check (within one iteration)."""
        self._cancel.set()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Cancel and wait for the worker thread; safe to call at any time."""
        if self._thread is None:
            return
        self._cancel.set()
        self._thread.quit()
        self._thread.wait(timeout_ms)
        self._active = False
        self._finished()

    @Slot()
    def _finished(self) -> None:
        if self._thread is not None and not self._thread.isRunning():
            self._thread.deleteLater()
            self._job.deleteLater()
            self._thread = self._job = None
