"""Invisible by default: the default protection (adaptive budget, auto strength up to the cap) against the
reference's uniform 6.4-level budget and the texture-aware one, on the held-out photos.

    python benchmarks/invisible_default.py --json [--figure docs/invisible-default.png]

Each held-out scikit-image photo is used at its native size (at most 800 px: the editor's view is the
whole frame). On the demo model (the real LaMa cannot be downloaded everywhere) each budget protects a
72 px region, and the written 8-bit image is measured: PSNR against the original over the whole image,
over the smoothest 64 x 64 patch clear of the region and over the smoothest patch at least half covered
by the default's noise; the mean noise and its energy (sum of squared levels); the strength each region ended at; the
attack loss and the fill's distance to the target in the editor's edit. On the high-gain test model,
where protection can hold, two small regions per photo are protected with the reference budget and the
default: whether each holds, the strength it needed and the noise energy. ``--figure`` saves that
smooth patch of the first photo at 100 % and 300 %: original, reference, default, and each one's noise.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.evaluation.metrics import psnr
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.budget import texture_share
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.core.workflow import protect_image
from guardpaint.models import load_model
from guardpaint.models.device import select_device

from data import VALIDATION_IMAGES, load_photo
from high_gain import HighGainInpainter

PATCH = 64
ZOOMS = (1, 3)


def budgets(iterations: int) -> dict[str, ProtectionSettings]:
    default = replace(ProtectionSettings(), iterations=iterations)
    reference = at_maximum_strength(default)
    return {"reference": reference, "texture": replace(reference, budget="texture"), "default": default}


def region(shape: tuple[int, int], top: int, left: int, side: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[top:top + side, left:left + side] = True
    return mask


def held_out_region(shape: tuple[int, int]) -> np.ndarray:
    """The benchmarks' region on a held-out photo: a 72 px square a little off-centre (a face, a logo)."""
    return region(shape, shape[0] // 2 - 36, shape[1] // 2 - 20, 72)


def clear_of(mask: np.ndarray) -> np.ndarray:
    """Where a 64 x 64 patch may be centred without touching the region (or its 4 px ring)."""
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8))
    return cv2.erode(1 - grown, np.ones((PATCH, PATCH), np.uint8)).astype(bool)


def mostly_in(area: np.ndarray) -> np.ndarray:
    """Where a 64 x 64 patch may be centred so that at least half of it lies in ``area``."""
    return cv2.blur(area.astype(np.float32), (PATCH, PATCH)) >= 0.5


def smoothest_patch(rgb: np.ndarray, centres: np.ndarray) -> tuple[slice, slice] | None:
    """The 64 x 64 patch with the least local contrast among those centred where ``centres`` is True."""
    share = cv2.blur(texture_share(rgb), (PATCH, PATCH))
    inside = centres.copy()
    half = PATCH // 2
    inside[:half], inside[-half:], inside[:, :half], inside[:, -half:] = False, False, False, False
    if not inside.any():
        return None
    centre = np.unravel_index(np.argmin(np.where(inside, share, np.inf)), share.shape)
    return slice(centre[0] - half, centre[0] + half), slice(centre[1] - half, centre[1] + half)


def demo_row(model, photo: np.ndarray, mask: np.ndarray, settings: ProtectionSettings) -> tuple[dict, np.ndarray]:
    outcome = protect_image(model, LoadedImage(photo), mask, settings)
    written, result = outcome.written, outcome.result
    clear = smoothest_patch(photo, clear_of(mask))
    editor = Editor(model)
    attacked = editor.inpaint(written, mask)
    colour = np.asarray(result.target_colour, np.float64) / 255
    mal = outcome.verification.worst().malicious
    noise = written.astype(np.int64) - photo
    return {"psnr": outcome.verification.psnr, "psnr_smoothest_patch": psnr(photo[clear], written[clear]),
            "max_abs_noise": int(np.abs(noise).max()), "mean_abs_noise": float(np.abs(noise).mean()),
            "noise_energy": float((noise.astype(np.float64) ** 2).sum()),
            "noisy_share": float((noise != 0).any(2).mean()),
            "strengths": [result.region_strength(i).levels for i in range(len(result.regions))],
            "strength_steps": [outcome.step for outcome in result.region_outcomes],
            "attack_loss": float(((attacked[mask] / 255.0 - colour) ** 2).mean()),
            "fill_distance_protected": mal.target_distance_protected,
            "fill_distance_clean": mal.target_distance_original, "holds": outcome.protected,
            "seconds": outcome.timings["total_s"]}, written


def high_gain_rows(photo: np.ndarray, configs: dict[str, ProtectionSettings]) -> list[dict]:
    """Two small regions (the high-gain model fills from 15 px of context) on a photo, each protected alone."""
    model = HighGainInpainter()
    height, width = photo.shape[:2]
    rows = []
    for top, left in ((height // 3, width // 3), (2 * height // 3, 2 * width // 3)):
        mask = region(photo.shape[:2], top, left, 26)
        row = {"region": [top, left, 26]}
        for name in ("reference", "default"):
            outcome = protect_image(model, LoadedImage(photo), mask, replace(configs[name], iterations=20))
            noise = outcome.written.astype(np.float64) - photo
            row[name] = {"holds": outcome.protected, "strength": outcome.result.region_strength(0).levels,
                         "strength_steps": outcome.result.region_outcomes[0].step,
                         "noise_energy": float((noise ** 2).sum()),
                         "psnr": outcome.verification.psnr}
        rows.append(row)
    return rows


def figure(photo: np.ndarray, written: dict[str, np.ndarray], patch: tuple[slice, slice], path: Path) -> None:
    """The patch at 100 % and 300 %: original, reference, default; below, the noise x16 around grey."""
    tiles = [photo[patch], written["reference"][patch], written["default"][patch]]
    noise = [np.full_like(tiles[0], 255)] + [np.clip(128 + (t.astype(int) - photo[patch]) * 16, 0, 255).astype(np.uint8)
                                            for t in tiles[1:]]
    rows = []
    for zoom in ZOOMS:
        for line in (tiles, noise):
            scaled = [np.kron(t, np.ones((zoom, zoom, 1), np.uint8)) for t in line]
            rows.append(np.concatenate([np.pad(t, ((4, 4), (4, 4), (0, 0)), constant_values=255) for t in scaled],
                                       axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--iterations", type=int, default=ProtectionSettings().iterations)
    parser.add_argument("--figure", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = load_model(args.model, select_device(args.device))
    configs = budgets(args.iterations)
    photos, high_gain = {}, {}
    for index, name in enumerate(VALIDATION_IMAGES):
        photo = load_photo(name)
        mask = held_out_region(photo.shape[:2])
        torch.manual_seed(0)
        written, photos[name] = {}, {}
        for budget, settings in configs.items():
            photos[name][budget], written[budget] = demo_row(model, photo, mask, settings)
        near = smoothest_patch(photo, mostly_in((written["default"] != photo).any(axis=2)))  # the default's noise
        for budget, row in photos[name].items():
            row["psnr_smoothest_noisy_patch"] = None if near is None else psnr(photo[near], written[budget][near])
        if args.figure and index == 0 and near is not None:
            figure(photo, written, near, args.figure)
        high_gain[name] = high_gain_rows(photo, configs)
    print(json.dumps({"model": model.name, "device": str(model.device), "iterations": args.iterations,
                      "demo": photos, "high_gain": high_gain}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
