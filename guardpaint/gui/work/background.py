"""Short jobs off the GUI thread (decoding a large image, a thumbnail), beside the one protection worker.

A job is a plain function; its result (or its one-line error) comes back on the GUI thread with the
key it was started with, so a caller can drop results it no longer wants (another image was opened
since). Jobs run on Qt's global thread pool and never touch widgets.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from guardpaint.errors import GuardPaintError


class _Signals(QObject):
    finished = Signal(object, object)  # key, result
    failed = Signal(object, str)  # key, message


class _Runnable(QRunnable):
    def __init__(self, signals: _Signals, key: object, job: Callable[[], Any]) -> None:
        super().__init__()
        self.signals, self.key, self.job = signals, key, job

    def run(self) -> None:
        try:
            result = self.job()
        except GuardPaintError as exc:
            self.signals.failed.emit(self.key, str(exc))
        except (OSError, ValueError, MemoryError) as exc:
            self.signals.failed.emit(self.key, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.finished.emit(self.key, result)


class Background(QObject):
    """Starts jobs and delivers ``finished(key, result)`` or ``failed(key, message)`` on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.signals = _Signals(self)
        self.finished, self.failed = self.signals.finished, self.signals.failed

    def run(self, key: object, job: Callable[[], Any]) -> None:
        QThreadPool.globalInstance().start(_Runnable(self.signals, key, job))
