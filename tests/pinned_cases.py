"""Outputs pinned before the editor/protection refactor (issue 19): the editor's 8-bit inpainting in every
pipeline and protections for fixed seeds. ``test_pinned.py`` compares today's code with the files in
``tests/pins/``; ``python tests/pinned_cases.py`` rewrites them (only when a change is explained).

Every case is seeded and runs in fp32 on a tiny LaMa-family model, so it is cheap and repeatable.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.models.lama_family import LamaInpainter

from conftest import make_photo, make_tiny_generator, make_tiny_model

PINS = Path(__file__).resolve().parent / "pins"
#: The reference configuration the pins were made with: 0.025 everywhere (the reference budget), fp32, IOPaint.
FP32 = ProtectionSettings(precision="fp32", epsilon=0.025, budget="reference", editors=("iopaint",))


def _boxes(shape: tuple[int, int], *boxes: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for top, left, bottom, right in boxes:
        mask[top:bottom, left:right] = True
    return mask


def inpaint_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(photo, mask) per case: the whole frame, crops (an edge, overlapping crops, a hole) and resize."""
    crop = _boxes((900, 1000), (10, 930, 70, 990), (400, 300, 450, 360), (420, 500, 470, 560), (650, 100, 750, 200))
    crop[680:700, 130:150] = False  # a hole: one external contour all the same
    return {
        "small": (make_photo(300, 400, seed=1), _boxes((300, 400), (100, 200, 150, 260), (20, 20, 40, 60))),
        "crops": (make_photo(900, 1000, seed=3), crop),
        "resize": (make_photo(1000, 1400, seed=5), _boxes((1000, 1400), (400, 600, 500, 720), (100, 100, 140, 160))),
    }


PIPELINE_NAMES = ("auto", "full", "crop", "resize")


def inpaint_outputs() -> dict[str, np.ndarray]:
    """The masked pixels (Nx3 uint8) of every case in every pipeline; outside the mask the output is the input."""
    model = LamaInpainter(make_tiny_generator(seed=2), "tiny", "cpu")
    out = {}
    for name, (photo, mask) in inpaint_cases().items():
        for pipeline in PIPELINE_NAMES:
            edited = Editor(model, pipeline).inpaint(photo, mask)
            assert (edited[~mask] == photo[~mask]).all()
            out[f"{name}-{pipeline}"] = edited[mask]
    return out


def protection_cases() -> dict[str, dict]:
    """Protections for fixed seeds: the arguments of ``protect`` per case."""
    small, small_mask = make_photo(), _boxes((64, 80), (20, 30, 40, 52))
    large = make_photo(900, 1000, seed=6)
    large_mask = _boxes((900, 1000), (100, 120, 160, 180), (700, 820, 750, 870))
    huge = make_photo(1000, 1400, seed=2)
    huge_mask = _boxes((1000, 1400), (500, 600, 560, 660))
    grey = np.repeat(make_photo(64, 80, seed=3)[..., :1], 3, axis=2)
    fixed = np.zeros((64, 80), bool)
    fixed[:, :10] = True
    tiny = make_tiny_model()
    fast = replace(FP32, epsilon=0.05)
    return {
        "standard": {"models": tiny, "rgb": small, "mask": small_mask, "settings": FP32},
        "regions": {"models": tiny, "rgb": large, "mask": large_mask, "settings": replace(fast, iterations=2)},
        "robust": {"models": tiny, "rgb": small, "mask": small_mask,
                   "settings": replace(FP32, level="robust", iterations=4)},
        "robust-regions": {"models": tiny, "rgb": large, "mask": large_mask,
                           "settings": replace(fast, level="robust", iterations=1)},
        "jpeg": {"models": tiny, "rgb": large, "mask": large_mask,
                 "settings": replace(fast, iterations=1, jpeg_quality=85)},
        "texture": {"models": tiny, "rgb": small, "mask": small_mask,
                    "settings": replace(FP32, budget="texture", iterations=3)},
        "ensemble": {"models": [tiny, make_tiny_model(seed=1, name="b")], "rgb": small, "mask": small_mask,
                     "settings": replace(FP32, iterations=3)},
        "resize-view": {"models": tiny, "rgb": huge, "mask": huge_mask,
                        "settings": replace(fast, level="robust", editors=("iopaint", "iopaint:resize"), iterations=1)},
        "grey-fixed": {"models": tiny, "rgb": grey, "mask": small_mask, "settings": replace(FP32, iterations=3),
                       "fixed": fixed},
    }


def protection_outputs(names: list[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per case (all, or ``names``): the noise (HxWx3 int8), the kept iterate per window and every
    iteration's total."""
    out = {}
    for name, case in protection_cases().items():
        if names is not None and name not in names:
            continue
        result = protect(**case)
        out[name] = {"noise": result.noise.astype(np.int8), "best": np.array(result.best_iterations),
                     "totals": np.array([report.total for report in result.history])}
    return out


def write() -> None:
    PINS.mkdir(exist_ok=True)
    np.savez_compressed(PINS / "inpaint.npz", **inpaint_outputs())
    for name, arrays in protection_outputs().items():
        np.savez_compressed(PINS / f"protect-{name}.npz", **arrays)


if __name__ == "__main__":
    write()
