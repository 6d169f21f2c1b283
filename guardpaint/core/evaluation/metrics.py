"""Image-quality metrics on 8-bit images (docs/method.md: defined once, used everywhere)."""
from __future__ import annotations

import cv2
import numpy as np

_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2
_BORDER = 5  # half of the 11-tap window


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 images (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two uint8 images (Wang et al.: Gaussian window, sigma 1.5, 11 taps, population
    covariances), averaged over channels; like scikit-image, the 5 px border where the window
    leaves the image is left out of the mean unless the image is too small to have an interior."""
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    blur = lambda img: cv2.GaussianBlur(img, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    values = []
    for c in range(x.shape[2]):
        xc, yc = x[..., c], y[..., c]
        mx, my = blur(xc), blur(yc)
        vx = blur(xc * xc) - mx * mx
        vy = blur(yc * yc) - my * my
        cov = blur(xc * yc) - mx * my
        num = (2 * mx * my + _C1) * (2 * cov + _C2)
        den = (mx * mx + my * my + _C1) * (vx + vy + _C2)
        values.append(float(np.mean(_interior(num / den))))
    return float(np.mean(values))


def masked_ssim(a: np.ndarray, b: np.ndarray, pixels: np.ndarray) -> float:
    """SSIM of two uint8 images over the ``pixels`` (bool, same height and width) alone: each window's means,
    variances and covariance are taken over its pixels that belong to ``pixels`` (Gaussian weights, sigma
    1.5, 11 taps, as :func:`ssim`), and the map is averaged over ``pixels``, per channel then over channels.
    Pixels outside never enter, so a 3 px stroke or a 4 px dot is judged on its own pixels, not diluted by
    the untouched ones around it (docs/method.md, *Judging a region*)."""
    if a.shape != b.shape or a.shape[:2] != pixels.shape:
        raise ValueError(f"shape mismatch: {a.shape}, {b.shape} and pixels {pixels.shape}")
    if not pixels.any():
        raise ValueError("no pixels to compare")
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    weight = pixels.astype(np.float64)
    blur = lambda img: cv2.GaussianBlur(img, (11, 11), 1.5, borderType=cv2.BORDER_CONSTANT)  # noqa: E731
    total = blur(weight)[pixels]  # > 0: every pixel of ``pixels`` weighs in its own window
    mean = lambda img: blur(img * weight)[pixels] / total  # noqa: E731
    values = []
    for c in range(x.shape[2]):
        xc, yc = x[..., c], y[..., c]
        mx, my = mean(xc), mean(yc)
        vx = np.maximum(mean(xc * xc) - mx * mx, 0.0)
        vy = np.maximum(mean(yc * yc) - my * my, 0.0)
        cov = mean(xc * yc) - mx * my
        num = (2 * mx * my + _C1) * (2 * cov + _C2)
        den = (mx * mx + my * my + _C1) * (vx + vy + _C2)
        values.append(float(np.mean(num / den)))
    return float(np.mean(values))


def masked_psnr(a: np.ndarray, b: np.ndarray, pixels: np.ndarray) -> float:
    """PSNR in dB between two uint8 images over the ``pixels`` alone (inf when they are equal there)."""
    mse = float(np.mean((a[pixels].astype(np.float64) - b[pixels].astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def _interior(values: np.ndarray) -> np.ndarray:
    """``values`` without the border of half a window, when something is left."""
    if min(values.shape) > 2 * _BORDER:
        return values[_BORDER:-_BORDER, _BORDER:-_BORDER]
    return values


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> int:
    """Largest per-channel difference in 8-bit levels."""
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


def noise_statistics(original: np.ndarray, protected: np.ndarray) -> dict[str, float]:
    """How much two 8-bit images differ: PSNR, the largest and the mean absolute difference in levels."""
    difference = np.abs(original.astype(np.int16) - protected.astype(np.int16))
    return {"psnr": psnr(original, protected), "max_abs_diff": int(difference.max()),
            "mean_abs_diff": float(difference.mean())}


def noise_within(original: np.ndarray, protected: np.ndarray, pixels: np.ndarray) -> dict[str, float]:
    """The change over ``pixels`` (HxW bool): how many, the largest and the mean change in levels (each
    pixel counted by its largest channel)."""
    change = np.abs(protected[pixels].astype(np.int16) - original[pixels].astype(np.int16)).max(axis=-1)
    return {"pixels": int(pixels.sum()), "max_abs": int(change.max()), "mean_abs": float(change.mean())}


def target_distance(image: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> float:
    """Mean absolute difference (levels, averaged over channels) of the masked pixels to ``colour``."""
    pixels = image[mask].astype(np.float64)
    return float(np.abs(pixels - np.asarray(colour, dtype=np.float64)).mean())


def masked_mae(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute difference in levels over the masked pixels."""
    return float(np.abs(a[mask].astype(np.float64) - b[mask].astype(np.float64)).mean())
