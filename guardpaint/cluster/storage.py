"""Folders for the cluster: a local path, or a URI that one of pyarrow's filesystems reads and writes.

Local folders (and ``file://`` URIs) are used as paths, so the cluster writes them exactly as
``guardpaint batch`` does (a temporary name, then a rename: never a partial file). On object stores
an output is written as one whole object: it appears only once it is complete.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from guardpaint.core.io.files import write_atomic
from guardpaint.errors import InputError


@dataclass(frozen=True)
class Location:
    """A folder: ``uri`` as the user gave it, ``local`` when it is on this machine's filesystem."""

    uri: str
    local: Path | None

    @classmethod
    def parse(cls, text: str) -> Location:
        parsed = urlparse(text)
        if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:  # a path (or a Windows drive letter)
            path = Path(parsed.path if parsed.scheme == "file" else text).expanduser().resolve()
            return cls(str(path), path)
        return cls(text.rstrip("/"), None)

    def _fs(self):
        """pyarrow's filesystem for this URI and the path inside it (remote locations only)."""
        return _filesystem(self.uri)

    def names(self) -> list[str]:
        """The names of the files directly in this folder."""
        if self.local is not None:
            if not self.local.is_dir():
                raise InputError(f"{self.local}: no such folder")
            return [p.name for p in self.local.iterdir() if p.is_file()]
        from pyarrow import fs

        filesystem, root = self._fs()
        try:
            infos = filesystem.get_file_info(fs.FileSelector(root))
        except (FileNotFoundError, OSError) as exc:  # a mistyped prefix is an error, not an empty batch
            raise InputError(f"{self.uri}: cannot list this folder ({exc})") from None
        return [info.base_name for info in infos if info.type == fs.FileType.File]

    def child(self, name: str) -> str:
        """The path (local) or URI (remote) of ``name`` in this folder."""
        return str(self.local / name) if self.local is not None else f"{self.uri}/{name}"

    def read(self, name: str) -> bytes:
        if self.local is not None:
            return (self.local / name).read_bytes()
        filesystem, root = self._fs()
        with filesystem.open_input_stream(f"{root}/{name}") as stream:
            return stream.read()

    def exists(self, name: str) -> bool:
        if self.local is not None:
            return (self.local / name).is_file()
        from pyarrow import fs

        filesystem, root = self._fs()
        return filesystem.get_file_info(f"{root}/{name}").type == fs.FileType.File

    def write(self, name: str, data: bytes) -> None:
        """Write ``name`` whole: atomically on a filesystem, as one object on an object store."""
        if self.local is not None:
            write_atomic(self.local / name, data)
            return
        filesystem, root = self._fs()
        with filesystem.open_output_stream(f"{root}/{name}") as stream:
            stream.write(data)

    def release(self, names: list[str], wait: float = 30.0) -> None:
        """Remove the claims that stopped workers left on these outputs of a local folder (an object store has
        none: the workers write there from scratch folders), waiting up to ``wait`` seconds for the workers'
        processes to end."""
        if self.local is None:
            return
        from guardpaint.core.io.files import claim_path, release_if_stale

        deadline = time.monotonic() + wait
        for name in names:
            while claim_path(self.local / name).exists() and time.monotonic() < deadline:
                release_if_stale(self.local / name)
                time.sleep(0.05)

    def prepare(self) -> None:
        """Create the folder when it is not there yet (object stores need nothing)."""
        if self.local is not None:
            from guardpaint.core.batch import prepare_output_folder

            prepare_output_folder(self.local)


@functools.cache
def _filesystem(uri: str):
    """pyarrow's filesystem for ``uri`` and the path inside it, made once per process (an S3 or GCS client
    is not built again for every file an actor reads or writes)."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(uri)
    except (ValueError, OSError) as exc:
        raise InputError(f"{uri}: cannot open this location ({exc})") from None
