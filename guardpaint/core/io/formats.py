"""Output formats: PNG, lossless WebP and JPEG, with the input's metadata and nature kept.

Every format keeps the ICC profile, the resolution and the EXIF data (orientation already applied,
so the tag is left out), and a greyscale input is written as greyscale. PNG and WebP keep
transparency; JPEG cannot, and refuses an image that has any.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from guardpaint.core.io.conventions import DEFAULT_JPEG_QUALITY, SUFFIXES
from guardpaint.core.io.images import READ_FORMATS, LoadedImage
from guardpaint.errors import InputError

_EXIF_RESOLUTION = {282: 0, 283: 1}  # XResolution, YResolution -> index into dpi
_EXIF_RESOLUTION_UNIT, _INCH = 296, 2


@dataclass(frozen=True)
class OutputFormat:
    """How a protected image is written."""

    kind: str = "png"  # "png", "webp" (lossless) or "jpeg"
    quality: int = DEFAULT_JPEG_QUALITY  # JPEG only

    def __post_init__(self) -> None:
        if self.kind not in SUFFIXES:
            raise InputError(f"unknown output format {self.kind!r} (use {', '.join(SUFFIXES)})")
        if not 1 <= self.quality <= 100:
            raise InputError(f"JPEG quality must be 1-100, got {self.quality}")

    @property
    def lossy(self) -> bool:
        return self.kind == "jpeg"

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.kind][0]

    def describe(self) -> str:
        return {"png": "PNG", "webp": "lossless WebP", "jpeg": f"JPEG q{self.quality}"}[self.kind]


PNG = OutputFormat("png")


def estimated_output_bytes(image: LoadedImage) -> int:
    """A generous upper bound of the output file's size (raw pixels plus headers), for the disk check."""
    channels = 4 if image.alpha is not None else 3
    return image.rgb.shape[0] * image.rgb.shape[1] * channels + (1 << 20)


def check_storable(image: LoadedImage, fmt: OutputFormat) -> None:
    """An InputError if ``fmt`` cannot store what ``image`` has (transparency in a JPEG)."""
    if image.alpha is not None and fmt.kind == "jpeg":
        raise InputError("the image has transparency, which JPEG cannot store: write PNG or WebP")


def output_format(kind: str, quality: int | None = None) -> OutputFormat:
    """The format ``kind`` at a JPEG ``quality`` (None: the default); an InputError for a quality
    given to a lossless format."""
    if quality is not None and kind != "jpeg":
        raise InputError(f"--quality applies to JPEG output only, not {kind.upper()}")
    return OutputFormat(kind, DEFAULT_JPEG_QUALITY if quality is None else quality)


def format_for(path: str | os.PathLike, quality: int | None = None) -> OutputFormat:
    """The format a file name asks for (``.png``, ``.webp``, ``.jpg``/``.jpeg``); an InputError otherwise."""
    suffix = Path(path).suffix.lower()
    for kind, suffixes in SUFFIXES.items():
        if suffix in suffixes:
            return output_format(kind, quality)
    raise InputError(f"{path}: write .png, .webp (lossless) or .jpg; {suffix or 'no suffix'} is not supported")


def _exif(template: LoadedImage) -> bytes | None:
    """The template's EXIF, with its resolution where the format has no other place for it."""
    exif = Image.Exif()
    if template.exif:
        exif.load(template.exif)
    if template.dpi:
        for tag, index in _EXIF_RESOLUTION.items():
            exif[tag] = template.dpi[index]
        exif[_EXIF_RESOLUTION_UNIT] = _INCH
    return exif.tobytes() if len(exif) else None


def encode_image(rgb: np.ndarray, template: LoadedImage | None = None, fmt: OutputFormat = PNG) -> bytes:
    """The file bytes of ``rgb`` (HxWx3 uint8) in ``fmt``, with the alpha, greyness and metadata of ``template``.
    ``fmt`` can store the template (:func:`check_storable`, run where the request is made)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("expected an HxWx3 uint8 array")
    meta = template or LoadedImage(rgb=rgb)
    if meta.grey:
        pixels = rgb[:, :, 0]
        pil = Image.fromarray(pixels, "L") if meta.alpha is None else Image.fromarray(
            np.dstack([pixels, meta.alpha]), "LA")
    else:
        pil = Image.fromarray(rgb, "RGB") if meta.alpha is None else Image.fromarray(
            np.dstack([rgb, meta.alpha]), "RGBA")
    if fmt.kind == "webp" and pil.mode in ("L", "LA"):
        pil = pil.convert("RGBA" if pil.mode == "LA" else "RGB")  # WebP has no greyscale mode
    options: dict = {}
    if meta.icc_profile:
        options["icc_profile"] = meta.icc_profile
    if meta.dpi and fmt.kind != "webp":
        options["dpi"] = meta.dpi
    exif = _exif(meta)
    if exif:
        options["exif"] = exif
    if fmt.kind == "png":
        options.update(optimize=False, compress_level=6)
    elif fmt.kind == "webp":
        options.update(lossless=True, quality=100, method=4, exact=True)  # exact: keep RGB under alpha 0
    else:
        options.update(quality=fmt.quality, subsampling=2 if pil.mode == "RGB" else 0)
    buffer = io.BytesIO()
    pil.save(buffer, format=fmt.kind.upper(), **options)
    return buffer.getvalue()


def decode_image(data: bytes) -> np.ndarray:
    """The RGB pixels of file bytes, as a reader of the written file sees them (HxWx3 uint8)."""
    with Image.open(io.BytesIO(data), formats=READ_FORMATS) as img:
        return np.array(img.convert("RGB"))
