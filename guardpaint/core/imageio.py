"""Reading images and masks of any common mode, and writing PNGs atomically."""
from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from guardpaint.errors import InputError

#: Largest image accepted, in pixels (a 64 MP photo); beyond it memory use explodes.
MAX_PIXELS = 64_000_000
MIN_SIDE = 8
LOSSLESS_SUFFIXES = {".png"}
MASK_THRESHOLD = 127


@dataclass
class LoadedImage:
    """An image normalised to 8-bit RGB, with what is needed to write it back faithfully."""

    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray | None = None  # HxW uint8, restored on export
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    source_mode: str = "RGB"
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.rgb.shape[1], self.rgb.shape[0]


def _open(path: str | os.PathLike) -> Image.Image:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with Image.open(path) as img:
            img.load()
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise InputError(f"{path}: image is {width}x{height}, larger than the {MAX_PIXELS // 10**6} MP limit")
            return ImageOps.exif_transpose(img) or img
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"{path}: image is too large to open safely") from None
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image file (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: unreadable or truncated image ({exc})") from None


def _to_8bit(img: Image.Image) -> Image.Image:
    """High-bit-depth single-channel modes scaled to 8-bit grayscale."""
    arr = np.asarray(img)
    if img.mode == "F":
        arr = np.clip(arr, 0.0, 1.0) * 255.0 if arr.max(initial=0) <= 1.0 else np.clip(arr, 0, 255)
    elif arr.dtype != np.uint8:
        peak = 65535.0 if arr.max(initial=0) > 255 else 255.0
        arr = np.clip(arr.astype(np.float64) * (255.0 / peak), 0, 255)
    return Image.fromarray(np.round(arr).astype(np.uint8), mode="L")


def load_image(path: str | os.PathLike) -> LoadedImage:
    """Open an image file as 8-bit RGB, EXIF orientation applied, alpha kept aside."""
    img = _open(path)
    mode = img.mode
    notes: list[str] = []
    icc = img.info.get("icc_profile")
    dpi = img.info.get("dpi")
    alpha = None
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = _to_8bit(img)
        notes.append(f"converted {mode} to 8-bit")
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        alpha = np.array(img)[:, :, 3]
        if alpha.min() == 255:
            alpha = None
    if mode == "CMYK":
        icc = None  # a CMYK profile does not describe the converted RGB values
        notes.append("converted CMYK to RGB")
    rgb = np.array(img.convert("RGB"))
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InputError(f"{path}: image is {rgb.shape[1]}x{rgb.shape[0]}, smaller than {MIN_SIDE} px on a side")
    return LoadedImage(
        rgb=rgb, alpha=alpha, icc_profile=icc,
        dpi=tuple(float(v) for v in dpi) if dpi else None, source_mode=mode, notes=notes,
    )


def mask_from_array(array: np.ndarray) -> np.ndarray:
    """Binary mask (bool HxW) from a grayscale or colour array: value above 127 = masked."""
    if array.ndim == 3:
        array = np.asarray(Image.fromarray(array[:, :, :3].astype(np.uint8)).convert("L"))
    return array > MASK_THRESHOLD


def load_mask(path: str | os.PathLike, size: tuple[int, int] | None = None) -> np.ndarray:
    """Open a mask image; pixels whose grayscale value is above 127 are masked.

    ``size`` is the (width, height) of the image the mask belongs to.
    """
    img = _open(path)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = _to_8bit(img)
    if img.mode in ("RGBA", "LA", "PA", "P"):
        img = img.convert("RGBA")
        rgba = np.array(img)
        # A transparent stroke layer: use alpha when colour is uninformative.
        gray = np.array(img.convert("L"))
        mask = (gray > MASK_THRESHOLD) & (rgba[:, :, 3] > MASK_THRESHOLD)
    else:
        mask = np.array(img.convert("L")) > MASK_THRESHOLD
    if size is not None and (mask.shape[1], mask.shape[0]) != tuple(size):
        raise InputError(
            f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but the image is {size[0]}x{size[1]}"
        )
    return mask


def encode_png(image: LoadedImage | np.ndarray, template: LoadedImage | None = None) -> bytes:
    """PNG bytes of ``image`` (uint8 RGB array), with alpha, ICC profile and DPI of ``template``."""
    rgb = image.rgb if isinstance(image, LoadedImage) else image
    meta = template or (image if isinstance(image, LoadedImage) else None)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("expected an HxWx3 uint8 array")
    pil = Image.fromarray(rgb, mode="RGB")
    kwargs: dict = {"optimize": False, "compress_level": 6}
    if meta is not None:
        if meta.alpha is not None:
            pil = Image.fromarray(np.dstack([rgb, meta.alpha]), mode="RGBA")
        if meta.icc_profile:
            kwargs["icc_profile"] = meta.icc_profile
        if meta.dpi:
            kwargs["dpi"] = meta.dpi
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """The RGB pixels of PNG bytes, as a reader of the written file sees them (HxWx3 uint8)."""
    with Image.open(io.BytesIO(data)) as img:
        return np.array(img.convert("RGB"))


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
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same file (through links, ``..`` or another spelling)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_output(path: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = (), overwrite: bool = False,
                 needed_bytes: int = 0) -> Path:
    """Fail fast, before any long computation, if ``path`` cannot be written.

    Refuses to write over one of ``inputs`` unless ``overwrite``; checks that the folder exists, is
    writable (by creating and removing a probe file) and has room for ``needed_bytes``.
    """
    path = Path(path)
    for source in inputs:
        if same_file(path, source) and not overwrite:
            raise InputError(f"{path}: is the input file {source}; choose another output "
                             "(or pass --overwrite to replace the original)")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file name")
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


def save_png(path: str | os.PathLike, image: np.ndarray, template: LoadedImage | None = None) -> Path:
    """Encode and atomically write a lossless PNG (metadata from ``template``)."""
    if Path(path).suffix.lower() not in LOSSLESS_SUFFIXES:
        raise InputError(f"{path}: protected images must be saved as .png (lossy formats destroy the protection)")
    return write_atomic(path, encode_png(image, template))


def save_mask(path: str | os.PathLike, mask: np.ndarray) -> Path:
    """Write a boolean mask as a black/white 8-bit PNG, atomically."""
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(buffer, format="PNG")
    return write_atomic(path, buffer.getvalue())
