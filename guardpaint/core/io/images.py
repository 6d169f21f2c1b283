"""Reading images and masks of any common mode; writing masks."""
from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from guardpaint.core.io.conventions import MASK_THRESHOLD, PROTECTION, ROLE_KEY, TEST
from guardpaint.core.io.files import write_atomic
from guardpaint.errors import InputError

#: Largest image accepted, in pixels (a 64 MP photo); beyond it memory use explodes.
MAX_PIXELS = 64_000_000
MIN_SIDE = 8
# Pillow only warns about a decompression bomb below twice its limit: here it is an error, caught below.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


@dataclass
class LoadedImage:
    """An image normalised to 8-bit RGB, with what is needed to write it back faithfully."""

    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray | None = None  # HxW uint8, restored on export
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    source_mode: str = "RGB"
    notes: list[str] = field(default_factory=list)  # conversions the user should hear about
    exif: bytes | None = None  # kept on export (orientation already applied)
    grey: bool = False  # a greyscale input: protected with grey noise and written as greyscale

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.rgb.shape[1], self.rgb.shape[0]


#: The formats GuardPaint reads on purpose (JPEG includes the multi-picture JPEGs phones write). Pillow's
#: other decoders (PostScript through Ghostscript, PSD, FITS, SPIDER, ...) are never reached, whatever a
#: file's content or name says.
READ_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")
READ_FORMAT_NAMES = "PNG, JPEG, WebP, TIFF, BMP or GIF"
#: How the formats GuardPaint refuses begin, to name them in the message.
SIGNATURES = {b"%!PS": "a PostScript (EPS) file", b"\xc5\xd0\xd3\xc6": "an EPS file",
              b"8BPS": "a Photoshop (PSD) file", b"SIMPLE  =": "a FITS file",
              b"\x00\x00\x00\x0cjP  ": "a JPEG 2000 file", b"\xffO\xffQ": "a JPEG 2000 file", b"%PDF": "a PDF",
              b"\x00\x00\x01\x00": "an icon (ICO) file", b"qoif": "a QOI file", b"DDS ": "a DirectDraw (DDS) file",
              b"icns": "a macOS icon (ICNS) file"}


def describe_file(path: str | os.PathLike) -> str:
    """What a file that is no image GuardPaint reads appears to be, from its first bytes."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(16)
    except OSError:
        return "an unreadable file"
    return next((name for magic, name in SIGNATURES.items() if start.startswith(magic)), "an unknown kind of file")


@contextmanager
def open_image(path: str | os.PathLike) -> Iterator[Image.Image]:
    """An image file opened lazily with only :data:`READ_FORMATS`, its size checked against
    :data:`MAX_PIXELS` from the header, before any pixel is decoded. Every failure, here or while the
    caller decodes, is an InputError of one line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with Image.open(path, formats=READ_FORMATS) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise InputError(f"{path}: image is {width}x{height}, larger than the {MAX_PIXELS // 10**6} MP limit")
            yield img
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{path}: image is too large to open safely") from None
    except UnidentifiedImageError:
        raise InputError(f"{path}: {describe_file(path)}, not one of the images GuardPaint reads "
                         f"({READ_FORMAT_NAMES})") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: unreadable or truncated image ({reason})") from None


def _open(path: str | os.PathLike) -> tuple[Image.Image, list[str]]:
    """The decoded image, EXIF orientation applied, and notes on what was left out (other frames)."""
    with open_image(path) as img:
        frames = getattr(img, "n_frames", 1)
        img.load()
        notes = [f"used the first of its {frames} frames"] if frames > 1 else []
        return ImageOps.exif_transpose(img) or img, notes


def _to_8bit(img: Image.Image) -> Image.Image:
    """High-bit-depth single-channel modes scaled to 8-bit grayscale."""
    arr = np.asarray(img)
    if img.mode == "F":
        arr = np.clip(arr, 0.0, 1.0) * 255.0 if arr.max(initial=0) <= 1.0 else np.clip(arr, 0, 255)
    elif img.mode.startswith("I;16"):
        arr = arr.astype(np.float64) * (255.0 / 65535.0)  # a dark 16-bit image stays dark
    elif arr.dtype != np.uint8:
        peak = 65535.0 if arr.max(initial=0) > 255 else 255.0
        arr = np.clip(arr.astype(np.float64) * (255.0 / peak), 0, 255)
    return Image.fromarray(np.round(arr).astype(np.uint8), mode="L")


#: Single-channel modes deeper than 8 bits, which are scaled down to 8-bit grey.
DEEP_MODES = ("I;16", "I;16B", "I;16L", "I", "F")
GREY_MODES = ("1", "L", "LA", "La", *DEEP_MODES)


def _png_bit_depth(path: Path) -> int:
    """The bit depth in a PNG's header (Pillow silently reads 16-bit RGB PNGs as 8-bit), else 8."""
    with path.open("rb") as handle:
        header = handle.read(26)
    return header[24] if header[:8] == b"\x89PNG\r\n\x1a\n" and len(header) > 24 else 8


def load_image(path: str | os.PathLike) -> LoadedImage:
    """Open an image file as 8-bit RGB, EXIF orientation applied, alpha kept aside.

    Conversions that lose something (16-bit to 8-bit, CMYK to RGB) are listed in ``notes``.
    """
    img, notes = _open(path)
    mode = img.mode
    if mode not in DEEP_MODES and _png_bit_depth(Path(path)) == 16:
        notes.append("converted 16-bit to 8-bit (the output is 8-bit)")
    icc = img.info.get("icc_profile")
    dpi = img.info.get("dpi")
    alpha = None
    if mode in DEEP_MODES:
        img = _to_8bit(img)
        notes.append(f"converted {mode} to 8-bit (the output is 8-bit)")
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
    exif = img.getexif()
    return LoadedImage(
        rgb=rgb, alpha=alpha, icc_profile=icc,
        dpi=tuple(float(v) for v in dpi) if dpi else None, source_mode=mode, notes=notes,
        exif=exif.tobytes() if len(exif) else None, grey=mode in GREY_MODES,
    )


def load_mask(path: str | os.PathLike, size: tuple[int, int] | None = None) -> np.ndarray:
    """Open a mask image; pixels whose grayscale value is above 127 are masked.

    ``size`` is the (width, height) of the image the mask belongs to.
    """
    img, _ = _open(path)
    if img.mode in DEEP_MODES:
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


def save_mask(path: str | os.PathLike, mask: np.ndarray, role: str | None = None) -> Path:
    """Write a boolean mask as a black/white 8-bit PNG, atomically, recording its ``role`` in the file."""
    info = PngInfo()
    if role is not None:
        info.add_text(ROLE_KEY, role)
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(buffer, format="PNG", pnginfo=info)
    return write_atomic(path, buffer.getvalue())


def mask_role(path: str | os.PathLike) -> str | None:
    """The role a mask file was saved with (``protection`` or ``test``), or None when it records none."""
    with open_image(path) as img:
        role = img.info.get(ROLE_KEY)
    return role if role in (PROTECTION, TEST) else None


def load_protection_mask(path: str | os.PathLike, size: tuple[int, int]) -> np.ndarray:
    """:func:`load_mask` for a mask to protect: a file saved as a test mask is refused, by name."""
    if mask_role(path) == TEST:
        raise InputError(f"{path}: is a test mask (saved from the app's Test mask layer), not the region to "
                         "protect; save the Protection mask layer instead")
    return load_mask(path, size)
