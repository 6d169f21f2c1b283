"""Writing files safely: atomically, with ordinary permissions, and never over an input."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from guardpaint.errors import InputError
from guardpaint.osfiles import ordinary_mode, set_mode


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes to ``path`` via a temporary file in the same folder and an atomic rename.

    The file ends up with the permissions an ordinary write would give (not mkstemp's 0600).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    mode = ordinary_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            set_mode(handle, Path(tmp), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
                 needed_bytes: int = 0, override_hint: str = " (or pass --overwrite to replace the original)"
                 ) -> Path:
    """Fail fast, before any long computation, if ``path`` cannot be written.

    An existing file is replaced only with ``overwrite`` (one of ``inputs`` is named as such); checks that
    the folder exists, is writable (by creating and removing a probe file) and has room for ``needed_bytes``.
    """
    path = Path(path)
    for source in inputs:
        if same_file(path, source) and not overwrite:
            raise InputError(f"{path}: is the input file {source}; choose another output{override_hint}")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file name")
    if path.exists() and not overwrite:
        hint = " (or pass --overwrite to replace it)" if override_hint else ""
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
