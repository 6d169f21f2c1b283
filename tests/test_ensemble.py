"""Protection against several models at once, and the anime-lama registry entry."""
import hashlib
import json

import numpy as np
import pytest
import torch
from PIL import Image

from guardpaint.cli import main
from guardpaint.core.evaluation.report import protection_report
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_image
from guardpaint.errors import DownloadError
from guardpaint.models import registry

from conftest import make_mask, make_photo, make_tiny_generator, make_tiny_model
from high_gain import HighGainInpainter

FAST = ProtectionSettings(iterations=4, epsilon=0.1, precision="fp32")


def test_a_two_model_ensemble_reports_both_and_keeps_the_worst_models_best():
    photo, mask = make_photo(), make_mask()
    a, b = make_tiny_model(seed=0, name="a"), make_tiny_model(seed=1, name="b")
    result = protect([a, b], photo, mask, FAST)
    for report in result.history:
        assert len(report.model_totals) == 2
        assert report.total == pytest.approx(max(report.model_totals), rel=1e-5)  # one window: the worst model
    assert result.best_loss <= min(report.total for report in result.history) + 1e-6
    outcome = protect_image([a, b], LoadedImage(photo), mask, FAST)
    report = protection_report(outcome)
    assert [m["name"] for m in report["provenance"]["models"]] == ["a", "b"]
    assert len({m["sha256"] for m in report["provenance"]["models"]}) == 2
    assert [e["model"] for e in report["edits"]] == ["a", "b"]


def test_the_verdict_needs_every_model():
    photo, mask = make_photo(), make_mask()
    moved, unmoved = HighGainInpainter(name="moved"), HighGainInpainter(gain=0.0, name="unmoved")
    alone = protect_image(moved, LoadedImage(photo), mask, ProtectionSettings())
    both = protect_image([moved, unmoved], LoadedImage(photo), mask, ProtectionSettings())
    assert alone.protected and not both.protected
    assert both.verifications["moved"].holds and not both.verifications["unmoved"].holds
    assert protection_report(both)["summary"].startswith("NOT protected against unmoved")


def test_cli_takes_several_models(tmp_path, capsys):
    photo, mask = make_photo(), make_mask()
    Image.fromarray(photo).save(tmp_path / "p.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "m.png")
    for seed in (0, 1):
        torch.save(make_tiny_generator(seed=seed).state_dict(), tmp_path / f"w{seed}.pth")
    assert main(["protect", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                 "--model", str(tmp_path / "w0.pth"), "--model", str(tmp_path / "w1.pth"), "--iterations", "2",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in report["provenance"]["models"]] == ["w0.pth", "w1.pth"]
    assert len(report["optimisation"]["final_losses"]["model_totals"]) == 2
    assert main(["inpaint", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "i.png"),
                 "--model", str(tmp_path / "w0.pth"), "--model", str(tmp_path / "w1.pth")]) == 2


def test_anime_lama_is_registered_and_checked(tmp_path, monkeypatch):
    entry = registry.spec("anime-lama")
    assert entry.md5 == "29f284f36a0a510bcacf39ecf4c4d54f" and entry.family == "lama" and not entry.bundled
    assert registry.model_path("anime-lama").name == "anime-manga-big-lama.pt"
    served = tmp_path / "served.pt"
    served.write_bytes(b"not the anime weights")
    monkeypatch.setitem(registry.REGISTRY, "anime-lama", registry.ModelSpec(**{**entry.__dict__,
                                                                               "url": served.as_uri()}))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        registry.download("anime-lama")
    assert not registry.is_available("anime-lama")
    assert hashlib.md5(served.read_bytes(), usedforsecurity=False).hexdigest() != entry.md5
