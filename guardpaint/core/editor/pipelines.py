"""The editor's pipelines and when each one crops or resizes (IOPaint 1.6's defaults): plain numbers and
rules, so that the command line can name them without loading the image stack."""
from __future__ import annotations

from guardpaint.errors import InputError

#: IOPaint's defaults (``InpaintRequest``): the web UI cannot change them.
CROP_TRIGGER = 800
RESIZE_LIMIT = 1280
PIPELINES = ("auto", "full", "crop", "resize")


def check_pipeline(pipeline: str) -> str:
    """``pipeline``, or an InputError listing the ones there are."""
    if pipeline not in PIPELINES:
        raise InputError(f"unknown pipeline {pipeline!r} (use {', '.join(PIPELINES)})")
    return pipeline


def uses_crops(shape: tuple[int, ...], pipeline: str) -> bool:
    """Whether ``pipeline`` inpaints per-component crops of an image of this shape."""
    return pipeline == "crop" or (pipeline == "auto" and max(shape[:2]) > CROP_TRIGGER)


def uses_resize(shape: tuple[int, ...], pipeline: str) -> bool:
    """Whether ``pipeline`` downscales an image of this shape before the model (IOPaint's resize)."""
    return pipeline == "resize" and max(shape[:2]) > RESIZE_LIMIT


def resized_size(shape: tuple[int, ...], limit: int = RESIZE_LIMIT) -> tuple[int, int]:
    """(width, height) of IOPaint's downscaled image: ``int(side * ratio + 0.5)``."""
    height, width = shape[:2]
    ratio = limit / max(height, width)
    return int(width * ratio + 0.5), int(height * ratio + 0.5)
