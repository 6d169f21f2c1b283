"""Quitting while a worker is busy: the window goes at once, the process within a grace period.

A cancelled task stops at its next check, but one model pass of a large model can take minutes on a CPU.
The window closes as soon as every worker has stopped; if one is still inside a pass after
:data:`QUIT_GRACE_MS`, the files it was writing are removed and the process ends, so no hidden process
lingers (the settings and the session were saved when the window closed).
"""
from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow

from guardpaint.gui.work import TaskRunner
from guardpaint.osfiles import remove_unfinished

#: After the window closes, how long a worker still inside a model pass may take before the process ends.
QUIT_GRACE_MS = 3000


def close_when_idle(window: QMainWindow, runners: tuple[TaskRunner, ...]) -> None:
    """Hide ``window`` now, close it once every runner is idle, and end the process after the grace period
    if one is not."""
    window.hide()
    for runner in runners:
        runner.idle.connect(window.close)
    QTimer.singleShot(QUIT_GRACE_MS, lambda: _end_now(runners))


def _end_now(runners: tuple[TaskRunner, ...]) -> None:
    if any(runner.has_running_threads() for runner in runners):
        remove_unfinished()
        os._exit(0)
