"""Every weight format loads into the same generator; bad files fail with one clear line."""
import os
import pickle
import zipfile

import pytest
import torch
from safetensors.torch import save_file

from guardpaint.core.editor.differentiable import edit
from guardpaint.errors import ModelError
from guardpaint.models.checkpoint import load_weights
from guardpaint.models.lama_family import LamaInpainter

from conftest import make_tiny_generator


class LightningConfig:
    """Stands in for the omegaconf objects a Lightning checkpoint pickles."""

    def __init__(self):
        self.generator = {"kind": "ffc_resnet"}


class Payload:
    def __reduce__(self):
        return (os.system, ("touch guardpaint-was-exploited",))


class Wrapper(torch.nn.Module):
    """Like lama-cleaner's traced big-lama.pt: forward(image, mask) -> blended image."""

    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    def forward(self, image, mask):
        return edit(LamaInpainter(self.generator, "traced"), image, mask)


@pytest.fixture(scope="module")
def reference():
    model = make_tiny_generator(seed=3)
    torch.manual_seed(1)
    x = torch.rand(1, 3, 40, 48)
    k = (torch.rand(1, 1, 40, 48) > 0.7).float()
    return model, x, k, edit(LamaInpainter(model, "reference"), x, k)


def _save(kind, model, path):
    state = model.state_dict()
    if kind == "lightning":
        torch.save({"state_dict": {**{f"generator.{k}": v for k, v in state.items()},
                                   "discriminator.model0.0.weight": torch.zeros(2)},
                    "hyper_parameters": LightningConfig(), "epoch": 3}, path)
    elif kind == "plain":
        torch.save(state, path)
    elif kind == "prefixed":
        torch.save({f"model.generator.{k}": v for k, v in state.items()}, path)
    elif kind == "safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    elif kind == "torchscript":
        traced = torch.jit.trace(Wrapper(model), (torch.rand(1, 3, 64, 64), torch.ones(1, 1, 64, 64)),
                                 check_trace=False)
        traced.save(str(path))


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
@pytest.mark.parametrize("kind,suffix", [("lightning", ".ckpt"), ("plain", ".pth"), ("prefixed", ".pt"),
                                         ("safetensors", ".safetensors"), ("torchscript", ".pt")])
def test_round_trip_reproduces_outputs(tmp_path, reference, kind, suffix):
    model, x, k, expected = reference
    path = tmp_path / f"weights{suffix}"
    _save(kind, model, path)
    loaded = load_weights(path).generator
    torch.testing.assert_close(edit(LamaInpainter(loaded, "loaded"), x, k), expected, atol=0, rtol=0)


def test_code_in_a_checkpoint_is_never_executed(tmp_path, reference, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {f"generator.{k}": v for k, v in reference[0].state_dict().items()},
                "callbacks": Payload()}, path)
    load_weights(path)
    assert not (tmp_path / "guardpaint-was-exploited").exists()


def test_raw_pickle_payload_is_inert(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"x": Payload()}))
    with pytest.raises(ModelError):
        load_weights(path)
    assert not (tmp_path / "guardpaint-was-exploited").exists()


def test_truncated_file_is_a_one_line_error(tmp_path, reference):
    path = tmp_path / "cut.pth"
    _save("plain", reference[0], path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelError, match="cannot read weight file") as info:
        load_weights(path)
    assert "\n" not in str(info.value)


def test_garbage_and_missing_files(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(ModelError, match="cannot read"):
        load_weights(garbage)
    with pytest.raises(ModelError, match="no such weight file"):
        load_weights(tmp_path / "absent.pt")


def test_missing_and_misshapen_tensors_are_named(tmp_path, reference):
    state = reference[0].state_dict()
    missing = dict(state)
    del missing["model.5.conv1.ffc.convg2g.fu.bn.weight"]
    torch.save(missing, tmp_path / "missing.pth")
    with pytest.raises(ModelError, match=r"missing tensor.*fu\.bn\.weight"):
        load_weights(tmp_path / "missing.pth")
    extra = dict(state, **{"model.5.extra.weight": torch.zeros(1)})
    torch.save(extra, tmp_path / "extra.pth")
    with pytest.raises(ModelError, match=r"unexpected tensor.*model\.5\.extra\.weight"):
        load_weights(tmp_path / "extra.pth")
    wrong = dict(state, **{"model.1.bn_l.weight": torch.zeros(4)})
    torch.save(wrong, tmp_path / "wrong.pth")
    with pytest.raises(ModelError, match=r"wrong shape.*model\.1\.bn_l\.weight"):
        load_weights(tmp_path / "wrong.pth")


def test_non_lama_weights_are_rejected(tmp_path):
    torch.save(torch.nn.Linear(3, 3).state_dict(), tmp_path / "linear.pth")
    with pytest.raises(ModelError, match="no LaMa generator found"):
        load_weights(tmp_path / "linear.pth")


def test_nan_weights_are_rejected(tmp_path, reference):
    state = {k: v.clone() for k, v in reference[0].state_dict().items()}
    state["model.1.ffc.convl2l.weight"][0, 0, 0, 0] = float("nan")
    torch.save(state, tmp_path / "nan.pth")
    with pytest.raises(ModelError, match="NaN"):
        load_weights(tmp_path / "nan.pth")


def test_torchscript_archive_is_read_without_jit_load(tmp_path, reference, monkeypatch):
    path = tmp_path / "ts.pt"
    with pytest.warns(torch.jit.TracerWarning):
        _save("torchscript", reference[0], path)
    assert any(n.endswith("constants.pkl") for n in zipfile.ZipFile(path).namelist())

    def forbidden(*args, **kwargs):
        raise AssertionError("torch.jit.load would compile code from the file")

    monkeypatch.setattr(torch.jit, "load", forbidden)
    load_weights(path)


def test_exact_big_lama_layout_loads_strictly_from_a_lightning_checkpoint(tmp_path):
    from guardpaint.models.lama import FFCResNetGenerator, LamaConfig

    torch.manual_seed(0)
    state = FFCResNetGenerator(LamaConfig()).state_dict()
    path = tmp_path / "best.ckpt"
    torch.save({"state_dict": {f"generator.{k}": v for k, v in state.items()},
                "hyper_parameters": LightningConfig()}, path)
    loaded = load_weights(path).generator
    assert loaded.config == LamaConfig()
    assert len(loaded.state_dict()) == 989
    assert sum(p.numel() for p in loaded.parameters()) == 50_975_875
    torch.testing.assert_close(loaded.state_dict()["model.22.conv2.bn_g.bias"], state["model.22.conv2.bn_g.bias"])
