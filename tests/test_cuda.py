"""The CUDA path: iterations replayed from a captured graph compute what the eager loop computes.

Skipped without a CUDA GPU (CI has none); run on a lent GPU by ``benchmarks/gpu_session.sh``.
"""
from dataclasses import replace

import numpy as np
import pytest
import torch

from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.objective import Objective
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_image
from guardpaint.models.lama_family import LamaInpainter

from conftest import make_photo, make_tiny_generator

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _model() -> LamaInpainter:
    return LamaInpainter(make_tiny_generator(seed=2), "tiny", "cuda")


def _eager(monkeypatch) -> None:
    monkeypatch.setattr(Objective, "fixed", property(lambda self: False))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_graph_replays_follow_the_eager_loop(monkeypatch, precision):
    photo = make_photo(96, 128, seed=4)
    mask = np.zeros((96, 128), bool)
    mask[30:60, 40:80] = True
    settings = ProtectionSettings(iterations=8, precision=precision, budget="uniform", epsilon=0.05)
    graphed = protect(_model(), photo, mask, settings)
    assert graphed.engine == "cuda graph"
    _eager(monkeypatch)
    eager = protect(_model(), photo, mask, settings)
    assert eager.engine == "eager"
    assert [h.iteration for h in graphed.history] == [h.iteration for h in eager.history] == list(range(1, 9))
    # The same function: every iterate's total agrees. (The noise itself is not compared: at lr 0.1 against a
    # 13-level budget each update sends a pixel to a bound by the sign of its gradient, and where that is
    # near zero the capturable Adam's other rounding flips it: 23 % of values on an H200, totals equal.)
    for a, b in zip(graphed.history, eager.history, strict=True):
        assert a.total == pytest.approx(b.total, rel=1e-3 if precision == "fp32" else 2e-2)


def test_regions_in_crops_and_the_ladder_run_on_the_graph(monkeypatch):
    """Two windows (crops above 800 px), auto strength with its judge: every step replays a graph."""
    photo = make_photo(900, 1000, seed=6)
    mask = np.zeros((900, 1000), bool)
    mask[100:150, 120:170] = True
    mask[700:740, 820:870] = True
    settings = replace(ProtectionSettings(iterations=6), precision="bf16")
    outcome = protect_image(_model(), LoadedImage(photo), mask, settings)
    assert outcome.result.engine == "cuda graph" and len(outcome.result.windows) == 2
    assert all(h.iteration <= 6 for h in outcome.result.history)
    outside = np.ones((900, 1000), bool)
    for window in outcome.result.windows:
        outside[window.slices] = False
    assert (outcome.written[outside] == photo[outside]).all()


def test_a_failed_capture_goes_on_eagerly(monkeypatch):
    photo = make_photo(64, 80)
    mask = np.zeros((64, 80), bool)
    mask[20:40, 30:52] = True

    def refuse(*args, **kwargs):
        raise RuntimeError("capture refused for the test")

    monkeypatch.setattr(torch.cuda, "graph", refuse)
    result = protect(_model(), photo, mask, ProtectionSettings(iterations=5, precision="fp32"))
    assert result.engine == "eager" and len(result.history) == 5
