"""MAT as a family: loading every form its weights come in (strict, never running code), IOPaint's padding rule and
draws, gradients through the model, its editors (IOPaint at a square of a multiple of its side, ComfyUI at its
side), and protections against it alone and in an ensemble of the three families, from the command line, the loop,
the generator trainer and the app.

The network itself against the official code is in ``tests/test_mat_network.py``. Everything here runs the small
seeded MAT of ``tests/mat_seeded.py`` (128 px, the released architecture at a fraction of its widths), in float32.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from mat_seeded import SMALL, seeded_case, seeded_state
from migan_seeded import seeded_state as migan_state
from PIL import Image
from safetensors.torch import save_file

from guardpaint.cli import main
from guardpaint.core.editor.pipelines import resized_size
from guardpaint.core.editor.transfers import CubicResize, Native, SquareNearest
from guardpaint.core.editor.views import editor_views
from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.evaluation.wording import models_in_editors
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.setup import set_up
from guardpaint.core.protection.windows import plan_protection
from guardpaint.core.workflow import protect_image
from guardpaint.errors import InputError, ModelError
from guardpaint.gui.dialogs import FirstRunDialog
from guardpaint.models import load_model
from guardpaint.models.kinds import NetworkKind
from guardpaint.models.mat_family import IOPAINT_SEED, MatInpainter, iopaint_latent, load_mat
from guardpaint.models.migan_family import load_migan

from conftest import editors_drawn, make_photo, make_tiny_model, open_window

MAT = NetworkKind("mat")
#: Two iterations of one step, in float32: what runs, not how well it protects (seeded weights are no inpainter).
QUICK = ProtectionSettings(iterations=2, auto_strength=False, stop_when_held=False, precision="fp32",
                           editors=("iopaint", "comfyui"))


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """The seeded weights as a plain state dict, as the released ``Places_512_FullData_G.pth`` is stored."""
    path = tmp_path_factory.mktemp("mat") / "mat_128_seeded.pth"
    torch.save(seeded_state(), path)
    return path


@pytest.fixture(scope="module")
def model(weights) -> MatInpainter:
    return load_mat(weights, torch.device("cpu"))


def _tensors(rgb: np.ndarray, hole: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255, torch.from_numpy(hole)[None, None].float()


@pytest.mark.parametrize("form", ["safetensors, float16", "inside a wrapper (model.)"])
def test_every_form_of_the_weights_loads_to_the_same_network(model, tmp_path, form):
    """The fp16 safetensors copy of the release, and a file whose tensors sit under a wrapper's ``model.`` (as
    spandrel's MAT module keeps them), load to the same function; the family is told by the tensors."""
    state = model.generator.state_dict()
    if form.startswith("safetensors"):
        path = tmp_path / "mat.safetensors"
        save_file({k: v.half().contiguous() if v.is_floating_point() else v for k, v in state.items()}, str(path))
    else:
        path = tmp_path / "wrapped.pth"
        torch.save({f"model.{k}": v for k, v in state.items()}, path)
    loaded = load_model(path, torch.device("cpu"))
    assert isinstance(loaded, MatInpainter) and loaded.kind == MAT
    image, mask = _tensors(*seeded_case())
    with torch.no_grad():
        tolerance = 5e-2 if "float16" in form else 0
        assert (loaded.predict(image, mask) - model.predict(image, mask)).abs().max() <= tolerance


@pytest.mark.parametrize("damage, message", [
    (lambda s: {k: v for k, v in s.items() if "Dec_32x32" not in k}, r"missing tensor\(s\)"),
    (lambda s: {**s, "synthesis.extra": torch.zeros(3)}, r"unexpected tensor\(s\)"),
    (lambda s: {**s, "synthesis.first_stage.conv_first.conv.weight": torch.zeros(24, 5, 3, 3)}, r"wrong shape\(s\)"),
    (lambda s: {**s, "mapping.fc0.weight": torch.full(s["mapping.fc0.weight"].shape, float("nan"))},
     "NaN or infinite"),
])
def test_a_damaged_file_is_refused_in_one_line(tmp_path, damage, message):
    path = tmp_path / "damaged.pth"
    torch.save(damage(seeded_state()), path)
    with pytest.raises(ModelError, match=message) as caught:
        load_model(path, torch.device("cpu"))
    assert "\n" not in str(caught.value)


def test_iopaints_padding_rule_and_draws(model):
    """IOPaint pads to a square multiple of the side, at least the side (``pad_mod``, ``pad_to_square``,
    ``min_size``); the model feeds the network as IOPaint does, with IOPaint's latent and the masks of a generator
    seeded 240: the same edit every time."""
    side = SMALL.resolution
    assert model.padded_shape(100, 40) == (side, side) and model.padded_shape(side + 1, 60) == (2 * side, 2 * side)
    image, mask = _tensors(*seeded_case())
    latent = torch.from_numpy(iopaint_latent(SMALL.z_dim)).float()
    with torch.no_grad():
        direct = model.generator(image * 2 - 1, 1 - mask, latent, torch.Generator().manual_seed(IOPAINT_SEED))
        assert torch.equal(model.predict(image, mask), direct * 0.5 + 0.5)
        assert torch.equal(model.predict(image, mask), model.predict(image, mask))


def test_the_attack_copy_draws_anew_for_each_gradient_and_repeats_each_protection(model):
    """The loop's gradients are taken over fresh latents and masks (an editor's draws are unknown); without a
    gradient the copy is the judged function (the clean edits it aims at, the scoring of iterates); each
    protection's copy starts from the same seed, so that a protection repeats; the weights are cast once per
    precision for the model and every copy (the bf16 copy is asked of the float32 one in the loop)."""
    image, mask = _tensors(*seeded_case())
    first, second = model.for_attack(), model.for_attack()
    image.requires_grad_(True)
    a, b = first.predict(image, mask), first.predict(image, mask)
    assert a.requires_grad and (a - b).abs().max() > 1e-3
    assert torch.equal(second.predict(image, mask), a)
    with torch.no_grad():
        assert torch.equal(first.predict(image, mask), model.predict(image, mask))
    assert first.generator is second.generator is model.generator and first.sha256 == model.sha256
    assert first.for_attack(dtype=torch.bfloat16).generator is model.for_attack(dtype=torch.bfloat16).generator


def test_gradients_reach_the_known_pixels_through_the_network(model):
    """The fill moves with every pixel the editor leaves and not with the ones it erases, through the float32 and
    the bf16 copies made for the loop."""
    rgb, hole = seeded_case()
    _, mask = _tensors(rgb, hole)
    for attack in (model.for_attack(), model.for_attack(dtype=torch.bfloat16)):
        image = _tensors(rgb, hole)[0].requires_grad_(True)
        (attack.predict(image, mask) * mask).square().mean().backward()
        moved = image.grad.abs().sum(1)[0]
        assert (moved[torch.from_numpy(hole)] == 0).all()
        assert (moved[torch.from_numpy(~hole)] > 0).float().mean() > 0.99


def test_iopaint_and_comfyui_run_mat_each_their_way():
    """IOPaint: LaMa's strategies, the fill rounded, a resized mask's hole above 127 (``model/mat.py``); ComfyUI:
    the image squared at 512 px (``required_size``); the 512 px apps do not run MAT."""
    mask = np.zeros((300, 400), bool)
    mask[100:150, 200:260] = True
    assert editor_views("iopaint", mask, kind=MAT)[0].transfer == Native(rounds=True)
    assert editor_views("comfyui", mask, kind=MAT)[0].transfer == SquareNearest(512)
    assert editor_views("lama-512-resize", mask, kind=MAT) == editor_views("lama-512-crop", mask, kind=MAT) == []
    large = np.zeros((1000, 1400), bool)
    large[400:500, 600:720] = True
    assert editor_views("iopaint:resize", large, kind=MAT)[0].transfer == CubicResize(
        resized_size(large.shape), 127, rounds=True)


def test_editors_that_make_the_same_differentiable_edit_share_one_view():
    """On a 512 px square IOPaint and ComfyUI give MAT the same image (IOPaint rounds the fill, ComfyUI truncates
    it): the objective computes that edit once, and each editor still judges its own."""
    mask = np.zeros((512, 512), bool)
    mask[100:180, 200:300] = True
    plan = plan_protection(mask, 17, ("iopaint", "comfyui"), kinds=(MAT,))
    assert [(view.editor, view.view.transfer) for view in plan.views if view.term == "attack"] == [
        ("iopaint", Native(rounds=True))]
    assert editor_views("comfyui", mask, kind=MAT)[0].transfer == Native()


@pytest.fixture(scope="module")
def small_case() -> tuple[np.ndarray, np.ndarray]:
    photo = make_photo(96, 160)
    mask = np.zeros((96, 160), bool)
    mask[30:54, 40:76] = True
    return photo, mask


def test_an_ensemble_of_the_three_families_optimises_each_through_its_own_editor_views(model, small_case, tmp_path):
    """LaMa in IOPaint and ComfyUI (256 px), MI-GAN in IOPaint only, MAT in IOPaint and ComfyUI (512 px): one plan,
    each model's terms on its own views. Then one protection against LaMa and MAT through IOPaint, each model
    verified there (MI-GAN's part of a protection is run in test_migan.py and ComfyUI's 512 px square for MAT by
    the command-line test, each taking tens of seconds)."""
    photo, mask = small_case
    migan_file = tmp_path / "migan_256_seeded.pt"
    torch.save(migan_state(), migan_file)
    models = [make_tiny_model(), load_migan(migan_file, torch.device("cpu")), model]
    setup = set_up(models, photo, mask, QUICK, (0, 255, 0))
    views = {(term_view.kind.family, term_view.editor, term_view.view.model_shape) for term_view in setup.plan.views
             if term_view.term == "attack"}
    assert views == {("lama", "iopaint", (96, 160)), ("lama", "comfyui", (256, 256)), ("migan", "iopaint", (96, 160)),
                     ("mat", "iopaint", (96, 160)), ("mat", "comfyui", (512, 512))}
    outcome = protect_image([models[0], model], LoadedImage(photo), mask, replace(QUICK, editors=("iopaint",)))
    assert len(outcome.result.history) == 2 and not np.array_equal(outcome.written, photo)
    assert [list(checks) for checks in outcome.verifications.values()] == [["iopaint"]] * 2
    report = protection_report(outcome)
    assert [entry["family"] for entry in report["provenance"]["models"]] == ["lama", "mat"]


@pytest.mark.parametrize("change, message", [
    ({"editors": ("lama-512-crop",)}, "none of the editors chosen"),
    ({"level": "robust"}, "the robust level is built for LaMa only"),
])
def test_what_mat_cannot_be_protected_with_is_refused_at_the_door(model, small_case, change, message):
    photo, mask = small_case
    settings = replace(ProtectionSettings(iterations=1), **change)
    with pytest.raises(InputError, match=message):
        ProtectionRequest.checked(LoadedImage(photo), mask, settings).for_models(model)


def test_the_command_line_protects_and_verifies_against_a_mat_weight_file(weights, small_case, tmp_path, capsys):
    photo, mask = small_case
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "photo.mask.png")
    out = tmp_path / "photo.protected.png"
    assert main(["protect", str(tmp_path / "photo.png"), "--mask", str(tmp_path / "photo.mask.png"), "-o", str(out),
                 "--model", str(weights), "--iterations", "1", "--precision", "fp32"]) == 0
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "photo.png"), str(out), "--mask", str(tmp_path / "photo.mask.png"),
                 "--model", str(weights), "--suite", "--group", "pipeline", "--json"]) in (0, 1)
    (suite,) = json.loads(capsys.readouterr().out)["suite"]
    cases = {case["name"]: case for case in suite["cases"] if case["group"] == "pipeline"}
    assert set(cases) == {"IOPaint (whole image)", "IOPaint (crop)", "ComfyUI"}  # no 512 px app runs MAT
    assert cases["ComfyUI"]["params"] == {"editor": "comfyui", "protected_against": True}


def test_the_verdict_names_the_editors_that_ran_mat():
    checks = {"big-lama": {"iopaint": None, "comfyui": None}, "migan": {"iopaint": None},
              "mat": {"iopaint": None, "comfyui": None}}
    assert models_in_editors(checks) == "big-lama and mat in IOPaint and ComfyUI, and migan in IOPaint"


def test_the_apps_model_menu_offers_mat_and_opens_its_weight_files(qtbot, store, weights):
    """The Model menu and Also Protect Against list MAT with what it cannot do; a MAT weight file opens as the
    active model; the first-run dialog says what MAT is judged for and what it costs."""
    win = open_window(qtbot, store)
    action = win.models.named["mat"]
    assert action.text().startswith("mat (download") and "random at every edit" in action.toolTip()
    assert "mat" in win.models.also_actions
    assert win.models.use_weight_file(str(weights))
    assert win.models.file_action.text() == f"Weight file: {weights.name}"
    assert "MAT" in FirstRunDialog().text.text()


def test_a_noise_generator_trains_against_mat_and_lama_through_either_editor(model, tmp_path, monkeypatch):
    """Both IOPaint and ComfyUI run MAT and LaMa: a sample may be drawn in either."""
    drawn = editors_drawn([make_tiny_model(), model], tmp_path / "photos", monkeypatch, batch=4)
    assert set(drawn) == {("iopaint",), ("comfyui",)} and len(drawn) == 4
