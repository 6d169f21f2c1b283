"""The report's metrics, checked against scikit-image and, for the masked SSIM, against its written-out definition."""
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from guardpaint.core.evaluation.metrics import masked_mae, masked_ssim, max_abs_diff, psnr, ssim, target_distance

from conftest import make_photo, mask_shapes


def _pairs():
    rng = np.random.default_rng(3)
    photo = make_photo(48, 64)
    noisy = np.clip(photo + rng.integers(-6, 7, photo.shape), 0, 255).astype(np.uint8)
    blurred = np.clip(photo.astype(int) // 2 + 60, 0, 255).astype(np.uint8)
    other = make_photo(48, 64, seed=9)
    return [(photo, noisy), (photo, blurred), (photo, other)]


@pytest.mark.parametrize("index", range(3))
def test_ssim_and_psnr_match_scikit_image(index):
    a, b = _pairs()[index]
    expected = structural_similarity(a, b, data_range=255, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
    assert ssim(a, b) == pytest.approx(expected, abs=1e-6)
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), abs=1e-9)


def test_identical_images_and_small_crops():
    a = make_photo(20, 30)
    assert ssim(a, a) == pytest.approx(1.0) and psnr(a, a) == float("inf") and max_abs_diff(a, a) == 0
    small = a[:8, :8]  # too small for an interior: all of it counts
    assert ssim(small, small) == pytest.approx(1.0) and ssim(small, 255 - small) < 0.5


def test_masked_distances():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:2] = (10, 20, 30)
    mask = np.zeros((4, 4), bool)
    mask[:2] = True
    assert target_distance(image, mask, (0, 255, 0)) == pytest.approx((10 + 235 + 30) / 3)
    assert masked_mae(image, np.zeros_like(image), mask) == pytest.approx(20.0)


def _direct_masked_ssim(a: np.ndarray, b: np.ndarray, pixels: np.ndarray) -> float:
    """Masked SSIM written out pixel by pixel: for each region pixel, the Gaussian-weighted statistics of the
    region pixels in its 11 x 11 window; the mean over the region, per channel, then over channels."""
    taps = np.exp(-0.5 * (np.arange(-5, 6) / 1.5) ** 2)
    kernel = np.outer(taps, taps)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for channel in range(3):
        x, y = a[..., channel].astype(float), b[..., channel].astype(float)
        scores = []
        for row, col in zip(*np.nonzero(pixels), strict=True):
            weights, xs, ys = [], [], []
            for dr in range(-5, 6):
                for dc in range(-5, 6):
                    r, c = row + dr, col + dc
                    if 0 <= r < pixels.shape[0] and 0 <= c < pixels.shape[1] and pixels[r, c]:
                        weights.append(kernel[dr + 5, dc + 5])
                        xs.append(x[r, c])
                        ys.append(y[r, c])
            w, xs, ys = np.array(weights) / sum(weights), np.array(xs), np.array(ys)
            mx, my = w @ xs, w @ ys
            vx, vy, cov = w @ (xs - mx) ** 2, w @ (ys - my) ** 2, w @ ((xs - mx) * (ys - my))
            scores.append((2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2)))
        values.append(np.mean(scores))
    return float(np.mean(values))


def test_the_masked_ssim_is_the_ssim_of_the_region_pixels_alone():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (24, 30, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    pixels = mask_shapes(24, 30)["stroke 3 px"][:24, :30] | (np.arange(30)[None, :] == 4)
    assert masked_ssim(a, b, pixels) == pytest.approx(_direct_masked_ssim(a, b, pixels), abs=1e-9)
    elsewhere = b.copy()
    elsewhere[~pixels] = 0  # what lies outside the region never enters
    assert masked_ssim(a, elsewhere, pixels) == masked_ssim(a, b, pixels)
