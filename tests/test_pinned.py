"""Today's editor and protections equal the outputs pinned before the refactor (``pinned_cases.py``).

On the machine that wrote the pins they are equal bit for bit. Another CPU may round a float
differently (other SIMD kernels): an 8-bit output may then move by a level here and there, and a
protection's noise flips sign where a gradient is almost zero. The tolerances admit that and
nothing more: a changed rule (a crop box, a resize, a paste, a loss weight) moves far more.
"""
import numpy as np
import pytest

from pinned_cases import PINS, inpaint_outputs, protection_cases, protection_outputs

#: Share of pinned values allowed to differ on another CPU.
INPAINT_TOLERANCE = 0.005
NOISE_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def pinned_inpaint():
    with np.load(PINS / "inpaint.npz") as pins:
        return dict(pins)


def test_inpaint_outputs_are_the_pinned_ones(pinned_inpaint):
    outputs = inpaint_outputs()
    assert set(outputs) == set(pinned_inpaint)
    for name, values in outputs.items():
        pinned = pinned_inpaint[name]
        assert values.shape == pinned.shape, name
        difference = np.abs(values.astype(int) - pinned)
        assert difference.max() <= 1 and (difference > 0).mean() <= INPAINT_TOLERANCE, name


@pytest.mark.parametrize("name", list(protection_cases()))
def test_protections_for_fixed_seeds_are_the_pinned_ones(name):
    with np.load(PINS / f"protect-{name}.npz") as pins:
        pinned = dict(pins)
    result = protection_outputs([name])[name]
    assert result["noise"].shape == pinned["noise"].shape
    assert (result["noise"] != pinned["noise"]).mean() <= NOISE_TOLERANCE
    if (result["noise"] == pinned["noise"]).all():  # the same arithmetic: the same losses too
        np.testing.assert_array_equal(result["best"], pinned["best"])
        np.testing.assert_allclose(result["totals"], pinned["totals"], rtol=1e-5)
