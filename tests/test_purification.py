"""Attackers clean before they edit: the purifications in the suite, their differentiable twins, one group
at a time, and the robust level drawing from the same list."""
import json

import cv2
import numpy as np
import pytest
import skimage.data
import torch

from guardpaint.cli import main
from guardpaint.core.evaluation.suite import run_suite
from guardpaint.core.protection.attacks import ATTACKS, hardening_attacks, shifted, unshifted
from guardpaint.core.protection.groups import ATTACK_GROUPS, SUITE_GROUPS

PHOTOS = {"chelsea": (192, 256), "astronaut": (224, 224)}


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    return [cv2.resize(getattr(skimage.data, name)(), size[::-1], interpolation=cv2.INTER_AREA)
            for name, size in PHOTOS.items()]


def _tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255


def _image(tensor: torch.Tensor) -> np.ndarray:
    return (tensor.detach()[0].clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.twin is not None], ids=lambda a: a.name)
def test_each_twin_is_its_real_attack_within_its_stated_tolerance(attack, photos):
    """The twin's 8-bit output against the real operation's: the mean absolute difference in levels is within
    the tolerance the attack states (random noise: the same spread, as the draws differ)."""
    for rgb in photos:
        real = attack.apply(rgb).astype(float)
        twin = _image(attack.twin(_tensor(rgb), 7)).astype(float)
        if attack.tolerance is None:  # the noise twins: the same distribution of change
            assert abs(np.std(real - rgb) - np.std(twin - rgb)) < 0.1 * np.std(real - rgb) + 0.2, attack.name
        else:
            assert np.abs(real - twin).mean() <= attack.tolerance, attack.name


@pytest.mark.parametrize("attack", [a for a in hardening_attacks() if a.name in {
    "AdverseCleaner", "blur (sigma 1 px)", "median filter (3 px)", "curves: gamma 0.8", "saturation +20%",
    "JPEG at 75", "added noise (5 levels)"}], ids=lambda a: a.name)
def test_twins_carry_a_gradient(attack, photos):
    x = _tensor(photos[0][:64, :64]).requires_grad_(True)
    attack.twin(x, 0).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_every_purification_names_its_parameters_and_the_groups_are_declared_once():
    names = [attack.name for attack in ATTACKS]
    assert len(names) == len(set(names))
    assert {attack.group for attack in ATTACKS} == set(ATTACK_GROUPS) and SUITE_GROUPS[:2] == ("mask", "pipeline")
    purifications = [attack for attack in ATTACKS if attack.group == "purification"]
    expected = {"AdverseCleaner", "bilateral filters (AdverseCleaner's first part)", "blur (sigma 0.5 px)",
                "blur (sigma 1 px)", "blur (sigma 2 px)", "median filter (3 px)", "median filter (5 px)",
                "added noise (2 levels)", "added noise (5 levels)", "added noise (13 levels)",
                "noise reduction (non-local means)", "sharpened (unsharp mask)", "curves: gamma 0.8",
                "curves: gamma 1.25", "curves: levels stretch", "saturation -20%", "saturation +20%", "JPEG at 75",
                "WebP at 80 (lossy)", "social media (1080 px, JPEG 85)", "halved and enlarged again (bicubic)",
                "shifted 1 px", "shifted 3 px", "shifted 5 px", "shifted 7 px", "blur then JPEG (sigma 1, 75)"}
    assert {a.name for a in purifications} == expected
    assert all(a.params for a in purifications)
    cleaner = next(a for a in purifications if a.name == "AdverseCleaner")
    assert cleaner.params == {"bilateral": [64, 5, 8.0], "guided": [4, 4, 16.0]} and "AdverseCleaner" in cleaner.source
    assert all(a.note for a in purifications if a.twin is None)  # each one without a twin says why


def test_a_shift_moves_the_mask_with_the_image_and_back():
    image = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    moved = shifted(image, 2)
    assert (moved[2:, 2:] == image[:-2, :-2]).all()
    assert (unshifted(moved, 2)[:-2, :-2] == image[:-2, :-2]).all()
    mask = np.zeros((5, 6), bool)
    mask[1, 1] = True
    assert shifted(mask, 2)[3, 3] and shifted(mask, 2).sum() == 1


def test_verify_runs_one_group_and_lists_every_purification_with_its_parameters(case, capsys):
    code = main(["verify", str(case["image"]), str(case["image"]), "--mask", str(case["mask"]), "--model",
                 str(case["model"]), "--suite", "--group", "purification", "--json"])
    (suite,) = json.loads(capsys.readouterr().out)["suite"]
    assert code == 0 and set(suite["held"]) == {"purification", "all"}
    assert {c["group"] for c in suite["cases"]} == {"purification"}
    assert len(suite["cases"]) == sum(a.group == "purification" for a in ATTACKS)
    by_name = {c["name"]: c for c in suite["cases"]}
    assert by_name["blur (sigma 2 px)"]["params"] == {"sigma": 2.0}
    assert by_name["shifted 7 px"]["params"] == {"pixels": 7}
    code = main(["verify", str(case["image"]), str(case["image"]), "--mask", str(case["mask"]), "--suite", "--group",
                 "dreams"])
    assert code == 2


def test_an_unprotected_image_holds_under_no_purification(tiny_model, photo, mask):
    report = run_suite(tiny_model, photo, photo.copy(), mask, (0, 255, 0), groups=("purification",))
    assert report.cases and not any(case.holds for case in report.cases)
    assert report.held_fraction("purification") == 0.0


def test_the_app_shows_the_purification_group(window, qtbot, files):
    from conftest import protect_in_window

    protect_in_window(window, qtbot, files["mask"])
    window.protection.attack_suite(window)
    dialog = window.protection.suite_dialog
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=600_000)
    groups = {dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())}
    names = {dialog.table.item(row, 1).text() for row in range(dialog.table.rowCount())}
    assert {"purification", "transform", "mask", "pipeline"} <= groups
    assert {"AdverseCleaner", "shifted 7 px", "social media (1080 px, JPEG 85)"} <= names
    assert "purification" in dialog.summary.text()
