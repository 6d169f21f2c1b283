"""Verdicts region by region: each region of the mask is protected and judged on its own, and the numbers
can be checked from outside with ``guardpaint inpaint`` and any SSIM."""
import json

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import structural_similarity

from guardpaint.cli import main
from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.regions import find_regions
from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.evaluation.verify import verify
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_image

from conftest import IOPAINT, make_photo, mask_shapes, save_tiny_weights
from high_gain import HighGainInpainter


def _two_regions(height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[150:176, 200:230] = True  # top left (small: the high-gain model fills from 15 px of context)
    mask[height - 260:height - 236, width - 330:width - 298] = True  # bottom right
    return mask


def test_regions_are_the_editors_components_in_reading_order():
    mask = np.zeros((100, 120), bool)
    mask[60:90, 10:40] = True
    mask[5:30, 70:110] = True
    mask[10:20, 80:90] = False  # a hole...
    mask[13:17, 83:87] = True  # ...with an island: still the second region's
    first, second = find_regions(mask)
    assert (first.number, first.box.top, first.box.left) == (1, 5, 70)
    assert (second.number, second.box.top) == (2, 60)
    assert first.size + second.size == mask.sum()
    assert (first.mask(mask.shape) | second.mask(mask.shape) == mask).all()


@pytest.fixture(scope="module")
def protected_photo():
    """A 1600 x 1200 photo with two far-apart regions, protected against the high-gain model."""
    photo = make_photo(1200, 1600, seed=11)
    mask = _two_regions(1200, 1600)
    model = HighGainInpainter()
    outcome = protect_image(model, LoadedImage(photo), mask, ProtectionSettings(seed=2, editors=IOPAINT))
    return model, photo, mask, outcome


def test_two_far_apart_regions_are_both_protected_and_judged_on_their_own(protected_photo):
    _, _, _, outcome = protected_photo
    assert len(outcome.result.windows) == 2 and not outcome.result.full_frame
    check = outcome.verification
    assert outcome.protected and check.holds and [v.holds for v in check.regions] == [True, True]
    report = protection_report(outcome)
    assert [r["region"] for r in report["regions"]] == [1, 2] and all(r["holds"] for r in report["regions"])
    assert report["regions"][0]["window"] != report["regions"][1]["window"]
    assert report["summary"] == ("Protected against high-gain in IOPaint: an edit of any of the 2 regions comes out "
                                 "as a flat colour.")


def test_a_region_whose_noise_is_gone_is_named_and_the_other_still_holds(protected_photo):
    model, photo, mask, outcome = protected_photo
    second = outcome.result.windows[outcome.result.region_windows[1]]
    stripped = outcome.written.copy()
    stripped[second.slices] = photo[second.slices]  # the noise of region 2's window forced to zero
    check = verify(Editor(model), photo, stripped, mask, target_colour=outcome.result.target_colour)
    assert [v.holds for v in check.regions] == [True, False] and check.failing == [2]
    from dataclasses import replace

    report = protection_report(replace(outcome, written=stripped, verifications={"high-gain": {"iopaint": check}}))
    assert report["protected"] is False
    assert [r["holds"] for r in report["regions"]] == [True, False]
    assert report["summary"] == ("Not protected against high-gain in IOPaint: region 2 of 2 can still be edited "
                                 "convincingly; the other one holds.")


def test_the_report_per_region_ssim_is_what_inpaint_and_any_ssim_give(tmp_path, capsys):
    """For a rectangular region its pixels are its box: the masked SSIM is then scikit-image's SSIM over the
    box, within 0.01 (the masked one renormalises its windows at the box's edge instead of leaving out a
    5 px border)."""
    photo = make_photo(900, 1000, seed=12)
    mask = _two_regions(900, 1000)
    image, mask_path, weights = tmp_path / "photo.png", tmp_path / "photo.mask.png", tmp_path / "tiny.pth"
    Image.fromarray(photo).save(image)
    Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)
    save_tiny_weights(weights, seed=3)
    protected = tmp_path / "protected.png"
    assert main(["protect", str(image), "--mask", str(mask_path), "-o", str(protected), "--model", str(weights),
                 "--iterations", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    edits = {}
    for name, source in (("clean", image), ("attacked", protected)):
        out = tmp_path / f"{name}-edit.png"
        assert main(["inpaint", str(source), "--mask", str(mask_path), "-o", str(out), "--model", str(weights)]) == 0
        edits[name] = np.array(Image.open(out).convert("RGB"))
    capsys.readouterr()
    assert len(report["regions"]) == 2
    for region, judged in zip(report["regions"], report["edits"][0]["regions"], strict=True):
        top, left, bottom, right = region["box"]
        attacked, clean = edits["attacked"][top:bottom, left:right], edits["clean"][top:bottom, left:right]
        outside = structural_similarity(attacked, clean, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                        use_sample_covariance=False, data_range=255)
        assert judged["region"] == region["region"] and judged["ssim"] == pytest.approx(outside, abs=0.01)


@pytest.mark.parametrize("photo_name", ["chelsea", "astronaut", "synthetic"])
def test_a_target_colour_fill_holds_and_the_clean_fill_does_not_for_every_shape(photo_name):
    """The calibration of the verdict (docs/method.md, section 7): with a LaMa-family model's fill as the
    clean edit, a fill that is the target colour holds and the clean fill does not, for every shape."""
    import cv2
    import skimage.data

    from guardpaint.core.evaluation.verify import EditComparison
    from guardpaint.core.protection.target import choose_target_colour
    from guardpaint.models import load_model

    photo = make_photo(160, 192, seed=4) if photo_name == "synthetic" else cv2.resize(
        getattr(skimage.data, photo_name)(), (192, 160), interpolation=cv2.INTER_AREA)
    editor = Editor(load_model("demo", torch.device("cpu")))
    colour = choose_target_colour(photo)
    for name, mask in mask_shapes(160, 192).items():
        clean = editor.inpaint(photo, mask)
        target = clean.copy()
        target[mask] = colour
        for region in find_regions(mask):
            defeated = EditComparison.measure(clean, target, region, colour)
            untouched = EditComparison.measure(clean, clean, region, colour)
            assert defeated.holds and defeated.ssim < 0.4 and defeated.shortfall < 1, name
            assert not untouched.holds and untouched.ssim == pytest.approx(1.0) and untouched.shortfall >= 2, name
