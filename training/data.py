"""Training data for the demo model: scikit-image's bundled photos, LaMa-style masks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: Colour photographs and greyscale textures that ship inside the scikit-image wheel.
TRAIN_IMAGES = ("astronaut.png", "motorcycle_left.png", "motorcycle_right.png", "hubble_deep_field.jpg",
                "ihc.png", "retina.jpg", "brick.png", "grass.png", "gravel.png", "camera.png", "coins.png",
                "moon.png", "page.png", "text.png", "cell.png", "clock_motion.png")
#: Held out for validation; never seen in training.
VALIDATION_IMAGES = ("chelsea.png", "coffee.png", "rocket.jpg")


def skimage_data_dir() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


def load_photo(name: str) -> np.ndarray:
    """An skimage data file as HxWx3 uint8 RGB (greyscale replicated, alpha dropped)."""
    image = cv2.imread(str(skimage_data_dir() / name), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(name)
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    image = image[:, :, :3][:, :, ::-1]
    if image.dtype != np.uint8:
        image = (image / (image.max() or 1) * 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def random_stroke_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """Thick random polyline strokes, as in LaMa's 'thick' irregular masks."""
    mask = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(1, 4)):
        x, y = rng.integers(0, size, 2)
        for _ in range(rng.integers(1, 6)):
            angle = rng.uniform(0, 2 * np.pi)
            length = rng.integers(size // 8, size // 2)
            nx = int(np.clip(x + length * np.cos(angle), 0, size - 1))
            ny = int(np.clip(y + length * np.sin(angle), 0, size - 1))
            cv2.line(mask, (int(x), int(y)), (nx, ny), 1, int(rng.integers(size // 16, size // 5)))
            x, y = nx, ny
    return mask


def random_box_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """One to three boxes of varied size."""
    mask = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(1, 4)):
        h, w = rng.integers(size // 8, size // 2 + 1, 2)
        top, left = rng.integers(0, size - h), rng.integers(0, size - w)
        mask[top:top + h, left:left + w] = 1
    return mask


def random_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    mask = random_stroke_mask(size, rng) if rng.random() < 0.5 else random_box_mask(size, rng)
    if mask.mean() > 0.6:  # keep enough context
        mask = random_box_mask(size, rng)
    return mask


@dataclass
class CropSampler:
    """Random crops, flips and rescalings of a set of photos."""

    photos: list[np.ndarray]
    size: int
    scales: tuple[float, ...] = (0.35, 0.5, 0.75, 1.0)

    def __post_init__(self) -> None:
        self.pyramid = []
        for photo in self.photos:
            for scale in self.scales:
                h, w = photo.shape[:2]
                sh, sw = int(h * scale), int(w * scale)
                if min(sh, sw) >= self.size:
                    self.pyramid.append(cv2.resize(photo, (sw, sh), interpolation=cv2.INTER_AREA))
        weights = np.array([p.shape[0] * p.shape[1] for p in self.pyramid], np.float64) ** 0.5
        self.weights = weights / weights.sum()

    def batch(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(images Bx3xSxS float32 in [0,1], masks Bx1xSxS float32)."""
        images, masks = [], []
        for _ in range(count):
            source = self.pyramid[rng.choice(len(self.pyramid), p=self.weights)]
            top = rng.integers(0, source.shape[0] - self.size + 1)
            left = rng.integers(0, source.shape[1] - self.size + 1)
            crop = source[top:top + self.size, left:left + self.size]
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            images.append(crop.transpose(2, 0, 1).astype(np.float32) / 255.0)
            masks.append(random_mask(self.size, rng)[None].astype(np.float32))
        return np.stack(images), np.stack(masks)
