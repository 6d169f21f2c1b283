"""Progress on standard error: a bar on a terminal, plain lines anywhere else.

A bar (tqdm) redraws itself in place, which a log file or a pipe cannot show: with the output redirected
the user saw nothing for ten minutes. Where standard error is not a terminal, :class:`Progress` prints
one line when a stage starts and then at most every :data:`LINE_EVERY_S` seconds, with the rate and the
time left, so a log shows what the command is doing from its first seconds.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

#: Without a terminal, the least time between two progress lines of one stage.
LINE_EVERY_S = 5.0


def status(line: str, stream: TextIO | None = None) -> None:
    """One line saying what the command is doing now (loading a model, verifying)."""
    print(line, file=stream or sys.stderr, flush=True)


class Progress:
    """Counts the work of one stage at a time (iterations of a step, images of a batch, cases of a suite)."""

    def __init__(self, description: str, total: int | None = None, unit: str = "it", quiet: bool = False,
                 stream: TextIO | None = None, unit_scale: bool = False) -> None:
        from tqdm import tqdm

        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.quiet, self.unit = quiet, unit
        self.bar = tqdm(total=total, desc=description, unit=unit, file=self.stream, leave=False, dynamic_ncols=True,
                        disable=quiet or not self.terminal, unit_scale=unit_scale)
        self._stage(description, total)

    def _stage(self, description: str, total: int | None) -> None:
        self.description, self.total, self.done = description, total, 0
        self.started = self.last = time.monotonic()

    def stage(self, description: str, total: int | None = None) -> None:
        """A new stage (the next step of the strength ladder): the count starts again."""
        self.bar.reset(total=total)
        self.bar.set_description(description)
        self._stage(description, total)

    def update(self, count: int = 1, note: str = "") -> None:
        """``count`` more done; ``note`` (a loss, an image's name) goes with it."""
        self.done += count
        self.bar.update(count)
        if note:
            self.bar.set_postfix_str(note)
        now = time.monotonic()
        if not self.terminal and not self.quiet and (self.done == count or now - self.last >= LINE_EVERY_S
                                                     or self.done == self.total):
            self.last = now
            print(self._line(now, note), file=self.stream, flush=True)

    def set(self, done: int, total: int | None = None) -> None:
        """The count is now ``done`` of ``total`` when that is known (a download's bytes)."""
        if total is not None and total != self.total:
            self.total = self.bar.total = total
        self.update(done - self.done)

    def _line(self, now: float, note: str) -> str:
        elapsed = now - self.started
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        line = f"{self.description}: {count} {self.unit}"
        if self.done and elapsed > 0:
            rate = elapsed / self.done
            line += f", {rate:.2f} s/{self.unit}" if rate >= 0.01 else f", {self.done / elapsed:,.0f} {self.unit}/s"
            if self.total:
                line += f", ETA {rate * (self.total - self.done):.0f} s"
        return f"{line}{f' ({note})' if note else ''}"

    def write(self, line: str) -> None:
        """A line that must not break the bar (an image skipped)."""
        self.bar.write(line, file=self.stream)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
