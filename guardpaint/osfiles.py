"""Files as the operating system has them: permissions for writes that look like ordinary ones, and the
files this process is in the middle of writing.

``os.fchmod`` does not exist on Windows before Python 3.13 and ``/proc`` exists only on Linux: each
has a fallback here, and the tests run both paths. The files being written (a temporary part, a claim)
are registered while they exist, so that a process ended without running its cleanups (the app quitting
while a worker is inside a long model pass) removes them first and leaves nothing half-made.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

#: The files this process is writing now (module state: they belong to the process, not to any object).
_UNFINISHED: set[Path] = set()


@contextmanager
def unfinished(path: Path) -> Iterator[Path]:
    """Register ``path`` as a file this process is writing while the block runs (removing it stays the
    writer's job; :func:`remove_unfinished` is for a process that ends without running it)."""
    _UNFINISHED.add(path)
    try:
        yield path
    finally:
        _UNFINISHED.discard(path)


def remove_unfinished() -> list[Path]:
    """Remove every file this process is still writing; the ones removed."""
    removed = []
    for path in list(_UNFINISHED):
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError:
            continue
    return removed


def current_umask() -> int:
    """The process umask (read from /proc where possible, so no thread ever sees it changed)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def ordinary_mode(path: Path) -> int:
    """The permission bits an ordinary ``open(path, "wb")`` would leave: the existing file's, else 0666 - umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def set_mode(handle: BinaryIO, path: Path, mode: int) -> None:
    """Give the open file ``handle`` (at ``path``) the permission bits ``mode``: through the descriptor
    where the system can (POSIX), else by path (Windows, where only the read-only bit exists)."""
    if hasattr(os, "fchmod"):
        os.fchmod(handle.fileno(), mode)
    else:
        os.chmod(path, mode)
