"""MI-GAN: GuardPaint's network against the official inference code on seeded weights, its loading from every
form the weights come in (strict, never running code), its padding rule, gradients through it, IOPaint's way
of running it, and protections against it alone and beside LaMa.

The fixture ``tests/fixtures/migan-256-official.npz`` was made by ``scripts/fixtures/migan_official.py``: the
official ``lib/model_zoo/migan_inference.py`` (Picsart-AI-Research/MI-GAN, commit ca4df2e), fed the seeded
weights of ``tests/migan_seeded.py`` with a strict load, on the CPU.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from migan_seeded import SIDE, network_input, seeded_case, seeded_state
from safetensors.torch import save_file

from guardpaint.cli import main
from guardpaint.core.editor.geometry import Box, crop_box
from guardpaint.core.editor.pipelines import resized_size
from guardpaint.core.editor.transfers import CubicResize, Native
from guardpaint.core.editor.views import editor_views
from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.evaluation.wording import models_in_editors
from guardpaint.core.generator.samples import SampleSource, photos_in
from guardpaint.core.generator.training import Trainer, TrainingSettings
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.setup import set_up
from guardpaint.core.workflow import protect_image
from guardpaint.errors import InputError, ModelError
from guardpaint.gui.dialogs import FirstRunDialog
from guardpaint.models.kinds import NetworkKind
from guardpaint.models.migan import MiganGenerator
from guardpaint.models.migan_family import MiganInpainter, load_migan

from conftest import editors_drawn, make_photo, make_tiny_model, open_window

MIGAN_512 = NetworkKind("migan", 512)
FIXTURE = Path(__file__).parent / "fixtures" / "migan-256-official.npz"
#: Two iterations of one step: what runs, not how well it protects (seeded weights are not an inpainter).
QUICK = ProtectionSettings(iterations=2, auto_strength=False, stop_when_held=False, precision="fp32",
                           editors=("iopaint", "comfyui"))


@pytest.fixture(scope="module")
def official() -> dict:
    return dict(np.load(FIXTURE))


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """The seeded weights as a plain state dict, as the released ``migan_256_places2.pt`` is stored."""
    path = tmp_path_factory.mktemp("migan") / "migan_256_seeded.pt"
    torch.save(seeded_state(), path)
    return path


@pytest.fixture(scope="module")
def model(weights) -> MiganInpainter:
    return load_migan(weights, torch.device("cpu"))


def _strided(output: torch.Tensor, official: dict) -> np.ndarray:
    stride = int(official["stride"])
    return output[0, :, ::stride, ::stride].numpy()


def test_the_network_reproduces_the_official_code_on_seeded_weights(model, official):
    rgb, hole = seeded_case()
    assert hashlib.sha256(rgb.tobytes()).hexdigest() == str(official["rgb_sha256"])  # the same input photo
    assert int(hole.sum()) == int(official["hole_pixels"]) and int(official["side"]) == SIDE
    with torch.no_grad():
        output = model.generator(network_input(rgb, hole))
    np.testing.assert_allclose(_strided(output, official), official["output"], rtol=1e-4, atol=1e-4)


def test_predict_feeds_the_network_as_iopaint_does(model, official):
    """IOPaint's ``[0.5 - mask, image * (1 - mask)]`` is the official demo's ``[known - 0.5, image * known]``;
    the fill is the output mapped from [-1, 1] to [0, 1]."""
    rgb, hole = seeded_case()
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        fill = model.predict(image, torch.from_numpy(hole)[None, None].float())
    np.testing.assert_allclose(_strided(fill * 2 - 1, official), official["output"], rtol=1e-4, atol=1e-4)


def _traced(module: torch.nn.Module, path: Path) -> Path:
    torch.jit.trace(module, network_input(*seeded_case())).save(str(path))
    return path


class _Wrapped(torch.nn.Module):
    """A generator inside a wrapper module, as some exports store it (its tensors under ``model.``)."""

    def __init__(self, generator: torch.nn.Module) -> None:
        super().__init__()
        self.model = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


@pytest.mark.parametrize("form", ["torchscript", "safetensors", "float16 state dict"])
def test_every_form_of_the_weights_loads_to_the_same_network(model, tmp_path, form):
    """IOPaint's ``migan_traced.pt`` is a traced archive of this module tree (read as data, never run: the
    fixture script also read one traced from the official module, to a difference of 0)."""
    generator = model.generator
    if form == "torchscript":  # inside a wrapper module: its tensors under ``model.``
        path = _traced(_Wrapped(generator), tmp_path / "migan_traced.pt")
    elif form == "safetensors":
        path = tmp_path / "migan.safetensors"
        save_file({k: v.contiguous() for k, v in generator.state_dict().items()}, str(path))
    else:
        path = tmp_path / "half.pth"
        torch.save({k: v.half() for k, v in generator.state_dict().items()}, path)
    loaded = load_migan(path, torch.device("cpu"))
    x = network_input(*seeded_case())
    with torch.no_grad():
        tolerance = 5e-2 if form == "float16 state dict" else 0
        assert (loaded.generator(x) - generator(x)).abs().max() <= tolerance


@pytest.mark.parametrize("damage, message", [
    (lambda s: {k: v for k, v in s.items() if "b128.conv2" not in k}, r"missing tensor\(s\)"),
    (lambda s: {**s, "encoder.b256.extra": torch.zeros(3)}, r"unexpected tensor\(s\)"),
    (lambda s: {**s, "encoder.b256.fromrgb.weight": torch.zeros(64, 4, 1, 1)}, r"wrong shape\(s\)"),
    (lambda s: {k.replace("b256", "b1024"): v for k, v in s.items()}, "not a MI-GAN generator of a known side"),
    (lambda s: {**s, "synthesis.b8.conv1.noise_const": torch.full((8, 8), float("nan"))}, "NaN or infinite"),
])
def test_a_damaged_file_is_refused_in_one_line(tmp_path, damage, message):
    path = tmp_path / "damaged.pth"
    torch.save(damage(seeded_state()), path)
    with pytest.raises(ModelError, match=message) as caught:
        load_migan(path, torch.device("cpu"))
    assert "\n" not in str(caught.value)


def test_iopaints_padding_rule_is_the_generators_square():
    model = MiganInpainter(MiganGenerator(512), "migan")
    assert model.padded_shape(300, 451) == (512, 512) and model.padded_shape(512, 512) == (512, 512)
    with pytest.raises(ModelError, match="512 x 512 px only"):
        model.predict(torch.zeros(1, 3, 512, 1024), torch.zeros(1, 1, 512, 1024))


def test_gradients_reach_the_known_pixels_through_the_network(model):
    """What a protection needs: the fill moves with every pixel the editor leaves (and not at all with the ones it
    erases), in float32 and through the bf16 copy made for the loop."""
    rgb, hole = seeded_case()
    mask = torch.from_numpy(hole)[None, None].float()
    for attack in (model.for_attack(), model.for_attack(dtype=torch.bfloat16)):
        image = (torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255).requires_grad_(True)
        fill = attack.predict(image, mask)
        (fill * mask).square().mean().backward()
        moved = image.grad.abs().sum(1)[0]
        assert (moved[torch.from_numpy(hole)] == 0).all()
        assert (moved[torch.from_numpy(~hole)] > 0).float().mean() > 0.99


def test_the_attack_copy_is_the_same_function_and_made_once(model):
    rgb, hole = seeded_case()
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255
    mask = torch.from_numpy(hole)[None, None].float()
    with torch.no_grad():
        assert torch.equal(model.for_attack().predict(image, mask), model.predict(image, mask))
        bf16 = model.for_attack(dtype=torch.bfloat16).predict(image, mask)
        assert (bf16 - model.predict(image, mask)).abs().max() < 0.5
    assert model.for_attack() is model.for_attack() and model.for_attack().sha256 == model.sha256


def test_iopaint_runs_mi_gan_on_crops_shrunk_to_its_side():
    """IOPaint's MI-GAN (``model/mi_gan.py``): a 128 px crop around each part whatever the strategy, shrunk when
    larger than the network's side (the hole above 120 of 255, the fill rounded); the whole image only when it
    is the network's square; ComfyUI and the 512 px apps do not run it."""
    mask = np.zeros((600, 900), bool)
    mask[100:140, 100:160] = True  # small: its crop fits 512 px
    mask[300:500, 400:700] = True  # large: its crop is shrunk
    small, large = sorted(editor_views("iopaint", mask, kind=MIGAN_512), key=lambda view: view.box.top)
    assert small.box == crop_box(Box(100, 100, 140, 160), mask.shape) and small.transfer == Native(rounds=True)
    assert large.transfer == CubicResize(resized_size((large.box.height, large.box.width), 512), 120, rounds=True)
    assert max(large.model_shape) == 512
    for name in ("iopaint:full", "iopaint:crop", "iopaint:resize"):
        assert sorted(editor_views(name, mask, kind=MIGAN_512), key=lambda view: view.box.top) == [small, large]
    square = np.zeros((512, 512), bool)
    square[100:120, 100:120] = True
    assert [view.box for view in editor_views("iopaint", square, kind=MIGAN_512)] == [Box(0, 0, 512, 512)]
    assert editor_views("comfyui", mask, kind=MIGAN_512) == editor_views("lama-512-crop", mask, kind=MIGAN_512) == []


@pytest.fixture(scope="module")
def small_case() -> tuple[np.ndarray, np.ndarray]:
    photo = make_photo(96, 160)
    mask = np.zeros((96, 160), bool)
    mask[30:54, 40:76] = True
    return photo, mask


def test_an_ensemble_of_lama_and_mi_gan_optimises_each_through_its_own_editor_views(model, small_case):
    """Each network is optimised and verified through the views its editors make for it: LaMa in IOPaint and
    ComfyUI, MI-GAN in IOPaint only (ComfyUI does not run MI-GAN, so nothing is claimed for it there)."""
    photo, mask = small_case
    lama = make_tiny_model()
    setup = set_up([lama, model], photo, mask, QUICK, (0, 255, 0))
    assert {term_view.kind.fixed_side for term_view in setup.plan.views} == {None, 256}
    assert {term_view.editor for term_view in setup.plan.views if term_view.kind.fixed_side == 256} == {"iopaint"}
    outcome = protect_image([lama, model], LoadedImage(photo), mask, QUICK)
    assert len(outcome.result.history) == 2 and not np.array_equal(outcome.written, photo)
    assert [list(checks) for checks in outcome.verifications.values()] == [["iopaint", "comfyui"], ["iopaint"]]
    report = protection_report(outcome)
    assert [entry["family"] for entry in report["provenance"]["models"]] == ["lama", "migan"]
    assert [(edit["model"], edit["editor"]) for edit in report["edits"]] == [
        ("tiny", "iopaint"), ("tiny", "comfyui"), ("migan_256_seeded.pt", "iopaint")]
    assert "migan_256_seeded.pt in ComfyUI" not in report["summary"]
    prefixes = [outcome.edit_prefix(label, name) for label, name in
                (("tiny", "iopaint"), ("tiny", "comfyui"), ("migan_256_seeded.pt", "iopaint"))]
    assert len(set(prefixes)) == 3 and "ComfyUI" in prefixes[1]


@pytest.mark.parametrize("change, message", [
    ({"editors": ("comfyui",)}, "none of the editors chosen"),
    ({"level": "robust"}, "the robust level is built for LaMa only"),
])
def test_what_mi_gan_cannot_be_protected_with_is_refused_at_the_door(model, small_case, change, message):
    photo, mask = small_case
    settings = replace(ProtectionSettings(iterations=1), **change)
    with pytest.raises(InputError, match=message):
        ProtectionRequest.checked(LoadedImage(photo), mask, settings).for_models(model)


def test_the_apps_model_menu_offers_mi_gan_and_opens_its_weight_files(qtbot, store, weights):
    """The Model menu and Also Protect Against list MI-GAN with what it cannot do; a MI-GAN weight file opens as
    the active model; the first-run dialog says what it is judged for and costs; models list says its family."""
    win = open_window(qtbot, store)
    action = win.models.named["migan"]
    assert action.text().startswith("migan (download") and "IOPaint only" in action.toolTip()
    assert "migan" in win.models.also_actions
    assert win.models.use_weight_file(str(weights))
    assert win.models.file_action.isChecked() and win.models.file_action.text() == f"Weight file: {weights.name}"
    assert "MI-GAN" in FirstRunDialog().text.text()


def test_models_list_names_each_family(capsys):
    assert main(["models", "--json", "list"]) == 0
    families = {entry["name"]: entry["family"] for entry in json.loads(capsys.readouterr().out)["models"]}
    assert families == {"demo": "lama", "big-lama": "lama", "anime-lama": "lama", "migan": "migan", "mat": "mat"}


def test_the_verdict_and_the_edit_names_say_which_editors_ran_which_model():
    """ComfyUI does not run MI-GAN: the sentence must not claim it there, and names must stay apart."""
    checks = {"big-lama": {"iopaint": None, "comfyui": None}, "migan": {"iopaint": None}}
    assert models_in_editors(checks) == "big-lama in IOPaint and ComfyUI, and migan in IOPaint"
    assert models_in_editors({"a": {"iopaint": None}, "b": {"iopaint": None}}) == "a and b in IOPaint"


def test_a_noise_generator_trains_against_mi_gan_through_the_editors_that_run_it(model, tmp_path, monkeypatch):
    drawn = editors_drawn([make_tiny_model(), model], tmp_path / "photos", monkeypatch, batch=2)
    assert set(drawn) == {("iopaint",)}  # the one editor that runs both networks
    with pytest.raises(InputError, match="none of the editors chosen"):
        Trainer([model], SampleSource(photos_in(tmp_path / "photos"), 48, 0),
                TrainingSettings(crop=48, batch=2, width=4, depth=2, blocks=1, precision="fp32", editors=("comfyui",)))
