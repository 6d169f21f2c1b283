"""What region-scoped protection costs on a full-size photo, against a 512 x 512 full-frame protection.

    python benchmarks/protect_regions.py --device cpu --model demo --iterations 3 --json

Three cases, same model, device, iterations and seed, each in a fresh subprocess so that its
peak memory is its own: a 512 x 512 image (the editor's view is the whole frame), a 4000 x 3000
photo with one 300 x 300 region, and the same photo with three such regions. Prints one JSON
object: seconds, peak memory, windows and the ratios to the 512 x 512 case (targets: at most
1.5x for one region, 3.5x for three). Also checks that the pixels outside the windows are the
input's, bit for bit.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from isolated import peak_memory, run_child

REGION = 300
#: (top, left) of the regions in the 4000 x 3000 photo: a face, a signature, a logo.
CORNERS = ((900, 1200), (2200, 400), (600, 3300))


def photo(width: int, height: int):
    """A held-out photo (chelsea, never seen in training) resized to ``width`` x ``height``."""
    import cv2
    import skimage.data

    return cv2.resize(skimage.data.chelsea(), (width, height), interpolation=cv2.INTER_CUBIC)


def one_case(args: argparse.Namespace) -> dict:
    import numpy as np
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from guardpaint.core.protection.loop import protect
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
    from guardpaint.models.device import select_device

    from protect_speed import get_model

    device = select_device(args.device)
    model = get_model(args.model, device)
    if args.case == "full-512":
        rgb, mask = photo(512, 512), np.zeros((512, 512), bool)
        side = 512 // 4
        mask[256 - side // 2:256 + side // 2, 256 - side // 2:256 + side // 2] = True
    else:
        rgb, mask = photo(4000, 3000), np.zeros((3000, 4000), bool)
        for top, left in CORNERS[:int(args.case[0])]:
            mask[top:top + REGION, left:left + REGION] = True
    settings = at_maximum_strength(ProtectionSettings(iterations=args.iterations, seed=0, level=args.level,
                                                      resize_view=args.resize_view))  # as the README measured
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    result = protect(model, rgb, mask, settings)
    seconds = time.perf_counter() - start
    inside = np.zeros(mask.shape, bool)
    for box in result.windows:
        inside[box.slices] = True
    return {"case": args.case, "model": model.name, "device": str(device), "size": [rgb.shape[1], rgb.shape[0]],
            "iterations": args.iterations, "precision": result.settings.precision, "level": args.level,
            "resize_view": args.resize_view, "seconds": seconds,
            "setup_seconds": result.setup_time, "windows": [[b.top, b.left, b.bottom, b.right] for b in result.windows],
            "window_pixels": int(inside.sum()),
            "outside_identical": bool((result.protected[~inside] == rgb[~inside]).all()), **peak_memory(device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="demo", help="registry name, path, or big-lama-arch")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--level", default="standard", choices=("standard", "robust"))
    parser.add_argument("--resize-view", action="store_true", help="robust level: add IOPaint's resize view")
    parser.add_argument("--cases", nargs="+", default=["full-512", "1-region", "3-regions"])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.case:  # child process
        print(json.dumps(one_case(args)))
        return
    rows = {}
    for case in args.cases:
        rows[case] = run_child(__file__, ["--device", args.device, "--model", args.model, "--iterations",
                                          str(args.iterations), "--level", args.level, "--case", case,
                                          *(["--resize-view"] if args.resize_view else [])])
    base = rows.get("full-512", {}).get("seconds")
    for name in ("1-region", "3-regions"):
        if base and "seconds" in rows.get(name, {}):
            rows[name]["time_vs_full_512"] = rows[name]["seconds"] / base
    print(json.dumps({"cases": rows, "targets": {"1-region": 1.5, "3-regions": 3.5}}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
