"""The protection routine: objective, bounds, determinism, reporting and cancel."""
import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch

from guardpaint.core.editor.masks import dilate, ring
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.target import choose_target_colour, parse_colour
from guardpaint.errors import Cancelled, InputError

from conftest import IOPAINT
from high_gain import HighGainInpainter

FAST = ProtectionSettings(iterations=6, epsilon=0.1, precision="fp32", editors=IOPAINT)


def test_attack_loss_goes_down(tiny_model, photo, mask):
    result = protect(tiny_model, photo, mask, ProtectionSettings(iterations=10, epsilon=0.3))
    attacks = [h.losses["attack"] for h in result.history]
    assert attacks[-1] < attacks[0]
    assert result.best_loss < result.history[0].total


@pytest.mark.parametrize("epsilon", [0.025, 0.1])
def test_quantised_result_stays_within_epsilon(tiny_model, photo, mask, epsilon):
    result = protect(tiny_model, photo, mask, ProtectionSettings(iterations=3, epsilon=epsilon))
    assert result.protected.dtype == np.uint8 and result.protected.shape == photo.shape
    limit = int(np.ceil(epsilon * 255))
    assert np.abs(result.noise).max() <= limit
    np.testing.assert_array_equal(result.noise, result.protected.astype(np.int16) - photo)
    assert np.abs(result.noise).max() > 0


def test_same_seed_same_result_other_seed_differs(tiny_model, photo, mask):
    a = protect(tiny_model, photo, mask, FAST)
    b = protect(tiny_model, photo, mask, FAST)
    c = protect(tiny_model, photo, mask, replace(FAST, seed=1))
    np.testing.assert_array_equal(a.protected, b.protected)
    assert not np.array_equal(a.protected, c.protected)


def test_reports_every_iteration_with_all_terms(tiny_model, photo, mask):
    seen = []
    result = protect(tiny_model, photo, mask, FAST, on_iteration=seen.append)
    assert [r.iteration for r in seen] == list(range(1, 7)) == [h.iteration for h in result.history]
    for r in seen:
        assert set(r.losses) == {"attack", "incomplete", "hide"}  # every standard term, by name
        assert r.total == pytest.approx(r.losses["attack"] + r.losses["incomplete"] + 2 * r.losses["hide"], rel=1e-5)
        assert r.total_iterations == 6
    assert all(b.elapsed >= a.elapsed for a, b in itertools.pairwise(seen))


def test_kept_iterate_has_the_lowest_loss(tiny_model, photo, mask):
    result = protect(tiny_model, photo, mask, FAST)
    assert result.best_loss <= min(h.total for h in result.history) + 1e-7
    last = protect(tiny_model, photo, mask, replace(FAST, keep_best=False))
    assert last.best_iterations == [FAST.iterations]
    assert 0 <= result.best_iterations[0] <= FAST.iterations


def test_one_iteration_is_numbered_consistently(tiny_model, photo, mask):
    result = protect(tiny_model, photo, mask, ProtectionSettings(iterations=1, epsilon=0.1))
    assert [h.iteration for h in result.history] == [1]
    assert result.best_iterations[0] in (0, 1) and result.history[0].total_iterations == 1


def test_cancel_stops_within_one_iteration(tiny_model, photo, mask):
    seen = []
    with pytest.raises(Cancelled):
        protect(tiny_model, photo, mask, ProtectionSettings(iterations=50), on_iteration=seen.append,
                should_cancel=lambda: len(seen) >= 2)
    assert len(seen) == 2


def test_batched_and_sequential_objectives_agree(tiny_model, photo, mask):
    batched = protect(tiny_model, photo, mask, FAST)
    sequential = protect(tiny_model, photo, mask, replace(FAST, batch_edits=False))
    for a, b in zip(batched.history, sequential.history, strict=True):
        assert a.total == pytest.approx(b.total, rel=1e-4)


def test_benign_reference_is_computed_once(photo, mask):
    from conftest import make_tiny_model

    model = make_tiny_model()
    calls = []
    model.generator.register_forward_hook(lambda module, inputs, output: calls.append(inputs[0].shape[0]))
    protect(model, photo, mask, ProtectionSettings(iterations=4, precision="fp32", editors=IOPAINT))
    # fp32: one reference pass; one batched pass of 3 that measures where the noise acts (the adaptive
    # budget), then one for the initial noise and after each of 4 updates (gradient and score in one)
    assert calls == [1] + [3] * 6


def test_a_bf16_loop_scores_each_iterate_in_one_more_fp32_pass(photo, mask, monkeypatch):
    """Forced bf16 (on any CPU): the gradient passes run on the bf16 copy, and each of the 5 iterates
    is scored by one more fp32 pass (the budget's gradient needs no score)."""
    from guardpaint.models.lama_family import LamaInpainter

    from conftest import make_tiny_model

    calls = {torch.float32: [], torch.bfloat16: []}
    predict = LamaInpainter.predict

    def counted(self, image, mask):
        calls[self.compute_dtype].append(image.shape[0])
        return predict(self, image, mask)

    monkeypatch.setattr(LamaInpainter, "predict", counted)
    protect(make_tiny_model(), photo, mask, ProtectionSettings(iterations=4, precision="bf16", editors=IOPAINT))
    assert calls[torch.bfloat16] == [3] * 5  # the budget's gradient, then iterates 0-3 (the last is scored only)
    assert calls[torch.float32] == [1] + [3] * 5  # the clean ring edit, then every iterate 0-4


def test_bad_settings_and_masks_are_input_errors_at_the_door(tiny_model, photo, mask):
    image = LoadedImage(photo)
    with pytest.raises(InputError, match=r"strength must be from 0\.5 to 127\.5 levels, got 0 levels"):
        ProtectionRequest.checked(image, mask, ProtectionSettings(epsilon=0))
    with pytest.raises(InputError, match="iterations"):
        ProtectionRequest.checked(image, mask, ProtectionSettings(iterations=0))
    with pytest.raises(InputError, match="budget must be one of"):
        ProtectionRequest.checked(image, mask, replace(FAST, budget="loud"))
    with pytest.raises(InputError, match="empty"):
        ProtectionRequest.checked(image, np.zeros_like(mask), FAST)
    with pytest.raises(InputError, match="whole image"):
        ProtectionRequest.checked(image, np.ones_like(mask), FAST)
    with pytest.raises(InputError, match="mask is"):
        ProtectionRequest.checked(image, mask[:-1], FAST)
    with pytest.raises(InputError, match="one device"):
        ProtectionRequest.checked(image, mask, FAST).for_models([tiny_model, _on_another_device()])


def test_target_colour_rule():
    assert choose_target_colour(np.full((4, 4, 3), (250, 20, 20), np.uint8)) == (0, 255, 0)
    assert choose_target_colour(np.full((4, 4, 3), (10, 240, 10), np.uint8)) == (255, 0, 0)
    assert choose_target_colour(np.full((4, 4, 3), (240, 240, 10), np.uint8)) == (0, 0, 255)
    assert parse_colour("#ff0080") == (255, 0, 128) and parse_colour("1,2,3") == (1, 2, 3)
    with pytest.raises(ValueError):
        parse_colour("300,0,0")


def test_dilation_and_ring_geometry():
    m = torch.zeros(1, 1, 40, 40)
    m[..., 18:22, 18:22] = 1
    e = dilate(m, 17)
    assert e.sum() == (4 + 16) ** 2
    r = ring(m, 17)
    assert r.sum() == (4 + 16) ** 2 - 16 and (r * m).sum() == 0


def test_memory_saving_gives_the_same_protection(tiny_model, photo, mask):
    plain = protect(tiny_model, photo, mask, ProtectionSettings(iterations=3, epsilon=0.1, precision="fp32",
                                                                    memory_saving="off"))
    saving = protect(tiny_model, photo, mask, ProtectionSettings(iterations=3, epsilon=0.1, precision="fp32",
                                                                     memory_saving="on"))
    for a, b in zip(plain.history, saving.history, strict=True):
        assert a.total == pytest.approx(b.total, rel=1e-5)
    assert np.abs(plain.protected.astype(int) - saving.protected).max() <= 1


def _on_another_device() -> HighGainInpainter:
    model = HighGainInpainter()
    model.device = torch.device("meta")
    return model


class _PrecisionSensitive(HighGainInpainter):
    """A model whose bf16 copy fills far off: a score taken with that copy would show it."""

    def __init__(self, low: bool = False) -> None:
        super().__init__()
        self.low = low

    def for_attack(self, save_memory: bool = False, dtype: torch.dtype = torch.float32):
        return _PrecisionSensitive(low=dtype != torch.float32)

    def predict(self, image, mask):
        fill = super().predict(image, mask)
        return fill * 0.5 if self.low else fill


def test_iterates_are_scored_in_fp32_whatever_the_loops_precision(photo, mask):
    """The kept iterate is chosen on what verification computes: an fp32 score of the 8-bit image."""
    model = _PrecisionSensitive()
    # The noise never moves (and no gradient shapes its budget): equal iterates in both runs.
    still = replace(FAST, iterations=2, learning_rate=0.0, budget="reference")
    fp32 = protect(model, photo, mask, still)
    bf16 = protect(model, photo, mask, replace(still, precision="bf16"))
    assert bf16.settings.precision == "bf16"
    assert [h.total for h in bf16.history] == pytest.approx([h.total for h in fp32.history], rel=1e-6)


def test_the_bf16_copy_casts_its_weights_once_and_keeps_its_ffts_in_fp32(tiny_model, photo, mask, monkeypatch):
    """The loop's bf16 copy holds bf16 weights (no per-call casts, no autocast) and feeds its FFTs fp32;
    its fill stays within a few levels of the fp32 one."""
    from guardpaint.core.editor.differentiable import edit
    from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor

    fast = tiny_model.for_attack(dtype=torch.bfloat16)
    assert {p.dtype for p in fast.network.parameters()} == {torch.bfloat16}
    autocast = []
    fast.network.register_forward_pre_hook(lambda module, args: autocast.append(torch.is_autocast_enabled("cpu")))
    assert {p.dtype for p in tiny_model.network.parameters()} == {torch.float32}  # the original is untouched
    seen, rfftn = [], torch.fft.rfftn
    monkeypatch.setattr(torch.fft, "rfftn", lambda x, *a, **k: (seen.append((x.dtype, torch.is_autocast_enabled(
        "cpu"))), rfftn(x, *a, **k))[1])
    image, hole = image_to_tensor(photo, tiny_model.device), mask_to_tensor(mask, tiny_model.device)
    with torch.no_grad():
        low, full = edit(fast, image, hole), edit(tiny_model.for_attack(), image, hole)
    assert seen and set(seen) == {(torch.float32, False)} and autocast == [False]
    assert low.dtype == torch.float32 and float((low - full).abs().max()) * 255 < 4


def test_a_bf16_loop_follows_the_fp32_loop_within_tolerance(tiny_model, photo, mask):
    fp32 = protect(tiny_model, photo, mask, FAST)
    bf16 = protect(tiny_model, photo, mask, replace(FAST, precision="bf16"))
    assert bf16.settings.precision == "bf16"
    for a, b in zip(fp32.history, bf16.history, strict=True):  # both scored in fp32, the iterates differ a little
        assert b.total == pytest.approx(a.total, rel=0.05)
    assert bf16.best_loss == pytest.approx(fp32.best_loss, rel=0.05)
