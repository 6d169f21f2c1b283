"""The attacker suite: mask variations, editor pipelines, transforms, and the report."""
import json

import numpy as np
import pytest

from guardpaint.core.attacks import (
    CROP_MARGIN,
    TRANSFORMS,
    crop_box_with_margin,
    iopaint_crop,
    iopaint_resize,
    mask_variations,
    run_suite,
)
from guardpaint.core.editing import Editor
from guardpaint.core.protect import ProtectionSettings, protect

from conftest import make_mask, make_photo
from high_gain import HighGainInpainter


@pytest.fixture(scope="module")
def inpainter(tiny_model):
    return Editor(tiny_model)


def test_mask_variations_have_the_promised_geometry():
    mask = np.zeros((120, 140), bool)
    mask[40:70, 50:90] = True
    variants = mask_variations(mask, seed=3)
    region = mask.sum()
    assert (variants["exact"] == mask).all()
    for radius in (8, 16, 32):
        grown = variants[f"dilated {radius} px"]
        assert (grown | mask == grown).all() and grown.sum() > region
    assert (variants["dilated 8 px"].sum() < variants["dilated 16 px"].sum() < variants["dilated 32 px"].sum())
    eroded = variants["eroded 4 px"]
    assert (eroded & mask == eroded).all() and 0 < eroded.sum() < region
    assert variants["shifted 8 px down-right"].sum() == region
    assert (variants["shifted 8 px down-right"] != mask).any()
    assert (variants["bounding box"] | mask == variants["bounding box"]).all()
    for a, b in (("top half", "bottom half"), ("left half", "right half")):
        assert not (variants[a] & variants[b]).any() and ((variants[a] | variants[b]) == mask).all()
    covered = (variants["random strokes"] & mask).sum() / region
    assert covered >= 0.7
    again = mask_variations(mask, seed=3)["random strokes"]
    assert (again == variants["random strokes"]).all()


def test_variants_that_vanish_are_left_out():
    thin = np.zeros((40, 40), bool)
    thin[20, 10:30] = True  # one pixel high: erosion empties it
    assert "eroded 4 px" not in mask_variations(thin)


def test_crop_box_is_the_masks_box_plus_margin_inside_the_image():
    mask = np.zeros((400, 500), bool)
    mask[150:200, 400:460] = True  # the margin would pass the right edge
    assert crop_box_with_margin(mask) == (150 - CROP_MARGIN, 400 - CROP_MARGIN, 200 + CROP_MARGIN, 500)


def test_crop_pipeline_edits_only_inside_the_crop_and_sees_only_the_crop(inpainter):
    photo = make_photo(300, 320, seed=1)
    mask = np.zeros(photo.shape[:2], bool)
    mask[200:230, 240:280] = True
    out = iopaint_crop(inpainter, photo, mask)
    assert (out[~mask] == photo[~mask]).all()
    top, left, bottom, right = crop_box_with_margin(mask)
    expected = inpainter.inpaint(photo[top:bottom, left:right], mask[top:bottom, left:right])
    assert (out[top:bottom, left:right] == expected).all()
    far = photo.copy()
    far[:40, :40] = 0  # outside the crop: the crop pipeline cannot see it
    assert (iopaint_crop(inpainter, far, mask)[mask] == out[mask]).all()


def test_resize_pipeline_keeps_the_original_outside_the_mask(inpainter, photo, mask):
    out = iopaint_resize(inpainter, photo, mask)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert (out[~mask] == photo[~mask]).all()
    assert (out[mask] != photo[mask]).any()


def test_transforms_keep_size_and_png_is_lossless(photo):
    for name, transform in TRANSFORMS.items():
        out = transform(photo)
        assert out.shape == photo.shape and out.dtype == np.uint8, name
    assert (TRANSFORMS["PNG round trip"](photo) == photo).all()
    assert (TRANSFORMS["JPEG q80"](photo) != photo).any()
    assert np.abs(TRANSFORMS["JPEG q95"](photo).astype(int) - photo).mean() < 8


def test_unprotected_image_holds_nowhere_and_benign_edits_are_identical(inpainter, photo, mask):
    seen = []
    report = run_suite(inpainter, photo, photo.copy(), mask, (0, 255, 0), on_case=seen.append)
    assert seen == report.cases
    assert {c.group for c in report.cases} == {"mask", "pipeline", "transform"}
    assert not any(c.holds for c in report.cases)
    assert all(c.comparison.ssim == pytest.approx(1.0) for c in report.cases)
    assert report.held_fraction() == 0.0
    assert report.benign_ssim["ring"] == pytest.approx(1.0)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["held"]["all"] == 0.0 and len(data["cases"]) == len(report.cases)


def test_suite_tells_held_attacks_from_broken_ones():
    """On a model the noise moves, the exact edit is defeated while JPEG, which wipes out the
    fine-grained noise, breaks the protection: the suite must see both."""
    model = HighGainInpainter()
    photo, mask = make_photo(), make_mask()
    result = protect(model, photo, mask, ProtectionSettings(seed=1))
    report = run_suite(Editor(model), photo, result.protected, mask, result.target_colour)
    held = {c.name: c.holds for c in report.cases}
    assert held["exact"] and held["full frame"] and held["PNG round trip"]
    assert not held["JPEG q80"]
    assert 0 < report.held_fraction("transform") < 1 and 0 < report.held_fraction() < 1
