"""Writing files safely: atomically, with ordinary permissions, and never over an input."""
from __future__ import annotations

import errno
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from guardpaint.errors import InputError, OutOfSpace
from guardpaint.osfiles import ordinary_mode, set_mode, unfinished

#: What running out of room looks like: no space left, a file-size limit, a disk quota.
NO_ROOM = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes to ``path`` via a temporary file in the same folder and an atomic rename.

    The file ends up with the permissions an ordinary write would give (not mkstemp's 0600). When the disk
    is full (or a file-size limit or quota is reached) the temporary file is removed, nothing is left under
    ``path``'s name, and :class:`OutOfSpace` says so in one line.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    mode = ordinary_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    with unfinished(Path(tmp)):
        _write_into(fd, Path(tmp), path, data, mode)
    return path


def _write_into(fd: int, tmp: Path, path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` into the temporary file ``tmp`` (open as ``fd``) and rename it over ``path``."""
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            set_mode(handle, tmp, mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in NO_ROOM:
            raise OutOfSpace(f"{path}: no room to write it ({exc.strerror}, {len(data) / 1e6:.1f} MB needed); nothing "
                             "was written under this name: free some space and run again") from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: A claim older than this is from a process that is gone (another machine's, whose pid cannot be checked).
CLAIM_LIFETIME = 24 * 3600
#: A claim is created empty and filled at once; one still unreadable this long after is a dead writer's.
UNFINISHED_CLAIM_GRACE = 10.0


def claim_path(path: Path) -> Path:
    """The hidden file that says a process is writing ``path``."""
    return path.with_name(f".{path.name}.claim")


def _stale(claim: Path) -> bool:
    """Whether the process that made ``claim`` is gone: its pid is not running here, or it is too old. One
    not yet filled is live for :data:`UNFINISHED_CLAIM_GRACE`: its creator is writing it this very moment
    (two batches starting together on one folder meet exactly there)."""
    try:
        age = time.time() - claim.stat().st_mtime
    except OSError:
        return True  # gone already
    try:
        pid_text, host = claim.read_text(encoding="utf-8").split("\n")[:2]
    except (OSError, ValueError):
        return age > UNFINISHED_CLAIM_GRACE  # not filled yet, or left half-written by a writer that died
    if age > CLAIM_LIFETIME:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


@contextmanager
def claimed(path: str | os.PathLike) -> Iterator[bool]:
    """Hold the right to write ``path`` among the processes that share its folder (two batches, or the app
    and a batch): True while this process holds it, False when another live process does. The claim is a
    hidden file created exclusively beside ``path`` and removed when done; one whose process is gone is
    taken over."""
    claim = claim_path(Path(path))
    for _ in range(2):
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _stale(claim):
                yield False
                return
            claim.unlink(missing_ok=True)
            continue
        with unfinished(claim):
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n{socket.gethostname()}\n")
            try:
                yield True
            finally:
                claim.unlink(missing_ok=True)
        return
    yield False


def release_if_stale(path: str | os.PathLike) -> None:
    """Remove ``path``'s claim when the process that made it is gone (a worker that was killed mid-image)."""
    claim = claim_path(Path(path))
    if claim.exists() and _stale(claim):
        claim.unlink(missing_ok=True)


#: A file's identity: (device, inode), or the resolved path of a file that is not there.
FileKey = tuple[int, int] | Path


def file_key(path: str | os.PathLike) -> FileKey:
    """What identifies a file however it is spelt: its device and inode, or where no such file is
    there (yet), its resolved path."""
    try:
        status = os.stat(path)
    except OSError:
        return Path(path).resolve()
    return status.st_dev, status.st_ino


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same file (through links, ``..`` or another spelling)."""
    return file_key(a) == file_key(b)


def check_output(path: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = (), overwrite: bool = False,
                 needed_bytes: int = 0, overwrite_hint: bool = True) -> Path:
    """Fail fast, before any long computation, if ``path`` cannot be written.

    One of ``inputs`` (however it is spelled: a symlink, ``..``) is never replaced, with ``overwrite`` or not;
    any other existing file only with ``overwrite`` (``overwrite_hint`` names the option in the message).
    Checks that the folder exists, is writable (by creating and removing a probe file) and has room for
    ``needed_bytes``.
    """
    path = Path(path)
    for source in inputs:
        if same_file(path, source):
            raise InputError(f"{path}: is the input file {source}; GuardPaint never writes over its input: choose "
                             "another output")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file name")
    if path.exists() and not overwrite:
        hint = " (or pass --overwrite to replace it)" if overwrite_hint else ""
        raise InputError(f"{path}: already exists; choose another output{hint}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{path}: cannot write in {folder} ({exc.strerror or exc})") from None
    free = shutil.disk_usage(folder).free
    if needed_bytes and free < needed_bytes:
        raise InputError(f"{path}: not enough free space in {folder} "
                         f"({free / 1e6:.1f} MB free, about {needed_bytes / 1e6:.1f} MB needed)")
    return path
