"""Named models, the local cache, and the explicit, verified download step."""
from __future__ import annotations

import errno
import hashlib
import http.client
import importlib.resources
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import platformdirs

from guardpaint.errors import Cancelled, DownloadError, InputError, ModelError
from guardpaint.models.hashing import file_sha256, hash_file
from guardpaint.osfiles import ordinary_mode, set_mode, unfinished

CACHE_ENV = "GUARDPAINT_MODEL_DIR"
#: The bundled assets: the package guardpaint.resources, which is the top-level resources/ folder of the
#: repository (mapped in pyproject.toml), found the same way in a wheel, an editable install and the bundle.
RESOURCES = Path(str(importlib.resources.files("guardpaint.resources"))).resolve()
DEFAULT_MODEL = "demo"
#: The bundled workflow model; protection made with it does not protect against real LaMa weights.
DEMO_MODEL = "demo"
#: The model protection is meant for.
REAL_MODEL = "big-lama"


@dataclass(frozen=True)
class ModelSpec:
    """A model GuardPaint knows by name."""

    name: str
    description: str
    filename: str
    url: str | None = None  # None: bundled with the package
    md5: str | None = None
    size_mb: float | None = None
    family: str = "lama"  # which loader in guardpaint.models.LOADERS reads it
    limits: str | None = None  # what it cannot do, said wherever it is offered

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
            limits="cannot be moved by the noise: protection made with it does not protect against big-lama "
                   "or any real LaMa; for trying the workflow only",
        ),
        ModelSpec(
            name="big-lama",
            description="the real LaMa (51 M parameters), lama-cleaner/IOPaint TorchScript release",
            filename="big-lama.pt",
            url="https://github.com/Sanster/models/releases/download/add_big_lama/big-lama.pt",
            md5="e3aa4aaa15225a33ec84f9f4bc47e500",
            size_mb=196.0,
        ),
        ModelSpec(
            name="anime-lama",
            description="LaMa fine-tuned on anime and manga (IOPaint's anime-lama), same architecture as big-lama",
            filename="anime-manga-big-lama.pt",
            url="https://github.com/Sanster/models/releases/download/AnimeMangaInpainting/anime-manga-big-lama.pt",
            md5="29f284f36a0a510bcacf39ecf4c4d54f",
            size_mb=197.0,
        ),
        ModelSpec(
            name="migan",
            description="MI-GAN (6 M parameters, 512 px), IOPaint's TorchScript release; IOPaint runs it on crops "
                        "shrunk to 512 px",
            filename="migan_traced.pt",
            url="https://github.com/Sanster/models/releases/download/migan/migan_traced.pt",
            md5="76eb3b1a71c400ee3290524f7a11b89c",  # IOPaint 1.6's MIGAN_MODEL_MD5; its size is not published
            family="migan",
            limits="run by IOPaint only (ComfyUI runs LaMa and MAT, the 512 px apps LaMa): protect against IOPaint; "
                   "the robust level is not built for it; measured here: the network and IOPaint's way of running it, "
                   "on seeded weights; its efficacy on these weights is not (verify --suite measures it)",
        ),
        ModelSpec(
            name="mat",
            description="MAT, the Mask-Aware Transformer (62 M parameters, Places, 512 px; CC BY-NC 4.0), the release "
                        "IOPaint and "
                        "ComfyUI's inpaint nodes load; IOPaint pads to a square of 512 px or more, ComfyUI resizes to "
                        "512 px",
            filename="Places_512_FullData_G.pth",
            url="https://github.com/Sanster/models/releases/download/add_mat/Places_512_FullData_G.pth",
            md5="8ca927835fa3f5e21d65ffcb165377ed",  # IOPaint 1.6's MAT_MODEL_MD5; its size is not published
            family="mat",
            limits="random at every edit (a latent and two dropout masks): its verdicts are for IOPaint's latent and "
                   "one seeded draw, and the noise is optimised over fresh draws; the 512 px apps do not run it; the "
                   "robust level is not built for it; measured here, on seeded weights: the network (against the "
                   "official code and IOPaint's copy) and IOPaint's way of running it; ComfyUI's is its LaMa square at "
                   "512 px, not run against ComfyUI with MAT; its efficacy on these weights is not (verify --suite "
                   "measures it)",
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


def installed_path(name: str) -> Path:
    """The weight file of an installed registered model; a ModelError says how to install it otherwise."""
    path = model_path(name)
    if not path.is_file():
        raise ModelError(f"model {name!r} is not installed (expected at {path}); "
                         f"run `guardpaint models download {name}`")
    return path


def is_available(name: str) -> bool:
    """Whether the weights of a registered model are present locally."""
    return model_path(name).is_file()


def is_demo(sha256: str) -> bool:
    """Whether weights with this sha256 are the bundled demo model (under any name or path)."""
    demo = model_path(DEMO_MODEL)
    return demo.is_file() and file_sha256(demo) == sha256


def resolve(name_or_path: str | os.PathLike | None) -> Path:
    """A weight file path for a registry name or a path; never downloads."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    text = str(name_or_path)
    if text in REGISTRY:
        if REGISTRY[text].bundled and not model_path(text).is_file():
            raise ModelError(f"bundled model {text!r} is missing from this installation ({model_path(text)})")
        return installed_path(text)
    path = Path(text).expanduser()
    if not path.is_file():
        raise InputError(f"{text}: neither a known model name ({', '.join(REGISTRY)}) nor an existing file")
    return path


def md5sum(path: Path) -> str:
    """Hex md5 of a file (the publisher's checksum is md5)."""
    return hash_file(path, hashlib.md5(usedforsecurity=False))


ProgressCallback = Callable[[int, int | None], None]


def download(
    name: str,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch a registered model into the cache, verify its md5 and rename it into place atomically.

    Every failure is a :class:`DownloadError` naming its cause (no network, an HTTP status, a cut-off
    transfer, a checksum mismatch, a full disk); no partial file is ever left behind.
    """
    entry = spec(name)
    if entry.bundled:
        return model_path(name)
    target = model_path(name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create the model folder {target.parent}: {exc.strerror or exc}") from None
    try:  # a new file of a random name (O_EXCL): never one placed there, nor a link it would follow
        fd, part_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise DownloadError(f"cannot write in the model folder {target.parent}: {exc.strerror or exc}") from None
    partial = Path(part_name)
    with unfinished(partial):
        _fetch(name, entry, target, fd, partial, timeout, progress, should_cancel)
    return target


def _fetch(name: str, entry: ModelSpec, target: Path, fd: int | None, partial: Path, timeout: float,
           progress: ProgressCallback | None, should_cancel: Callable[[], bool] | None) -> None:
    """Stream the model into ``partial`` (open as ``fd``), check it and rename it to ``target``."""
    try:
        with _open_url(name, entry.url, timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            out, fd = os.fdopen(fd, "wb"), None  # the file object owns the descriptor now
            set_mode(out, partial, ordinary_mode(target))
            done = _copy(name, response, out, partial, total, progress, should_cancel)
        if total is not None and done != total:
            raise DownloadError(f"the download of {name} was cut off: got {done:,} of {total:,} bytes; try again")
        actual = md5sum(partial)
        if entry.md5 and actual != entry.md5:
            raise DownloadError(f"{name}: checksum mismatch (md5 {actual}, expected {entry.md5}); file discarded")
        os.replace(partial, target)
    except OSError as exc:  # reading back or renaming the verified file
        raise DownloadError(f"cannot store {name} in {target.parent}: {exc.strerror or exc}") from None
    finally:
        if fd is not None:
            os.close(fd)
        partial.unlink(missing_ok=True)


def _open_url(name: str, url: str, timeout: float):
    try:
        return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - a fixed https URL from the registry
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"cannot download {name}: the server answered HTTP {exc.code} {exc.reason} "
                            f"for {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot download {name}: no connection to {urllib.parse.urlsplit(url).netloc} "
                            f"({reason}); check the network (offline?)") from None


def _copy(name: str, response, out: BinaryIO, partial: Path, total: int | None, progress: ProgressCallback | None,
          should_cancel: Callable[[], bool] | None) -> int:
    """Stream the body into ``out`` (the file ``partial``, closed when done); the number of bytes written."""
    done = 0
    try:
        with out:
            while True:
                try:
                    block = response.read(1 << 20)
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(f"the download of {name} was interrupted ({exc}); try again") from None
                if not block:
                    return done
                if should_cancel is not None and should_cancel():
                    raise Cancelled("download cancelled")
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(f"not enough disk space in {partial.parent} to download {name}") from None
        raise DownloadError(f"cannot write {partial}: {exc.strerror or exc}") from None
