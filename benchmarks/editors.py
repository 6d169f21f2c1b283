"""What protecting against more editors buys and costs.

    python benchmarks/editors.py efficacy --json      # the high-gain test model, held-out photos
    python benchmarks/editors.py cost --json          # time per iteration at 512 px, demo and big-lama-arch

``efficacy``: for each held-out photo (scikit-image's chelsea, coffee, rocket) at each size (384 x 288, 768 x 576)
and each region shape (an 80 x 60 box and an ellipse), a protection made for IOPaint alone and one made for every editor
(:data:`ALL`), both with the defaults (auto strength, 20 iterations per step), on ``tests/high_gain.py``: the
model whose fill a pixel checkerboard moves, so that "held" can be measured at all. Each written file is
judged under every editor. Prints one JSON line per protection, then the summary: per protection, the share
held under each editor, the mean PSNR and seconds per image. What the figures do and do not mean is in
docs/editors.md: the high-gain model's trigger is a one-pixel checkerboard, which no upsampling can carry.

``cost``: the seconds per iteration of the protection loop (fp32, 3 iterations after the first, no auto
strength) for each editor set, on a 512 x 384 photo, with the demo model and with big-lama's architecture
(random weights: the time is the weights'), each set in a fresh process with its peak memory.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from isolated import peak_memory, run_child

ALL = ("iopaint", "comfyui", "lama-512-resize", "lama-512-crop")
PROTECTIONS = {"iopaint only": ("iopaint",), "iopaint + comfyui": ("iopaint", "comfyui"), "every editor": ALL}
SIZES = ((384, 288), (768, 576))
COST_SETS = {"iopaint": ("iopaint",), "iopaint + comfyui": ("iopaint", "comfyui"),
             "iopaint + lama-512-resize": ("iopaint", "lama-512-resize"),
             "iopaint + lama-512-crop": ("iopaint", "lama-512-crop"),
             "iopaint + comfyui + lama-512-resize": ("iopaint", "comfyui", "lama-512-resize"), "every editor": ALL}


#: The region's half sides (px): the size the review of the editors used (80 x 60 at 384 x 288). The same at every
#: size, because the high-gain model completes a hole from 15 px around it only: far larger regions cannot be
#: moved in their middle by any noise.
HALF_SIDES = (40, 30)


def region(shape: tuple[int, int], kind: str) -> np.ndarray:
    """An 80 x 60 box or an ellipse of the same axes, a little off the image's centre."""
    height, width = shape
    mask = np.zeros(shape, np.uint8)
    centre, axes = (width // 2 + width // 12, height // 2 - height // 12), HALF_SIDES
    if kind == "box":
        cv2.rectangle(mask, (centre[0] - axes[0], centre[1] - axes[1]), (centre[0] + axes[0], centre[1] + axes[1]),
                      1, cv2.FILLED)
    else:
        cv2.ellipse(mask, centre, axes, 30, 0, 360, 1, cv2.FILLED)
    return mask.astype(bool)


def efficacy(args: argparse.Namespace) -> dict:
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.evaluation.verify import verify
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.settings import ProtectionSettings
    from guardpaint.core.workflow import protect_image

    from data import VALIDATION_IMAGES, load_photo
    from high_gain import HighGainInpainter

    model = HighGainInpainter()
    rows = []
    for size in SIZES:
        for name in VALIDATION_IMAGES:
            photo = cv2.resize(load_photo(name), size, interpolation=cv2.INTER_AREA)
            for kind in ("box", "ellipse"):
                mask = region(photo.shape[:2], kind)
                for protection in args.protections:
                    editors = PROTECTIONS[protection]
                    start = time.perf_counter()
                    outcome = protect_image(model, LoadedImage(photo), mask, replace(ProtectionSettings(),
                                                                                      editors=editors))
                    seconds = time.perf_counter() - start
                    held = {}
                    for editor in ALL:
                        check = verify(Editor(model, editor), photo, outcome.written, mask,
                                       target_colour=outcome.result.target_colour)
                        held[editor] = {"holds": check.holds, "ssim": check.regions[0].malicious.ssim}
                    row = {"size": f"{size[0]}x{size[1]}", "photo": name, "region": kind, "protection": protection,
                           "seconds": seconds, "psnr": outcome.verification.psnr,
                           "steps": [o.step for o in outcome.result.region_outcomes], "held": held}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    return summarise(rows)


def summarise(rows: list[dict]) -> dict:
    """Per size and protection: the share held under each editor, the mean PSNR and seconds per image; and
    for each protection made for more than IOPaint, the share held under each editor among the pairs where
    the protection made for IOPaint alone holds under IOPaint."""
    summary = {}
    for size in sorted({row["size"] for row in rows}):
        for protection in dict.fromkeys(row["protection"] for row in rows):
            chosen = [row for row in rows if row["size"] == size and row["protection"] == protection]
            summary[f"{size}, {protection}"] = {
                "held": {editor: statistics.mean(row["held"][editor]["holds"] for row in chosen) for editor in ALL},
                "psnr_mean": statistics.mean(row["psnr"] for row in chosen),
                "seconds_mean": statistics.mean(row["seconds"] for row in chosen), "pairs": len(chosen)}
        baseline = [row for row in rows if row["size"] == size and row["protection"] == "iopaint only"
                    and row["held"]["iopaint"]["holds"]]
        for protection in dict.fromkeys(row["protection"] for row in rows if row["protection"] != "iopaint only"):
            made = {(row["photo"], row["region"]): row for row in rows
                    if row["size"] == size and row["protection"] == protection}
            summary[f"{size}, {protection}, where iopaint only holds under iopaint"] = {
                editor: statistics.mean(made[(row["photo"], row["region"])]["held"][editor]["holds"]
                                        for row in baseline) if baseline else None for editor in ALL}
    return {"model": "high-gain (tests/high_gain.py)", "summary": summary}


def cost_child(args: argparse.Namespace) -> dict:
    import torch

    from guardpaint.core.protection.loop import protect
    from guardpaint.core.protection.settings import ProtectionSettings
    from guardpaint.core.protection.windows import plan_protection
    from guardpaint.models.device import select_device

    from data import load_photo
    from protect_speed import get_model

    torch.set_num_threads(args.threads)
    device = select_device("cpu")
    model = get_model(args.model, device)
    photo = cv2.resize(load_photo("chelsea.png"), (512, 384), interpolation=cv2.INTER_AREA)
    mask = region(photo.shape[:2], "box")
    settings = ProtectionSettings(editors=COST_SETS[args.set], iterations=args.iterations + 1, auto_strength=False,
                                  precision="fp32")
    result = protect(model, photo, mask, settings)
    times = [b.elapsed - a.elapsed for a, b in zip(result.history, result.history[1:], strict=False)]
    plan = plan_protection(mask, settings.expansion, settings.editors)
    return {"set": args.set, "model": args.model, "seconds_per_iteration": statistics.median(times),
            "setup_seconds": result.setup_time, "edits_per_iteration": len(plan.views),
            "model_megapixels_per_iteration": sum(h * w for h, w in (tv.view.model_shape for tv in plan.views)) / 1e6,
            **peak_memory(device)}


def cost(args: argparse.Namespace) -> dict:
    rows = []
    for model in args.models:
        for name in COST_SETS:
            row = run_child(__file__, ["cost", "--set", name, "--model", model, "--iterations", str(args.iterations),
                                       "--threads", str(args.threads)])
            rows.append(row)
            print(json.dumps(row), flush=True)
    return {"size": "512x384", "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("efficacy", "cost", "summary"))
    parser.add_argument("--protections", nargs="+", default=list(PROTECTIONS), choices=list(PROTECTIONS),
                        help="efficacy: the editor sets to protect against")
    parser.add_argument("--rows", type=Path, help="summary: a JSONL file of efficacy rows (several runs joined)")
    parser.add_argument("--models", nargs="+", default=["demo", "big-lama-arch"])
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.set:  # a cost child process
        print(json.dumps(cost_child(args)))
        return
    if args.part == "summary":
        rows = [json.loads(line) for line in args.rows.read_text().splitlines() if line.startswith('{"size"')]
        result = summarise(rows)
    else:
        result = efficacy(args) if args.part == "efficacy" else cost(args)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
