"""The attacker suite: mask variations, editor pipelines, the image attacks (transforms and purifications), and
the report."""
import json

import numpy as np
import pytest

from guardpaint.core.editor.variations import mask_variations
from guardpaint.core.evaluation.suite import pipeline_cases, run_suite
from guardpaint.core.protection.attacks import ATTACKS
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings

from conftest import IOPAINT, make_mask, make_photo
from high_gain import HighGainInpainter


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


def test_the_editor_group_tries_every_editor_that_acts_at_the_size():
    others = ["comfyui", "lama-512-resize", "lama-512-crop"]
    assert list(pipeline_cases((600, 800, 3)).values()) == ["iopaint:full", "iopaint:crop", *others]
    assert list(pipeline_cases((1000, 1600, 3)).values()) == ["iopaint:full", "iopaint:crop", "iopaint:resize", *others]
    assert "IOPaint (whole image)" in pipeline_cases((1200, 1000, 3))
    assert "iopaint:full" not in pipeline_cases((5000, 4000, 3)).values()  # 20 MP: no editor runs it whole


def test_image_attacks_keep_size_and_png_is_lossless(photo):
    by_name = {attack.name: attack.apply for attack in ATTACKS}
    for name, apply in by_name.items():
        out = apply(photo)
        assert out.shape == photo.shape and out.dtype == np.uint8, name
    assert (by_name["saved as PNG and read back"](photo) == photo).all()
    assert (by_name["JPEG at 80"](photo) != photo).any()
    assert np.abs(by_name["JPEG at 95"](photo).astype(int) - photo).mean() < 8


def test_unprotected_image_holds_nowhere_and_benign_edits_are_identical(tiny_model, photo, mask):
    seen = []
    report = run_suite(tiny_model, photo, photo.copy(), mask, (0, 255, 0), on_case=seen.append)
    assert seen == report.cases
    assert {c.group for c in report.cases} == {"mask", "pipeline", "transform", "purification"}
    assert not any(c.holds for c in report.cases)
    assert all(c.edit.comparisons[0].ssim == pytest.approx(1.0) for c in report.cases)
    assert report.held_fraction() == 0.0
    assert report.benign_ssim["ring"] == pytest.approx(1.0)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["held"]["all"] == 0.0 and len(data["cases"]) == len(report.cases)


def test_suite_tells_held_attacks_from_broken_ones():
    """On a model the noise moves, the exact edit is defeated while JPEG, which wipes out the
    fine-grained noise, breaks the protection: the suite must see both."""
    model = HighGainInpainter()
    photo, mask = make_photo(), make_mask()
    result = protect(model, photo, mask, ProtectionSettings(seed=1, editors=IOPAINT))
    report = run_suite(model, photo, result.protected, mask, result.target_colour)
    held = {c.name: c.holds for c in report.cases}
    assert held["exact"] and held["IOPaint (whole image)"] and held["saved as PNG and read back"]
    assert not held["JPEG at 80"]
    assert 0 < report.held_fraction("transform") < 1 and 0 < report.held_fraction() < 1
