"""Invisible by default: noise only where it acts, and the least strength that holds, region by region."""
import math
from dataclasses import replace

import numpy as np
import torch

from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.budget import INFLUENCE_FLOOR, influence_share
from guardpaint.core.protection.loop import Rung, protect, strength_ladder
from guardpaint.core.protection.settings import MAXIMUM_STRENGTH, ProtectionSettings, Strength, at_maximum_strength
from guardpaint.core.workflow import protect_image

from conftest import IOPAINT, make_photo
from high_gain import HighGainInpainter


def _textured_and_smooth() -> tuple[np.ndarray, np.ndarray]:
    """A 1000 x 900 photo, textured on the left and a nearly flat sky on the right, with a small region in
    each half (far apart: two windows). The flat one gives the noise a smaller budget, so it is harder."""
    photo = make_photo(900, 1000, seed=5)
    rows, cols = np.mgrid[0:900, 0:500]
    sky = np.dstack([90 + cols * 0.1, 140 + rows * 0.05, 200 - cols * 0.05])
    photo[:, 500:] = np.clip(sky + np.random.default_rng(1).normal(0, 4, (900, 500, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((900, 1000), bool)
    mask[300:324, 200:228] = True  # in the texture
    mask[600:624, 750:778] = True  # in the sky
    return photo, mask


def test_a_region_that_holds_stops_at_the_first_step_and_one_that_does_not_gets_a_second():
    photo, mask = _textured_and_smooth()
    outcome = protect_image(HighGainInpainter(), LoadedImage(photo), mask, ProtectionSettings(editors=IOPAINT))
    first, cap, _ = (rung.strength.fraction for rung in strength_ladder(ProtectionSettings()))
    assert outcome.protected and [v.holds for v in outcome.verification.regions] == [True, True]
    report = protection_report(outcome)
    assert [(r["strength"], r["step"]) for r in report["regions"]] == [(first * 255, 1), (cap * 255, 2)]
    assert report["optimisation"]["steps_run"] == 2
    stages = [h.stage for h in outcome.result.history]
    assert stages == [1] * 20 + [2] * 20 and all(h.windows == 1 for h in outcome.result.history[20:])
    left, _ = outcome.result.windows
    assert np.abs(outcome.result.noise[left.slices]).max() <= math.ceil(first * 255)  # it stayed at step 1


def test_the_default_holds_with_far_less_noise_than_the_reference():
    photo, mask = _textured_and_smooth()
    mask[600:624, 750:778] = False  # the textured region alone
    model = HighGainInpainter()
    default = protect_image(model, LoadedImage(photo), mask, ProtectionSettings(editors=IOPAINT))
    reference = protect_image(model, LoadedImage(photo), mask, at_maximum_strength(ProtectionSettings(editors=IOPAINT)))
    assert default.protected and reference.protected
    energy = {name: float((o.result.noise.astype(float) ** 2).sum()) for name, o in
              (("default", default), ("reference", reference))}
    assert energy["default"] < 0.1 * energy["reference"]
    assert default.verification.psnr >= 38 and np.abs(default.result.noise).max() <= 5


def test_noise_goes_only_where_it_acts():
    gradient = torch.zeros(1, 3, 100, 100)
    gradient[..., 40:60, 40:60] = 1.0
    share = influence_share(gradient)
    assert share[..., 50, 50] == 1.0 and share[..., 5, 5] == 0.0  # far from the influence: no budget at all
    assert (share[share > 0] >= INFLUENCE_FLOOR).all()
    photo, mask = make_photo(96, 128), np.zeros((96, 128), bool)
    mask[40:60, 50:80] = True
    result = protect(HighGainInpainter(), photo, mask, ProtectionSettings(iterations=3, editors=IOPAINT))
    noisy = (result.noise != 0).any(axis=2)
    assert 0 < noisy.mean() < 0.6 and not noisy[:, :10].any()  # the high-gain model reads 15 px around the hole


def test_the_ladder_and_maximum_strength():
    settings = ProtectionSettings(editors=IOPAINT)
    cap, half = Strength(settings.epsilon), Strength(settings.epsilon / 2)
    assert strength_ladder(settings) == [Rung(half, "adaptive"), Rung(cap, "adaptive"), Rung(cap, "uniform")]
    assert strength_ladder(replace(settings, strength_steps=3))[1].strength.fraction == cap.fraction * 0.5 ** 0.5
    assert strength_ladder(replace(settings, budget="uniform")) == [Rung(half, "uniform"), Rung(cap, "uniform")]
    assert strength_ladder(replace(settings, auto_strength=False)) == [Rung(cap, "adaptive")]
    maximum = at_maximum_strength(settings)
    assert (maximum.epsilon, maximum.budget, strength_ladder(maximum)) == (MAXIMUM_STRENGTH, "uniform",
                                                                          [Rung(Strength(MAXIMUM_STRENGTH), "uniform")])


def test_a_fill_the_noise_does_not_move_is_said_and_no_stronger_setting_is_offered(tmp_path):
    photo, mask = make_photo(), np.zeros((64, 80), bool)
    mask[20:40, 30:52] = True
    outcome = protect_image(HighGainInpainter(gain=0.0, name="unmoved"), LoadedImage(photo), mask,
                            ProtectionSettings(iterations=2, editors=IOPAINT, precision="fp32"))
    report = protection_report(outcome)
    # a model the first step did not move at all: no stronger step is tried, and the report says why
    assert not outcome.protected and outcome.result.steps == 1 and len(outcome.result.history) == 2
    assert report["regions"][0]["step"] == 1 and "did not move the fill" in report["regions"][0]["note"]
    assert report["advice"] == ["The noise did not move this model's fill at all, so a stronger setting or more "
                                "iterations will not help: check that these are the weights editors run."]
    maximum = protect_image(HighGainInpainter(gain=0.0, name="unmoved"), LoadedImage(photo), mask,
                            at_maximum_strength(ProtectionSettings(iterations=2, editors=IOPAINT)))
    assert "did not move the fill" in maximum.result.region_outcomes[0].note  # at maximum strength too
    assert not any("maximum strength" in tip for tip in protection_report(maximum)["advice"])
