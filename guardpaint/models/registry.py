"""Named models, the local cache, and the explicit, verified download step."""
from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import platformdirs

from guardpaint.errors import Cancelled, DownloadError, InputError, ModelError

CACHE_ENV = "GUARDPAINT_MODEL_DIR"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_MODEL = "demo"


@dataclass(frozen=True)
class ModelSpec:
    """A model GuardPaint knows by name."""

    name: str
    description: str
    filename: str
    url: str | None = None  # None: bundled with the package
    md5: str | None = None
    size_mb: float | None = None

    @property
    def bundled(self) -> bool:
        return self.url is None


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="demo",
            description="small LaMa-family model bundled for trying the workflow offline",
            filename="demo-lama.safetensors",
        ),
        ModelSpec(
            name="big-lama",
            description="the real LaMa (51 M parameters), lama-cleaner/IOPaint TorchScript release",
            filename="big-lama.pt",
            url="https://github.com/Sanster/models/releases/download/add_big_lama/big-lama.pt",
            md5="e3aa4aaa15225a33ec84f9f4bc47e500",
            size_mb=196.0,
        ),
    )
}


def cache_dir() -> Path:
    """Where downloaded weights live: ``$GUARDPAINT_MODEL_DIR`` or the user cache folder."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("guardpaint")) / "models"


def spec(name: str) -> ModelSpec:
    """The registry entry for ``name``, or an InputError listing the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown model {name!r} (known: {', '.join(REGISTRY)}; or give a path)") from None


def model_path(name: str) -> Path:
    """Where the weights of a registered model are (or will be, once downloaded)."""
    entry = spec(name)
    return RESOURCES / entry.filename if entry.bundled else cache_dir() / entry.filename


def is_available(name: str) -> bool:
    """Whether the weights of a registered model are present locally."""
    return model_path(name).is_file()


def resolve(name_or_path: str | os.PathLike | None) -> Path:
    """A weight file path for a registry name or a path; never downloads."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    text = str(name_or_path)
    if text in REGISTRY:
        path = model_path(text)
        if not path.is_file():
            if REGISTRY[text].bundled:
                raise ModelError(f"bundled model {text!r} is missing from this installation ({path})")
            raise ModelError(f"model {text!r} is not downloaded yet: run `guardpaint models download {text}`")
        return path
    path = Path(text).expanduser()
    if not path.is_file():
        raise InputError(f"{text}: neither a known model name ({', '.join(REGISTRY)}) nor an existing file")
    return path


def md5sum(path: Path, chunk: int = 1 << 20) -> str:
    """Hex md5 of a file, read in chunks."""
    digest = hashlib.md5()  # noqa: S324 - the publisher's checksum is md5
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


ProgressCallback = Callable[[int, int | None], None]


def download(
    name: str,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch a registered model into the cache, verify its md5 and rename it into place atomically."""
    entry = spec(name)
    if entry.bundled:
        return model_path(name)
    target = model_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(entry.url, timeout=timeout) as response, partial.open("wb") as out:  # noqa: S310
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            while block := response.read(1 << 20):
                if should_cancel is not None and should_cancel():
                    raise Cancelled("download cancelled")
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
        actual = md5sum(partial)
        if entry.md5 and actual != entry.md5:
            raise DownloadError(f"{name}: checksum mismatch (md5 {actual}, expected {entry.md5}); file discarded")
        os.replace(partial, target)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot download {name} from {entry.url}: {reason} (offline?)") from None
    finally:
        partial.unlink(missing_ok=True)
    return target
