"""What the texture-aware noise budget buys in invisibility and costs in efficacy, on held-out photos.

    python benchmarks/texture_budget.py --model demo --json [--figure docs/texture-budget.png]

Each held-out scikit-image photo (native size: the editor's view is the whole frame) is protected
twice with the reference settings, with the uniform budget and with the texture-aware one, and
measured on the written 8-bit image: PSNR and SSIM against the original, PSNR over the smoothest
64 x 64 patch, the attack loss of the kept iterate, and the fill's distance to the target in the
editor's edit. ``--figure`` saves the smoothest patch of the first photo at 4x: original, uniform,
texture-aware, and each one's noise amplified.
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

from guardpaint.core.evaluation.metrics import psnr
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.budget import texture_share
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_image
from guardpaint.models import load_model
from guardpaint.models.device import select_device

from data import VALIDATION_IMAGES, load_photo

PATCH = 64
ZOOM = 4


def region(shape: tuple[int, int]) -> np.ndarray:
    """A 72 px square a little off-centre: a face- or logo-sized region."""
    mask = np.zeros(shape, bool)
    top, left = shape[0] // 2 - 36, shape[1] // 2 - 20
    mask[top:top + 72, left:left + 72] = True
    return mask


def smoothest_patch(rgb: np.ndarray, mask: np.ndarray) -> tuple[slice, slice]:
    """The 64 x 64 patch, clear of the region, with the least local contrast."""
    share = cv2.blur(texture_share(rgb), (PATCH, PATCH))
    share[mask.astype(bool)] = np.inf
    share = cv2.erode(share, np.ones((PATCH, PATCH), np.uint8))  # patches touching the region are out
    half = PATCH // 2
    top, left = np.unravel_index(np.argmin(share[half:-half, half:-half]), share[half:-half, half:-half].shape)
    return slice(top, top + PATCH), slice(left, left + PATCH)


def measure(model, photo: np.ndarray, mask: np.ndarray, settings: ProtectionSettings) -> tuple[dict, np.ndarray]:
    outcome = protect_image(model, LoadedImage(photo), mask, settings)
    check, written = outcome.verification, outcome.written
    patch = smoothest_patch(photo, mask)
    mal = check.worst().malicious
    return {"psnr": check.psnr, "ssim": check.ssim, "psnr_smooth_patch": psnr(photo[patch], written[patch]),
            "max_abs_diff": check.max_abs_diff, "mean_abs_noise": float(np.abs(outcome.result.noise).mean()),
            "best_loss": outcome.result.best_loss, "attack_loss": outcome.result.history[-1].attack,
            "fill_distance_protected": mal.target_distance_protected,
            "fill_distance_clean": mal.target_distance_original, "malicious_ssim": mal.ssim, "holds": mal.holds,
            "seconds": outcome.timings["total_s"]}, written


def figure(photo: np.ndarray, mask: np.ndarray, written: dict[str, np.ndarray], path: Path) -> None:
    patch = smoothest_patch(photo, mask)
    tiles = [photo[patch]] + [written[b][patch] for b in ("uniform", "texture")]
    noise = [np.clip(128 + (t.astype(int) - photo[patch]) * 16, 0, 255).astype(np.uint8) for t in tiles[1:]]
    top = np.concatenate([np.kron(t, np.ones((ZOOM, ZOOM, 1), np.uint8)) for t in tiles], axis=1)
    blank = np.full_like(tiles[0], 255)
    bottom = np.concatenate([np.kron(t, np.ones((ZOOM, ZOOM, 1), np.uint8)) for t in [blank, *noise]], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate([top, bottom], axis=0)).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--iterations", type=int, default=ProtectionSettings().iterations)
    parser.add_argument("--figure", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = load_model(args.model, select_device(args.device))
    base = replace(ProtectionSettings(), iterations=args.iterations)
    rows = {}
    for index, name in enumerate(VALIDATION_IMAGES):
        photo = load_photo(name)
        mask = region(photo.shape[:2])
        torch.manual_seed(0)
        written = {}
        rows[name] = {}
        for budget in ("uniform", "texture"):
            rows[name][budget], written[budget] = measure(model, photo, mask, replace(base, budget=budget))
        if args.figure and index == 0:
            figure(photo, mask, written, args.figure)
    summary = {budget: {key: float(np.mean([rows[n][budget][key] for n in rows]))
                        for key in ("psnr", "ssim", "psnr_smooth_patch", "mean_abs_noise", "best_loss",
                                    "fill_distance_protected", "fill_distance_clean", "malicious_ssim")}
               for budget in ("uniform", "texture")}
    print(json.dumps({"model": model.name, "device": str(model.device), "iterations": args.iterations,
                      "photos": rows, "mean": summary}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
