"""The attacker's editors: each one's exact 8-bit edit against an independent re-implementation written here from
its public description, its differentiable view against its exact one, the gradient it passes, and editors that
make the same edit sharing it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from guardpaint.core.editor.editors import EDITORS, ONNX_SIDE, PATCH_MARGIN, editor, parse_editors
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.core.editor.transfers import Native
from guardpaint.core.editor.views import editor_views
from guardpaint.core.protection.noise import quantised_adversarial
from guardpaint.core.protection.windows import plan_protection
from guardpaint.errors import InputError

from conftest import IOPAINT, make_photo


def _mask(shape: tuple[int, int], top: int, left: int, bottom: int, right: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[top:bottom, left:right] = True
    return mask


def _fill(model, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """LaMa's forward as the loaders compute it: the generator on ``cat(x * (1 - k), k)``."""
    return model.generator(torch.cat([image * (1 - hole), hole], dim=1))


# ---------------------------------------------------------------------------------------------- ComfyUI
def _comfyui_by_the_description(model, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """comfyui-inpaint-nodes' Inpaint (using Model) with LaMa, written from its description: the image (float,
    /255) padded on the right or bottom to a square by reflection, image and mask resized to 256 with
    nearest-exact, the mask kept where >= 0.99, spandrel's LaMa ``k * G + (1 - k) * x``, the result resized
    back to the square bilinearly, cropped, blended by the floored mask; saved as ``clip(255 * x)`` in uint8."""
    image = torch.from_numpy(rgb.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    hole = torch.from_numpy(mask.astype(np.float32))[None, None]
    height, width = mask.shape
    side = max(height, width)
    square = F.pad(image, (0, side - width, 0, side - height), mode="reflect")
    square_hole = F.pad(hole, (0, side - width, 0, side - height), mode="reflect")
    small = F.interpolate(square, size=(256, 256), mode="nearest-exact")
    small_hole = (F.interpolate(square_hole, size=(256, 256), mode="nearest-exact") >= 0.99).float()
    with torch.no_grad():
        out = small_hole * _fill(model, small, small_hole) + (1 - small_hole) * small
    out = F.interpolate(out, size=(side, side), mode="bilinear")[..., :height, :width]
    result = image + (out - image) * (hole >= 0.99).float()
    return np.clip(255.0 * result[0].permute(1, 2, 0).numpy(), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("shape", [(72, 96), (96, 72), (100, 100), (256, 256)], ids=str)
def test_comfyui_is_the_node_as_described(tiny_model, shape):
    photo = make_photo(*shape, seed=3)
    mask = _mask(shape, shape[0] // 3, shape[1] // 4, shape[0] // 3 + 20, shape[1] // 4 + 30)
    ours = Editor(tiny_model, "comfyui").inpaint(photo, mask)
    theirs = _comfyui_by_the_description(tiny_model, photo, mask)
    difference = np.abs(ours.astype(int) - theirs)
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01
    assert (ours[~mask] == photo[~mask]).all()
    assert (ours[mask] != Editor(tiny_model, "iopaint").inpaint(photo, mask)[mask]).any() or shape == (256, 256)


# ---------------------------------------------------------------------------------------------- 512 px apps
def _onnx_app_by_the_description(model, rgb: np.ndarray, mask: np.ndarray, box: Box) -> np.ndarray:
    """A fixed 512 x 512 LaMa app, written from its description: ``box`` of the image and its mask resized to
    512 x 512 with Pillow's bicubic filter, the hole where the mask is above 0, the blended output truncated to
    8 bits, resized back with Pillow and pasted at the mask's pixels."""
    crop, hole = rgb[box.slices], mask[box.slices]
    small = np.array(Image.fromarray(crop).resize((512, 512), Image.Resampling.BICUBIC))
    small_hole = np.array(Image.fromarray(hole.astype(np.uint8) * 255).resize((512, 512), Image.Resampling.BICUBIC)) > 0
    x = torch.from_numpy(small.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    k = torch.from_numpy(small_hole.astype(np.float32))[None, None]
    with torch.no_grad():
        out = k * _fill(model, x, k) + (1 - k) * x
    levels = (out[0].permute(1, 2, 0).numpy() * 255.0).astype(np.uint8)
    back = np.array(Image.fromarray(levels).resize((crop.shape[1], crop.shape[0]), Image.Resampling.BICUBIC))
    result = rgb.copy()
    result[box.slices][hole] = back[hole]
    return result


def test_the_512_resize_apps_stretch_the_whole_image(tiny_model):
    photo = make_photo(90, 130, seed=4)
    mask = _mask((90, 130), 30, 50, 55, 90)
    ours = Editor(tiny_model, "lama-512-resize").inpaint(photo, mask)
    theirs = _onnx_app_by_the_description(tiny_model, photo, mask, Box(0, 0, 90, 130))
    difference = np.abs(ours.astype(int) - theirs)
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01
    assert (ours[~mask] == photo[~mask]).all()


def test_the_512_patch_apps_cut_a_square_around_the_mask_shifted_inside_the_image(tiny_model):
    photo = make_photo(560, 700, seed=5)
    mask = _mask((560, 700), 500, 620, 540, 690)  # near the bottom-right corner
    (view,) = editor_views("lama-512-crop", mask)
    assert view.box == Box(560 - ONNX_SIDE, 700 - ONNX_SIDE, 560, 700) and view.transfer == Native()
    big = _mask((560, 700), 100, 100, 500, 540)  # 400 x 440 + the margin: more than 512
    (large,) = editor_views("lama-512-crop", big)
    side = 440 + 2 * PATCH_MARGIN
    assert (large.box.height, large.box.width) == (min(560, side), side) and large.box.contains(Box(100, 100, 500, 540))
    ours = Editor(tiny_model, "lama-512-crop").inpaint(photo, big)
    theirs = _onnx_app_by_the_description(tiny_model, photo, big, large.box)
    difference = np.abs(ours.astype(int) - theirs)
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01


# ---------------------------------------------------------------------------------------------- one concept
def test_every_editor_is_declared_with_its_source_and_older_names_still_work():
    assert list(EDITORS)[:4] == ["iopaint", "iopaint:full", "iopaint:crop", "iopaint:resize"]
    assert {"comfyui", "lama-512-resize", "lama-512-crop"} <= set(EDITORS)
    assert all(spec.source and spec.summary and spec.label for spec in EDITORS.values())
    assert parse_editors("auto, comfyui,full,auto") == ("iopaint", "comfyui", "iopaint:full")
    assert editor("crop").name == "iopaint:crop" and editor("resize").name == "iopaint:resize"
    with pytest.raises(InputError, match="unknown editor 'photoshop'"):
        parse_editors("iopaint,photoshop")
    with pytest.raises(InputError, match="at least one"):
        parse_editors(" , ")


@pytest.mark.parametrize("name", ["iopaint", "iopaint:crop", "iopaint:resize", "comfyui", "lama-512-resize",
                                  "lama-512-crop"])
def test_each_editors_differentiable_view_follows_its_exact_one(tiny_model, name):
    """The differentiable view of the written image is the exact edit but for the 8-bit roundings (and, for the
    Pillow editors, PyTorch's bicubic filter for Pillow's): within a level on average over the mask."""
    shape = (1000, 1400) if name == "iopaint:resize" else (90, 120)
    photo = make_photo(*shape, seed=6)
    mask = _mask(shape, shape[0] // 3, shape[1] // 3, shape[0] // 3 + 30, shape[1] // 3 + 40)
    exact = Editor(tiny_model, name).inpaint(photo, mask)
    for view in editor_views(name, mask):
        image = image_to_tensor(photo[view.box.slices])
        hole, blend = view.transfer.model_masks(view.mask)
        blends = None if blend is None else torch.from_numpy(blend.astype(np.float32))[None, None]
        with torch.no_grad():
            soft = view.transfer.forward(tiny_model, image, mask_to_tensor(hole), blends)
        levels = soft[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255
        difference = np.abs(levels - exact[view.box.slices])[view.mask]
        assert difference.mean() <= 1.0 and np.percentile(difference, 99) <= 4, (name, difference.mean())


def test_comfyuis_nearest_exact_passes_the_gradient_to_the_pixels_it_samples_only(tiny_model):
    """Nearest-exact is a gather: of a 384 px square's pixels, only those it samples for the 256 px image
    reach the model, and every other pixel gets no gradient at all."""
    photo = make_photo(288, 384, seed=7)
    mask = _mask((288, 384), 100, 150, 160, 230)
    (view,) = editor_views("comfyui", mask)
    image = image_to_tensor(photo).requires_grad_(True)
    hole = mask_to_tensor(view.transfer.model_masks(view.mask)[0])
    edited = view.transfer.forward(tiny_model, quantised_adversarial(image, torch.zeros_like(image)), hole, None)
    edited[..., torch.from_numpy(mask)].sum().backward()
    reached = image.grad.abs().sum(dim=(0, 1)) > 0
    sampled = ((torch.arange(256) + 0.5) * 384 / 256).floor().long()  # nearest-exact's source index
    rows = torch.where(sampled < 288, sampled, 2 * 287 - sampled)  # the padding reflects rows 286, 285...
    readable = torch.zeros(288, 384, dtype=torch.bool)
    readable[rows[:, None], sampled[None, :]] = True
    assert not reached[~readable].any()  # no gradient where nearest-exact never looks
    assert reached.sum() > 1000


def test_editors_that_make_the_same_edit_share_it_in_the_plan():
    """On a 512 px square the 512 px apps feed the model the image as IOPaint does: the plan has each edit once."""
    mask = _mask((512, 512), 200, 200, 260, 280)
    alone = plan_protection(mask, 17, IOPAINT)
    together = plan_protection(mask, 17, ("iopaint", "lama-512-resize", "lama-512-crop"))
    assert len(together.views) == len(alone.views) == 3 and together.full_frame
    with_comfy = plan_protection(mask, 17, ("iopaint", "comfyui"))
    assert len(with_comfy.views) == 6 and {tv.editor for tv in with_comfy.views} == {"iopaint", "comfyui"}


def test_a_whole_image_editor_puts_the_window_over_the_whole_image():
    mask = _mask((900, 1000), 100, 120, 160, 180)
    assert plan_protection(mask, 17, IOPAINT).windows != [Box(0, 0, 900, 1000)]  # IOPaint crops above 800 px
    assert plan_protection(mask, 17, ("iopaint", "comfyui")).windows == [Box(0, 0, 900, 1000)]


# ---------------------------------------------------------------------------------------------- judged per editor
@pytest.fixture(scope="module")
def held_in_iopaint_only():
    """A protection made for IOPaint alone on the high-gain model, judged under IOPaint and ComfyUI: ComfyUI's
    nearest-exact 256 px square never sees IOPaint's pixel checkerboard, so it fails there only."""
    from dataclasses import replace

    from guardpaint.core.evaluation.verify import verify
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.settings import ProtectionSettings
    from guardpaint.core.workflow import protect_image

    from high_gain import HighGainInpainter

    model = HighGainInpainter()
    photo, mask = make_photo(96, 144, seed=8), _mask((96, 144), 36, 60, 60, 90)
    outcome = protect_image(model, LoadedImage(photo), mask, ProtectionSettings())
    checks = {"high-gain": {name: verify(Editor(model, name), photo, outcome.written, mask,
                                         target_colour=outcome.result.target_colour, keep_edits=True)
                            for name in ("iopaint", "comfyui")}}
    return replace(outcome, verifications=checks, result=replace(
        outcome.result, settings=replace(outcome.result.settings, editors=("iopaint", "comfyui"))))


def test_a_region_that_fails_under_one_editor_only_is_named_with_that_editor(held_in_iopaint_only):
    from guardpaint.core.evaluation.report import protection_report

    outcome = held_in_iopaint_only
    assert outcome.verifications["high-gain"]["iopaint"].holds and not outcome.protected
    report = protection_report(outcome)
    (region,) = report["regions"]
    assert region["failing_editors"] == ["comfyui"] and not region["holds"]
    assert {(c["editor"], c["holds"]) for c in region["checks"]} == {("iopaint", True), ("comfyui", False)}
    assert [(e["editor"], e["holds"]) for e in report["edits"]] == [("iopaint", True), ("comfyui", False)]
    assert report["summary"] == ("Not protected against high-gain in ComfyUI: the region can still be "
                                 "edited convincingly; it holds in IOPaint.")
    assert [e["name"] for e in report["provenance"]["editors"]] == ["iopaint", "comfyui"]
    assert all(e["source"] for e in report["provenance"]["editors"])


def test_the_region_list_names_the_editor_a_region_fails_under(held_in_iopaint_only, qtbot):
    from guardpaint.gui.panels import RegionList

    regions = RegionList()
    qtbot.addWidget(regions)
    regions.show_outcome(held_in_iopaint_only)
    assert regions.item(0).text().startswith("Region 1: not protected in ComfyUI · noise up to")
    assert {name.split(": ")[0] for name in held_in_iopaint_only.shown_edits()} == {"IOPaint", "ComfyUI"}
