"""Checksums of weight files: read in blocks, and the sha256 cached per file version (big weights once)."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path


def hash_file(path: str | os.PathLike, digest) -> str:
    """Hex ``digest`` (a fresh hashlib object) of a file's bytes, read in 1 MiB blocks."""
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=16)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    return hash_file(path, hashlib.sha256())


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, cached per (path, size, mtime) so big weights are hashed once."""
    stat = Path(path).stat()
    return _file_sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
