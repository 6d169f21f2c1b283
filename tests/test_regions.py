"""Region-scoped protection: the views the editor computes, noise only in their windows."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.editor.geometry import Box, crop_box
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.core.editor.variations import MIN_REACH
from guardpaint.core.editor.views import iopaint_views
from guardpaint.core.protection.budget import SMOOTH_SHARE, texture_share
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.windows import merge_boxes, plan_protection, term_masks

from conftest import IOPAINT, make_photo

FAST = ProtectionSettings(iterations=2, epsilon=0.05, precision="fp32", editors=IOPAINT)


def _square(mask, top, left, side=60):
    mask[top:top + side, left:left + side] = True
    return mask


def test_up_to_800_px_the_whole_frame_is_the_one_window():
    plan = plan_protection(_square(np.zeros((600, 800), bool), 200, 300), 17, IOPAINT)
    assert plan.full_frame and plan.windows == [Box(0, 0, 600, 800)]
    assert [tv.term for tv in plan.views] == ["attack", "incomplete", "hide"]


def test_above_800_px_each_term_is_viewed_through_the_editors_crop():
    mask = _square(np.zeros((1000, 1200), bool), 400, 500)
    plan = plan_protection(mask, 17, IOPAINT)
    (window,) = plan.windows
    views = {tv.term: tv.view.box for tv in plan.views}
    assert views["attack"] == crop_box(Box(400, 500, 460, 560), mask.shape)
    assert views["incomplete"] == views["hide"] == crop_box(Box(392, 492, 468, 568), mask.shape)
    assert window == views["incomplete"] and not plan.full_frame
    (robust,) = plan_protection(mask, 17, IOPAINT, robust=True).windows
    assert robust.contains(window) and robust.height == window.height + 2 * MIN_REACH - 2 * 8


def test_far_regions_get_their_own_windows_and_close_ones_merge():
    mask = _square(_square(np.zeros((1000, 1500), bool), 100, 100), 800, 1300)
    assert len(plan_protection(mask, 17, IOPAINT).windows) == 2
    close = _square(_square(np.zeros((1000, 1500), bool), 400, 400), 400, 700)
    plan = plan_protection(close, 17, IOPAINT)
    (merged,) = plan.windows
    assert len(plan.views) == 6 and all(merged.contains(tv.view.box) for tv in plan.views)


@pytest.fixture(scope="module")
def large_case():
    photo = make_photo(900, 1000, seed=6)
    mask = _square(_square(np.zeros((900, 1000), bool), 100, 120), 700, 820, 50)
    return photo, mask


def test_outside_the_windows_the_protected_image_is_the_input_bit_for_bit(tiny_model, large_case):
    photo, mask = large_case
    seen = []
    result = protect(tiny_model, photo, mask, FAST, on_iteration=seen.append)
    inside = np.zeros(mask.shape, bool)
    for box in result.windows:
        inside[box.slices] = True
    assert not result.full_frame and len(result.windows) == 2 and seen[0].windows == 2
    assert (result.protected[~inside] == photo[~inside]).all()
    assert (result.protected[inside] != photo[inside]).any()
    assert np.abs(result.noise).max() <= round(FAST.epsilon * 255)
    assert inside.mean() < 0.45  # the windows, not the photo


def test_the_objective_is_the_loss_of_the_editors_crops(tiny_model, large_case):
    """Iteration 0's attack term equals the masked error of edits of IOPaint's crops, computed by hand."""
    photo, mask = large_case
    settings = replace(FAST, iterations=1, init_scale=0.0, learning_rate=0.0)  # no noise: the plain image
    result = protect(tiny_model, photo, mask, settings)
    colour = torch.tensor(result.target_colour, dtype=torch.float32).view(1, 3, 1, 1) / 255
    squared, count = 0.0, 0.0
    for box in (view.box for view in iopaint_views(mask, "crop")):
        image = image_to_tensor(photo[box.slices])
        k = mask_to_tensor(mask[box.slices])
        with torch.no_grad():
            edited = edit(tiny_model.for_attack(), image, k)
        squared += float((((edited - colour) ** 2) * k).sum())
        count += float(k.sum()) * 3
    assert result.history[0].losses["attack"] == pytest.approx(squared / count, rel=1e-4)
    assert (result.protected == photo).all()


def test_texture_budget_keeps_smooth_areas_quieter(tiny_model):
    photo = make_photo(64, 80)
    photo[:, :30] = 128  # a flat band: no texture at all
    mask = np.zeros((64, 80), bool)
    mask[20:40, 40:60] = True
    settings = ProtectionSettings(iterations=3, epsilon=0.1, budget="texture", precision="fp32", editors=IOPAINT)
    result = protect(tiny_model, photo, mask, settings)
    share = texture_share(photo)
    assert share[:, :24].max() == pytest.approx(SMOOTH_SHARE)
    allowed = np.round(share * settings.epsilon * 255)[..., None] + 1
    assert (np.abs(result.noise) <= allowed).all()
    assert np.abs(result.noise[:, :24]).max() <= round(SMOOTH_SHARE * settings.epsilon * 255) + 1


def test_iopaints_resize_of_a_large_photo_can_be_protected_against_with_its_crops(tiny_model):
    """IOPaint's resize reads the whole photo: with it, the noise may go anywhere it reads."""
    photo = make_photo(1000, 1400, seed=2)
    mask = _square(np.zeros((1000, 1400), bool), 500, 600)
    settings = ProtectionSettings(iterations=1, level="robust", editors=("iopaint", "iopaint:resize"), precision="fp32")
    result = protect(tiny_model, photo, mask, settings)
    assert result.history[0].robust > 0 and result.windows == [Box(0, 0, 1000, 1400)]
    assert term_masks(mask, 17)["hide"].sum() > 0


def test_jpeg_output_snaps_the_windows_to_its_block_grid(tiny_model, large_case):
    photo, mask = large_case
    plan = plan_protection(mask, 17, IOPAINT, grid=16)
    for index, box in enumerate(plan.windows):
        assert box.top % 16 == 0 and box.left % 16 == 0
        assert box.bottom % 16 == 0 or box.bottom == photo.shape[0]
        assert box.right % 16 == 0 or box.right == photo.shape[1]
        assert all(box.contains(tv.view.box) for tv in plan.views if tv.window == index)
    result = protect(tiny_model, photo, mask, replace(FAST, iterations=1, jpeg_quality=85))
    assert all(box.top % 16 == 0 and box.left % 16 == 0 for box in result.windows)


def test_each_window_keeps_its_own_best_iterate(tiny_model, large_case):
    photo, mask = large_case
    result = protect(tiny_model, photo, mask, replace(FAST, iterations=5))
    assert len(result.best_iterations) == len(result.windows) == 2
    assert result.best_loss <= min(report.total for report in result.history) + 1e-6


def test_a_grey_image_gets_grey_noise(tiny_model):
    grey = np.repeat(make_photo(64, 80)[..., :1], 3, axis=2)
    mask = np.zeros((64, 80), bool)
    mask[20:40, 30:50] = True
    result = protect(tiny_model, grey, mask, replace(FAST, iterations=3))
    assert (result.protected[..., 0] == result.protected[..., 1]).all()
    assert (result.protected[..., 1] == result.protected[..., 2]).all() and np.abs(result.noise).max() > 0


def test_the_verdict_is_measured_through_the_editor_protected_against(tiny_model, large_case):
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.evaluation.report import protection_report
    from guardpaint.core.evaluation.verify import verify
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.workflow import protect_image

    photo, mask = large_case
    outcome = protect_image(tiny_model, LoadedImage(photo), mask,
                            replace(FAST, iterations=1, editors=("full",), auto_strength=False))
    assert outcome.result.full_frame and protection_report(outcome)["edits"][0]["editor"] == "iopaint:full"
    colour = outcome.result.target_colour
    full = verify(Editor(tiny_model, "full"), photo, outcome.written, mask, target_colour=colour)
    crops = verify(Editor(tiny_model), photo, outcome.written, mask, target_colour=colour)
    shown = [verdict.malicious for verdict in outcome.verification.regions]
    assert shown == [v.malicious for v in full.regions] != [v.malicious for v in crops.regions]


def test_merge_boxes_joins_overlaps_only():
    merged = merge_boxes([Box(0, 0, 10, 10), Box(5, 5, 20, 20), Box(50, 50, 60, 60)])
    assert merged == [Box(0, 0, 20, 20), Box(50, 50, 60, 60)]


def test_merging_many_windows_matches_merging_them_pairwise():
    rng = np.random.default_rng(3)
    boxes = []
    for _ in range(300):
        top, left = (int(v) for v in rng.integers(0, 2000, 2))
        boxes.append(Box(top, left, top + int(rng.integers(5, 120)), left + int(rng.integers(5, 120))))
    merged = merge_boxes(boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(merged) for b in merged[i + 1:])
    assert all(any(m.contains(box) for m in merged) for box in boxes)
    naive = list(boxes)  # the definition: merge any overlapping pair until none is left
    while any(a.overlaps(b) for i, a in enumerate(naive) for b in naive[i + 1:]):
        i, j = next((i, j) for i in range(len(naive)) for j in range(i + 1, len(naive)) if naive[i].overlaps(naive[j]))
        naive[i] = naive[i].union(naive.pop(j))
    assert merged == sorted(naive, key=lambda b: (b.top, b.left))


def test_cancel_stops_the_editor_between_model_runs(tiny_model, large_case):
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.evaluation.verify import verify
    from guardpaint.errors import Cancelled

    photo, mask = large_case
    runs = []
    editor = Editor(tiny_model, should_cancel=lambda: len(runs) >= 1)
    hook = tiny_model.generator.register_forward_hook(lambda *args: runs.append(1))
    try:
        with pytest.raises(Cancelled):
            verify(editor, photo, photo, mask)
    finally:
        hook.remove()
    assert len(runs) == 1  # the first of the two regions' crops ran, the second never did
