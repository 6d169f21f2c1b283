"""Running core work off the GUI thread: one current task, cancellable, its outcome by callback.

A task is a plain function ``fn(report, should_cancel) -> result``; it knows
nothing about Qt. ``report`` queues a partial result to the GUI thread.
Starting a task cancels and forgets the one before it (the Orange3 pattern):
whatever the old task still reports, late, is dropped, so a stale result never
reaches a newly opened image. The GUI thread never blocks on a worker for more
than :data:`MAX_WAIT_MS`; a cancelled task finishes in the background.
"""
from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from guardpaint.errors import Cancelled, GuardPaintError
from guardpaint.models.device import empty_device_cache, out_of_memory_message

Task = Callable[[Callable[[Any], None], Callable[[], bool]], Any]
MAX_WAIT_MS = 100


def describe_failure(exc: BaseException) -> str:
    """A one-line message for the user, with a suggestion where one helps."""
    message = out_of_memory_message(exc)
    if message:
        empty_device_cache()  # the next job starts with the GPU's memory back
        return message[0].upper() + message[1:] + "."
    if isinstance(exc, GuardPaintError):
        return str(exc)
    return f"Unexpected error: {type(exc).__name__}: {exc}"


class _Job(QObject):
    """Runs one task in a worker thread; every signal names the job so the runner can drop stale ones."""

    partial = Signal(object, object)
    done = Signal(object, object)
    failed = Signal(object, str)
    cancelled = Signal(object)

    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task
        self.cancel_flag = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            result = self._task(lambda value: self.partial.emit(self, value), self.cancel_flag.is_set)
        except Cancelled:
            self.cancelled.emit(self)
        except GuardPaintError as exc:  # expected: bad input, a failed download, ...: the message says it all
            self.failed.emit(self, describe_failure(exc))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            traceback.print_exc()  # a bug: keep the traceback for the report
            self.failed.emit(self, describe_failure(exc))
        else:
            if self.cancel_flag.is_set():
                self.cancelled.emit(self)
            else:
                self.done.emit(self, result)


@dataclass
class Callbacks:
    """What to do with one task's outcome; None for outcomes the caller ignores."""

    done: Callable[[Any], None]
    partial: Callable[[Any], None] | None = None
    failed: Callable[[str], None] | None = None
    cancelled: Callable[[], None] | None = None


class TaskRunner(QObject):
    """Owns the worker threads; the signals mirror the current task's outcome (for status and tests)."""

    partial = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    busyChanged = Signal(bool)  # noqa: N815
    idle = Signal()  # every worker thread, current or retired, has finished

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: _Job | None = None
        self._callbacks: Callbacks | None = None
        self._threads: dict[_Job, QThread] = {}

    def is_busy(self) -> bool:
        """True from ``start`` until the current task's outcome has been delivered."""
        return self._job is not None

    def has_running_threads(self) -> bool:
        return bool(self._threads)

    def start(self, task: Task, on_done: Callable[[Any], None], on_partial: Callable[[Any], None] | None = None,
              on_failed: Callable[[str], None] | None = None, on_cancelled: Callable[[], None] | None = None
              ) -> None:
        """Run ``task``; the previous task, if any, is cancelled and its outcome dropped."""
        self._retire_current()
        job = _Job(task)
        thread = QThread()
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.partial.connect(self._on_partial)
        job.done.connect(self._on_done)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        for source in (job.done, job.failed, job.cancelled):  # quit from the worker itself, at once
            source.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._threads[job] = thread
        self._job, self._callbacks = job, Callbacks(on_done, on_partial, on_failed, on_cancelled)
        thread.start()
        self.busyChanged.emit(True)

    def cancel(self) -> None:
        """Ask the current task to stop at its next check (within one iteration)."""
        if self._job is not None:
            self._job.cancel_flag.set()

    def shutdown(self, timeout_ms: int = MAX_WAIT_MS) -> bool:
        """Cancel everything and wait at most ``timeout_ms`` in all; True when no worker is left running."""
        self._retire_current()
        for job, thread in list(self._threads.items()):
            job.cancel_flag.set()
            thread.quit()
            thread.wait(max(0, timeout_ms // max(1, len(self._threads))))
        return not any(thread.isRunning() for thread in self._threads.values())

    def _retire_current(self) -> None:
        """Cancel the current task and forget its callbacks: its late signals are dropped. Its cancel
        callback runs now, so whatever shows the task (a dialog, a progress bar) is reset."""
        if self._job is None:
            return
        self._job.cancel_flag.set()
        callbacks = self._callbacks
        self._job = self._callbacks = None
        self.busyChanged.emit(False)
        if callbacks.cancelled is not None:
            callbacks.cancelled()

    def _current(self, job: _Job) -> Callbacks | None:
        """The callbacks of ``job`` if it is still the current task, marking the runner idle when it ends."""
        return self._callbacks if job is self._job else None

    def _finish(self) -> Callbacks:
        callbacks = self._callbacks
        self._job = self._callbacks = None
        self.busyChanged.emit(False)
        return callbacks

    # Queued to the GUI thread (this object lives there). The runner is idle before the callback runs,
    # so a callback may start the next task.
    @Slot(object, object)
    def _on_partial(self, job: _Job, value: object) -> None:
        callbacks = self._current(job)
        if callbacks is not None and not job.cancel_flag.is_set():
            if callbacks.partial is not None:
                callbacks.partial(value)
            self.partial.emit(value)

    @Slot(object, object)
    def _on_done(self, job: _Job, result: object) -> None:
        if self._current(job) is not None:
            self._finish().done(result)
            self.done.emit(result)

    @Slot(object, str)
    def _on_failed(self, job: _Job, message: str) -> None:
        if self._current(job) is not None:
            callbacks = self._finish()
            if callbacks.failed is not None:
                callbacks.failed(message)
            self.failed.emit(message)

    @Slot(object)
    def _on_cancelled(self, job: _Job) -> None:
        if self._current(job) is not None:
            callbacks = self._finish()
            if callbacks.cancelled is not None:
                callbacks.cancelled()
            self.cancelled.emit()

    @Slot()
    def _on_thread_finished(self) -> None:
        """Forget finished workers (queued here from their threads); announce when none is left."""
        for job, thread in list(self._threads.items()):
            if thread.isFinished():
                del self._threads[job]
        if not self._threads:
            self.idle.emit()
