"""The metrics every report gives, checked against scikit-image's reference implementations."""
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from guardpaint.core.evaluation.metrics import masked_mae, max_abs_diff, psnr, ssim, target_distance

from conftest import make_photo


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
