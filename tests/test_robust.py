"""Hardening: the differentiable JPEG, the attack sampler, and the robust protection level."""
import io

import numpy as np
import pytest
from PIL import Image

from guardpaint.core.editor.tensors import image_to_tensor, tensor_to_image
from guardpaint.core.protection.attacks import hardening_attacks
from guardpaint.core.protection.jpeg import _LUMA, jpeg_approx, quantisation_table
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.robust import AttackSampler
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.windows import plan_protection
from guardpaint.errors import InputError

from conftest import IOPAINT, make_mask, make_photo


def pil_jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return np.array(Image.open(buffer).convert("RGB")).astype(float)


@pytest.mark.parametrize("quality", [95, 90, 80])
def test_jpeg_approximation_is_close_to_real_jpeg(quality):
    rgb = make_photo(72, 90, seed=2)
    real = pil_jpeg(rgb, quality)
    approx = tensor_to_image(jpeg_approx(image_to_tensor(rgb), quality)).astype(float)
    assert approx.shape == rgb.shape
    # much closer to what libjpeg writes than the untouched image is
    assert np.abs(approx - real).mean() < 0.5 * np.abs(rgb - real).mean()


def test_jpeg_tables_follow_the_ijg_scaling_and_gradients_flow():
    assert quantisation_table(_LUMA, 50).flatten().tolist() == [float(v) for v in _LUMA]
    assert (quantisation_table(_LUMA, 100) == 1).all()
    assert quantisation_table(_LUMA, 80)[0, 0] == 6  # floor((16 * 40 + 50) / 100)
    x = image_to_tensor(make_photo()).requires_grad_(True)
    jpeg_approx(x, 85).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_attack_sampler_is_seeded_and_never_repeats_the_exact_mask():
    mask = make_mask(96, 128)
    plan = plan_protection(mask, 17, IOPAINT, robust=True)
    draws = []
    for _ in range(2):
        sampler = AttackSampler(mask, plan, 4)
        draws.append([(s.transform, s.mask_name, s.box) for s in (sampler.sample() for _ in range(10))])
    assert draws[0] == draws[1]
    sampler = AttackSampler(mask, plan, 4)
    samples = [sampler.sample() for _ in range(200)]
    assert "exact" not in {s.mask_name for s in samples}
    drawn = {s.transform for s in samples}
    twins = {attack.name for attack in hardening_attacks()}
    assert "none" in drawn and drawn - {"none"} <= twins and len(drawn) > len(twins) // 2
    assert "noise reduction (non-local means)" not in twins  # no differentiable twin: the suite only
    assert {s.cropped for s in samples} == {True, False}  # a small image: the whole frame, or a crop by hand
    for s in samples:
        assert s.mask.shape == (s.box.height, s.box.width) and s.mask.any()


def test_large_images_are_attacked_through_the_editors_crops_inside_the_windows():
    mask = np.zeros((900, 1200), bool)
    mask[400:480, 500:600] = True
    plan = plan_protection(mask, 17, IOPAINT, robust=True)
    sampler = AttackSampler(mask, plan, 1)
    for sample in (sampler.sample() for _ in range(30)):
        window = plan.windows[sample.window]
        assert sample.cropped and sample.box.bottom <= window.height and sample.box.right <= window.width
        assert sample.box.height <= 80 + 2 * 32 + 2 * 128 + 1  # a crop, never the whole window


def test_robust_level_reports_its_term_stays_in_budget_and_is_deterministic(tiny_model):
    photo, mask = make_photo(), make_mask()
    settings = ProtectionSettings(iterations=3, level="robust", seed=5)
    first = protect(tiny_model, photo, mask, settings)
    second = protect(tiny_model, photo, mask, settings)
    assert all(r.robust > 0 for r in first.history)
    np.testing.assert_array_equal(first.protected, second.protected)
    assert np.abs(first.noise).max() <= 7
    standard = protect(tiny_model, photo, mask, ProtectionSettings(iterations=3, seed=5))
    assert all(r.robust == 0 for r in standard.history)
    assert (standard.protected != first.protected).any()  # the editor attacks steer the noise
    with pytest.raises(InputError, match="level"):
        ProtectionSettings(level="paranoid").validated()
    with pytest.raises(InputError, match="robust"):
        ProtectionSettings(robust_samples=0).validated()
