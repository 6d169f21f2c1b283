"""What bf16 changes: the editor's fill with the weights cast once to bf16 against fp32, and the protection
(gradients in bf16, iterates still scored in fp32) against an all-fp32 one. Prints one JSON object.

    python benchmarks/precision.py --device cpu --size 256 --json
    python benchmarks/precision.py --device cuda --size 512 --model big-lama-arch --json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.core.workflow import protect_image
from guardpaint.models.device import describe_device, select_device

from protect_speed import add_run_args, benchmark_image, get_model, sync


def fill_difference(model, rgb: np.ndarray, mask: np.ndarray) -> dict:
    """The fill of the editor's edit in bf16 (the loop's copy: weights cast once, FFTs in fp32) against fp32,
    in 8-bit levels over the hole."""
    image, hole = image_to_tensor(rgb, model.device), mask_to_tensor(mask, model.device)
    with torch.no_grad():
        fp32 = edit(model.for_attack(), image, hole)
        bf16 = edit(model.for_attack(dtype=torch.bfloat16), image, hole)
    difference = ((bf16 - fp32).abs() * 255)[hole.expand_as(fp32) > 0]
    return {"max_levels": float(difference.max()), "mean_levels": float(difference.mean()),
            "share_over_1_level": float((difference > 1).float().mean())}


def protection(model, rgb: np.ndarray, mask: np.ndarray, settings: ProtectionSettings) -> dict:
    sync(model.device)
    start = time.perf_counter()
    outcome = protect_image(model, LoadedImage(rgb), mask, settings)
    sync(model.device)
    check = outcome.verification.regions[0].malicious
    return {"seconds": time.perf_counter() - start, "best_iterations": outcome.result.best_iterations,
            "best_loss": outcome.result.best_loss, "holds": outcome.protected, "malicious_ssim": check.ssim,
            "fill_distance_protected": check.target_distance_protected, "psnr": outcome.verification.psnr}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_args(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    device = select_device(args.device)
    model = get_model(args.model, device)
    rgb, mask = benchmark_image(args.size)
    settings = at_maximum_strength(ProtectionSettings(iterations=args.iterations, precision="fp32"))
    result = {"device": describe_device(device), "model": model.name, "size": args.size,
              "iterations": args.iterations, "fill_bf16_vs_fp32": fill_difference(model, rgb, mask),
              "fp32": protection(model, rgb, mask, settings),
              "bf16_gradients_fp32_scores": protection(model, rgb, mask, replace(settings, precision="bf16"))}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
