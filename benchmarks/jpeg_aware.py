"""JPEG output: the standard protection saved as JPEG, against the JPEG-aware one, on held-out photos.

    python benchmarks/jpeg_aware.py --model demo --json
    python benchmarks/jpeg_aware.py --model big-lama-arch --iterations 5 --time-only --json

For each quality (90 and 80), each held-out photo is protected twice: for PNG and then saved as
JPEG (what converting the protected PNG gives), and for JPEG (optimised through the
differentiable JPEG at that quality). Both are measured on the JPEG as written and re-read: the
attacker suite's held fraction, whether the exact edit holds, PSNR, and the protection's time.
With ``big-lama-arch`` (random weights) only the time means something: ``--time-only``.
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from invisible_default import held_out_region

from guardpaint.core.evaluation.metrics import psnr
from guardpaint.core.evaluation.suite import run_suite
from guardpaint.core.io.formats import PNG, OutputFormat, decode_image, encode_image
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.core.workflow import protect_image
from guardpaint.models.device import select_device

from data import VALIDATION_IMAGES, load_photo
from protect_speed import get_model


def measure(model, photo: np.ndarray, mask: np.ndarray, settings: ProtectionSettings, jpeg: OutputFormat,
            aware: bool, time_only: bool) -> dict:
    start = time.perf_counter()
    outcome = protect_image(model, LoadedImage(photo), mask, settings, fmt=jpeg if aware else PNG)
    seconds = time.perf_counter() - start
    written = outcome.written if aware else decode_image(encode_image(outcome.written, outcome.source, jpeg))
    row = {"seconds": seconds, "psnr": psnr(photo, written)}
    if not time_only:
        suite = run_suite(model, photo, written, mask, outcome.result.target_colour)
        row |= {"held": suite.held_fraction(), "exact_held": next(c.holds for c in suite.cases if c.name == "exact")}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo", help="registry name, path, or big-lama-arch")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--iterations", type=int, default=ProtectionSettings().iterations)
    parser.add_argument("--default", action="store_true", help="today's default budget instead of the reference's")
    parser.add_argument("--qualities", type=int, nargs="+", default=[90, 80])
    parser.add_argument("--photos", nargs="+", default=list(VALIDATION_IMAGES))
    parser.add_argument("--time-only", action="store_true", help="skip the suite (weights that mean nothing)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = get_model(args.model, select_device(args.device))
    # The reference's budget, as when the README's table was measured (``--default`` for today's default).
    base = ProtectionSettings() if args.default else at_maximum_strength(ProtectionSettings())
    settings = replace(base, iterations=args.iterations)
    rows: dict = {}
    for quality in args.qualities:
        jpeg = OutputFormat("jpeg", quality)
        for kind, aware in (("standard", False), ("jpeg-aware", True)):
            per_photo = {}
            for name in args.photos:
                photo = load_photo(name)
                torch.manual_seed(0)
                per_photo[name] = measure(model, photo, held_out_region(photo.shape[:2]), settings, jpeg, aware,
                                          args.time_only)
            keys = per_photo[args.photos[0]].keys()
            rows[f"q{quality} {kind}"] = {k: float(np.mean([r[k] for r in per_photo.values()])) for k in keys}
    print(json.dumps({"model": model.name, "device": str(model.device), "iterations": args.iterations,
                      "photos": args.photos, "results": rows}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
