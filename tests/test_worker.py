"""The task runner: one current task, stale results dropped, never blocking the GUI thread."""
import threading
import time

import pytest

from guardpaint.errors import Cancelled
from guardpaint.gui.work import MAX_WAIT_MS, TaskRunner


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()
    qtbot.waitUntil(lambda: not runner.has_running_threads(), timeout=10_000)


def test_a_replaced_task_that_reports_late_never_reaches_its_callbacks(qtbot, runner):
    release = threading.Event()
    stale = []

    def slow(report, cancelled):
        release.wait(5)
        report("late progress")  # reports after it was replaced, ignoring the cancel
        return "stale result"

    runner.start(slow, on_done=stale.append, on_partial=stale.append, on_cancelled=lambda: stale.append("cancelled"))
    fresh = []
    with qtbot.waitSignal(runner.done, timeout=10_000):
        runner.start(lambda report, cancelled: "fresh result", on_done=fresh.append)
    assert stale == ["cancelled"]  # told at once that it was replaced, so whatever shows it resets
    release.set()
    qtbot.waitUntil(lambda: not runner.has_running_threads(), timeout=10_000)
    qtbot.wait(50)  # let any queued signal of the old task arrive
    assert fresh == ["fresh result"] and stale == ["cancelled"]  # its late progress and result are dropped


def test_cancel_failure_and_busy_state(qtbot, runner):
    outcomes = []

    def cancellable(report, cancelled):
        while not cancelled():
            time.sleep(0.01)
        raise Cancelled("stopped")

    runner.start(cancellable, on_done=outcomes.append, on_cancelled=lambda: outcomes.append("cancelled"))
    assert runner.is_busy()
    with qtbot.waitSignal(runner.cancelled, timeout=10_000):
        runner.cancel()
    assert outcomes == ["cancelled"] and not runner.is_busy()
    with qtbot.waitSignal(runner.failed, timeout=10_000) as failed:
        runner.start(lambda r, c: 1 / 0, on_done=outcomes.append, on_failed=outcomes.append)
    assert failed.args[0].startswith("Unexpected error: ZeroDivisionError") and outcomes[-1] == failed.args[0]


def test_shutdown_never_blocks_on_a_busy_worker(qtbot, runner):
    release = threading.Event()
    runner.start(lambda r, c: release.wait(10), on_done=lambda _: None)
    start = time.perf_counter()
    stopped = runner.shutdown()
    waited = time.perf_counter() - start
    release.set()
    assert not stopped and waited < 3 * MAX_WAIT_MS / 1000  # a worker that ignores cancel is left to finish
    with qtbot.waitSignal(runner.idle, timeout=10_000):
        pass
