"""Robustness of the protection levels: the attacker suite on held-out photos, standard vs robust.

    python benchmarks/robustness.py --model demo --size 256 --json
    python benchmarks/robustness.py --model high-gain --size 256 --json   # the tests' model the noise can move

For each held-out scikit-image photo (resized to ``--size`` on the long side) and
a face-sized square region, protects at each level with the reference settings,
writes and re-reads the PNG, runs the attacker suite and prints one JSON object:
per level, the share of attacks held per group (and after JPEG at 90 alone), PSNR,
benign-edit SSIM, the protection's time and the suite's.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from guardpaint.core.evaluation.suite import run_suite
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import LEVEL_NAMES, ProtectionSettings, at_maximum_strength
from guardpaint.core.workflow import protect_image
from guardpaint.models import load_model
from guardpaint.models.device import select_device

from data import VALIDATION_IMAGES, load_photo


def held_out_case(name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The photo scaled to ``size`` on its long side, and a square region a quarter of the short side."""
    photo = load_photo(name)
    scale = size / max(photo.shape[:2])
    photo = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    side = min(photo.shape[:2]) // 4
    top, left = photo.shape[0] // 2 - side // 2, photo.shape[1] // 2 - side // 3
    mask = np.zeros(photo.shape[:2], bool)
    mask[top:top + side, left:left + side] = True
    return photo, mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=ProtectionSettings().iterations)
    parser.add_argument("--levels", nargs="+", default=list(LEVEL_NAMES), choices=LEVEL_NAMES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    device = select_device(args.device)
    if args.model == "high-gain":
        from high_gain import HighGainInpainter

        model = HighGainInpainter()
    else:
        model = load_model(args.model, device)
    cases = {name: held_out_case(name, args.size) for name in VALIDATION_IMAGES}
    result = {"model": args.model, "device": str(device), "size": args.size, "iterations": args.iterations,
              "photos": list(cases), "levels": {}}
    for level in args.levels:
        settings = replace(at_maximum_strength(ProtectionSettings()), iterations=args.iterations, level=level)
        rows = {}
        for name, (photo, mask) in cases.items():
            torch.manual_seed(0)
            start = time.perf_counter()
            outcome = protect_image(model, LoadedImage(photo), mask, settings)
            seconds = time.perf_counter() - start
            start = time.perf_counter()
            suite = run_suite(model, photo, outcome.written, mask, outcome.result.target_colour, settings.expansion)
            suite_seconds = time.perf_counter() - start
            jpeg90 = next(c for c in suite.cases if c.name == "JPEG at 90")
            rows[name] = {"seconds": seconds, "suite_seconds": suite_seconds, "psnr": outcome.verification.psnr,
                          "held": {g: suite.held_fraction(g) for g in suite.groups()} | {"all": suite.held_fraction()},
                          "held_jpeg_q90": jpeg90.holds, "benign_ssim": suite.benign_ssim,
                          "cases": [c.to_dict() for c in suite.cases]}
        groups = list(next(iter(rows.values()))["held"])
        result["levels"][level] = {
            "held": {g: statistics.mean(r["held"][g] for r in rows.values()) for g in groups},
            "held_jpeg_q90": statistics.mean(float(r["held_jpeg_q90"]) for r in rows.values()),
            "psnr_min": min(r["psnr"] for r in rows.values()),
            "benign_ssim_min": min(min(r["benign_ssim"].values()) for r in rows.values()),
            "seconds_mean": statistics.mean(r["seconds"] for r in rows.values()),
            "suite_seconds_mean": statistics.mean(r["suite_seconds"] for r in rows.values()),
            "photos": rows,
        }
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
