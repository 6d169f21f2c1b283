"""The whole chain (protect, 8-bit write, re-read, verify, suite) on a model the noise can move,
next to the bundled demo model, which it cannot move."""
import numpy as np
import torch

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.evaluation.report import REPORT_KEYS, protection_report
from guardpaint.core.evaluation.suite import run_suite
from guardpaint.core.evaluation.verify import verify
from guardpaint.core.io.images import LoadedImage, load_image
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_to_file
from guardpaint.models import load_model

from conftest import IOPAINT, make_photo
from high_gain import HighGainInpainter


def _case():
    photo = make_photo(64, 80, seed=4)
    mask = np.zeros((64, 80), bool)
    mask[22:42, 30:52] = True
    return photo, mask


def _protect_and_check(model, tmp_path):
    photo, mask = _case()
    out = tmp_path / f"{model.name}.png"
    request = ProtectionRequest.checked(LoadedImage(photo), mask, ProtectionSettings(editors=IOPAINT), output=out)
    outcome = protect_to_file(request.for_models(model))
    written = load_image(out).rgb  # the file, read back from disk
    np.testing.assert_array_equal(written, outcome.written)
    check = verify(Editor(model), photo, written, mask, target_colour=outcome.result.target_colour)
    suite = run_suite(model, photo, written, mask, outcome.result.target_colour)
    return outcome, check, suite


def test_a_high_gain_model_is_protected_end_to_end(tmp_path):
    outcome, check, suite = _protect_and_check(HighGainInpainter(), tmp_path)
    (verdict,) = check.regions
    assert outcome.protected and check.holds and verdict.holds
    assert verdict.malicious.target_distance_protected < 0.5 * verdict.malicious.target_distance_original
    assert check.psnr >= 38 and check.max_abs_diff <= 4  # the default: the least strength that holds
    exact = {c.name: c.holds for c in suite.cases}
    assert exact["exact"] and exact["IOPaint (whole image)"] and exact["saved as PNG and read back"]
    report = protection_report(outcome, suites={outcome.model.name: suite})
    assert tuple(report) == REPORT_KEYS and report["protected"] is True and report["advice"] == []


def test_the_demo_model_is_not_protected_and_says_why(tmp_path):
    torch.manual_seed(0)
    outcome, check, suite = _protect_and_check(load_model("demo", torch.device("cpu")), tmp_path)
    assert not outcome.protected and not check.holds
    assert check.regions[0].malicious.ssim > 0.8  # the demo's fill barely moves
    assert suite.held_fraction() == 0.0
    report = protection_report(outcome)
    assert report["protected"] is False and report["summary"].startswith("Not protected against demo")
    assert any("demo model" in tip for tip in report["advice"])
    assert any("big-lama" in warning for warning in report["warnings"])
    assert report["provenance"]["models"][0]["sha256"] == outcome.model.sha256


def test_without_gain_the_same_chain_reports_not_protected(tmp_path):
    """The held verdict above comes from the model's gain, not from the chain itself."""
    outcome, check, _ = _protect_and_check(HighGainInpainter(gain=0.0, name="no-gain"), tmp_path)
    assert not outcome.protected and not check.holds
