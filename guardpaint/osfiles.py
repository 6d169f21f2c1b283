"""File permissions the way each operating system has them, for writes that look like ordinary ones.

``os.fchmod`` does not exist on Windows before Python 3.13 and ``/proc`` exists only on Linux: each
has a fallback here, and the tests run both paths.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


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
