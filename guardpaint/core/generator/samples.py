"""Training samples for the noise generator: random crops of the user's own photos with random masks of the
kinds LaMa's own training draws (thick strokes, boxes), plus the thin strokes and the several small regions
people protect (a signature, a logo beside a face).

Training also recolours each sample (:func:`recoloured`): its colour channels in a random order.

A sample is a function of the seed and its index alone, so a resumed run sees exactly the samples an
uninterrupted one would, and the workers of a distributed run split them without talking.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from guardpaint.core.batch import is_batch_image
from guardpaint.core.io.images import load_image
from guardpaint.errors import InputError

#: The kinds of mask, drawn equally often.
MASK_KINDS = ("thick strokes", "box", "thin strokes", "several regions")
#: Thick strokes' width in px (LaMa's "thick" irregular masks), thin strokes' (a signature's).
THICK, THIN = (12, 28), (3, 6)
#: A mask covers at most this share of the crop (the editor refuses a mask that covers everything).
MAX_COVER = 0.35


@dataclass(frozen=True)
class Sample:
    """One training or validation example: an 8-bit crop and the region to protect in it."""

    rgb: np.ndarray
    mask: np.ndarray
    photo: str = ""  # the name of the file it was cut from


def photos_in(folder: str | Path) -> list[Path]:
    """The images of a folder (the batch's rule: masks saved beside images are not photos), in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    photos = sorted(path for path in folder.iterdir() if path.is_file() and is_batch_image(path.name))
    if not photos:
        raise InputError(f"{folder}: no images to train on")
    return photos


def random_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """One mask of a random kind (:data:`MASK_KINDS`), never empty, covering at most :data:`MAX_COVER`."""
    kind = MASK_KINDS[int(rng.integers(len(MASK_KINDS)))]
    for _ in range(20):
        mask = np.zeros((height, width), np.uint8)
        if kind == "box":
            h, w = rng.integers(height // 8, height // 2 + 1), rng.integers(width // 8, width // 2 + 1)
            top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
            mask[top:top + h, left:left + w] = 1
        elif kind == "several regions":
            for _ in range(int(rng.integers(2, 5))):
                side = int(rng.integers(4, max(5, min(height, width) // 4)))
                top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
                mask[top:top + side, left:left + side] = 1
        else:
            low, high = THICK if kind == "thick strokes" else THIN
            point = (int(rng.integers(width)), int(rng.integers(height)))
            for _ in range(int(rng.integers(1, 5))):
                angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(min(height, width) / 6, min(height, width) / 2)
                end = (int(np.clip(point[0] + length * np.cos(angle), 0, width - 1)),
                       int(np.clip(point[1] + length * np.sin(angle), 0, height - 1)))
                cv2.line(mask, point, end, 1, int(rng.integers(low, high + 1)))
                point = end
        if 0 < mask.mean() <= MAX_COVER:
            return mask.astype(bool)
    mask = np.zeros((height, width), bool)
    mask[height // 3:height // 2, width // 3:width // 2] = True
    return mask


def recoloured(sample: Sample, rng: np.random.Generator) -> Sample:
    """``sample`` with its colour channels in a random order (one of six; a grey crop is unchanged).

    The target colour is the candidate farthest from a crop's mean colour, so photos of one cast teach one
    target only: on scikit-image's colour photos it was blue for 7 crops in 8 and never green, and the
    generator then pushed a bluish sky's blue down less than half as hard as the loop does (its target is
    red). Recoloured, every target and every cast is drawn about as often."""
    return replace(sample, rgb=np.ascontiguousarray(sample.rgb[..., rng.permutation(3)]))


class SampleSource:
    """Random crops of ``photos`` at ``size`` px with random masks; :meth:`sample` ``(index)`` is deterministic."""

    def __init__(self, photos: list[Path], size: int, seed: int) -> None:
        self.images = [load_image(path).rgb for path in photos]
        self.names = [path.name for path in photos]
        self.size, self.seed = size, seed
        small = [name for name, rgb in zip(self.names, self.images, strict=True) if min(rgb.shape[:2]) < size]
        if small:
            raise InputError(f"{', '.join(small[:3])}: smaller than the {size} px crops (use --crop {size // 2})")

    def sample(self, index: int) -> Sample:
        rng = np.random.default_rng([self.seed, index])
        chosen = int(rng.integers(len(self.images)))
        rgb = self.images[chosen]
        top = int(rng.integers(0, rgb.shape[0] - self.size + 1))
        left = int(rng.integers(0, rgb.shape[1] - self.size + 1))
        crop = np.ascontiguousarray(rgb[top:top + self.size, left:left + self.size])
        if rng.random() < 0.5:
            crop = np.ascontiguousarray(crop[:, ::-1])
        return Sample(crop, random_mask(rng, self.size, self.size), self.names[chosen])
