"""Region-scoped against full-frame protection, measured where the attacker's editor computes.

    python benchmarks/region_quality.py --model demo --device auto --json

Each held-out photo, scaled to 1600 x 1200 (above IOPaint's 800 px trigger, so the editor
inpaints a crop around the region), gets a 200 x 200 region and is protected twice with the
reference settings: against the editor's views (GuardPaint's default: noise only in the
windows) and on the full frame (the former behaviour). Both are measured on the written 8-bit
image through the editor's default pipeline: the attack loss (masked MSE of the fill to the
target, on the [0, 1] scale), the fill's mean distance to the target in levels, SSIM against the
clean edit, PSNR over the whole photo, time and the noisy area.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.regions import find_regions
from guardpaint.core.evaluation.verify import judge
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.core.workflow import protect_image
from guardpaint.models import load_model
from guardpaint.models.device import select_device

from data import VALIDATION_IMAGES, load_photo

SIZE = (1600, 1200)
REGION = 200


def case(name: str) -> tuple[np.ndarray, np.ndarray]:
    photo = cv2.resize(load_photo(name), SIZE, interpolation=cv2.INTER_CUBIC)
    mask = np.zeros(photo.shape[:2], bool)
    top, left = SIZE[1] // 2 - REGION // 2, SIZE[0] // 2 - REGION // 3
    mask[top:top + REGION, left:left + REGION] = True
    return photo, mask


def measure(model, photo: np.ndarray, mask: np.ndarray, settings: ProtectionSettings) -> dict:
    start = time.perf_counter()
    outcome = protect_image(model, LoadedImage(photo), mask, settings)
    seconds = time.perf_counter() - start
    editor = Editor(model, "auto")  # the attacker's default, whatever the protection was made for
    clean, attacked = editor.inpaint(photo, mask), editor.inpaint(outcome.written, mask)
    colour = np.asarray(outcome.result.target_colour, np.float64) / 255
    attack_loss = float((((attacked[mask] / 255.0) - colour) ** 2).mean())
    clean_loss = float((((clean[mask] / 255.0) - colour) ** 2).mean())
    _, mal = judge(clean, attacked, find_regions(mask), outcome.result.target_colour).worst()
    noisy = int((outcome.result.noise != 0).any(axis=2).sum())
    return {"seconds": seconds, "attack_loss": attack_loss, "attack_loss_clean": clean_loss,
            "fill_distance_protected": mal.target_distance_protected,
            "fill_distance_clean": mal.target_distance_original, "malicious_ssim": mal.ssim, "holds": mal.holds,
            "psnr": outcome.verification.psnr, "noisy_pixels": noisy, "windows": len(outcome.result.windows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--iterations", type=int, default=ProtectionSettings().iterations)
    parser.add_argument("--photos", nargs="+", default=list(VALIDATION_IMAGES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = load_model(args.model, select_device(args.device))
    base = replace(at_maximum_strength(ProtectionSettings()), iterations=args.iterations)  # the reference budget
    rows = {}
    for name in args.photos:
        photo, mask = case(name)
        torch.manual_seed(0)
        rows[name] = {against: measure(model, photo, mask, replace(base, pipeline=against))
                      for against in ("auto", "full")}
    keys = ("seconds", "attack_loss", "attack_loss_clean", "fill_distance_protected", "fill_distance_clean",
            "malicious_ssim", "psnr", "noisy_pixels")
    mean = {against: {k: float(np.mean([rows[n][against][k] for n in rows])) for k in keys}
            for against in ("auto", "full")}
    print(json.dumps({"model": model.name, "device": str(model.device), "size": list(SIZE), "region": REGION,
                      "iterations": args.iterations, "photos": rows, "mean": mean}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
