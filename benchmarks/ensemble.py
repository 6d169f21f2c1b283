"""Ensembles: what a second model costs, and how far a protection made against one model transfers.

    python benchmarks/ensemble.py cost --device cpu --size 256 --iterations 3 --json
    python benchmarks/ensemble.py transfer --device cpu --size 256 --json

``cost``: the same protection against one big-lama-arch and against two (seeds 0 and 1), each in
a fresh subprocess so that its peak memory is its own; time and peak memory.

``transfer``: a held-out photo is protected against each of big-lama-arch seed 0, big-lama-arch
seed 1 and the demo model (the reference settings), and every protected image is then edited by
every model (the editor's default pipeline, the exact region). A cell gives how much closer to the
target the fill came (1 - distance ratio), the SSIM against that model's clean edit, and whether the
edit is held. Seeded random weights are not trained inpainters: what the table can show is whether
noise made for one set of weights moves another; what it cannot show is how big-lama and
anime-lama, trained and fine-tuned, relate: ``--model big-lama --model anime-lama`` measures that
where both weights (and, for speed, a GPU) are at hand.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from isolated import peak_memory, run_child

MODELS = {"big-lama-arch seed 0": ("big-lama-arch", 0), "big-lama-arch seed 1": ("big-lama-arch", 1),
          "demo": ("demo", None)}


def build(name: str, device):
    """One of :data:`MODELS`, or any registry name or weight file (``big-lama``, ``anime-lama``)."""
    from protect_speed import get_model

    kind, seed = MODELS.get(name, (name, 0))
    return get_model(kind, device, seed, label=name)


def case(size: int):
    import cv2
    import numpy as np

    from data import load_photo

    photo = cv2.resize(load_photo("chelsea.png"), (size, size), interpolation=cv2.INTER_AREA)
    mask = np.zeros((size, size), bool)
    side = size // 4
    mask[size // 2 - side // 2:size // 2 + side // 2, size // 2 - side // 3:size // 2 + 2 * side // 3] = True
    return photo, mask


def cost_child(args: argparse.Namespace) -> dict:
    import torch

    from guardpaint.core.protection.loop import protect
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
    from guardpaint.models.device import select_device

    device = select_device(args.device)
    models = [build(name, device) for name in list(MODELS)[:args.models]]
    photo, mask = case(args.size)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    result = protect(models, photo, mask, at_maximum_strength(ProtectionSettings(iterations=args.iterations)))
    seconds = time.perf_counter() - start
    return {"models": [m.name for m in models], "seconds": seconds, "setup_seconds": result.setup_time,
            **peak_memory(device)}


def cost(args: argparse.Namespace) -> dict:
    rows = {}
    for count in (1, 2):
        rows[f"{count} model{'s' if count > 1 else ''}"] = run_child(__file__, [
            "cost", "--device", args.device, "--size", str(args.size), "--iterations", str(args.iterations),
            "--models", str(count)])
    return {"device": args.device, "size": args.size, "iterations": args.iterations, "rows": rows}


def transfer(args: argparse.Namespace) -> dict:
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.editor.regions import find_regions
    from guardpaint.core.evaluation.verify import judge
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
    from guardpaint.core.workflow import protect_image
    from guardpaint.models.device import select_device

    device = select_device(args.device)
    models = {name: build(name, device) for name in args.model or MODELS}
    photo, mask = case(args.size)

    table = {}
    for protector, model in models.items():
        outcome = protect_image(model, LoadedImage(photo), mask,
                                at_maximum_strength(ProtectionSettings(iterations=args.iterations)))
        table[protector] = {}
        for attacker, other in models.items():
            editor = Editor(other)
            _, comparison = judge(editor.inpaint(photo, mask), editor.inpaint(outcome.written, mask),
                                  find_regions(mask), outcome.result.target_colour).worst()
            ratio = comparison.target_distance_protected / max(comparison.target_distance_original, 1e-9)
            table[protector][attacker] = {"closer_to_target": 1 - ratio, "ssim": comparison.ssim,
                                          "held": comparison.holds}
    return {"device": str(device), "size": args.size, "iterations": args.iterations,
            "rows": "protected against", "columns": "edited by", "table": table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("cost", "transfer"))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--models", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model", action="append", metavar="NAME|PATH",
                        help="transfer: the models of the table (default: big-lama-arch seeds 0 and 1, demo); "
                             "e.g. --model big-lama --model anime-lama")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.models:  # a cost child process
        print(json.dumps(cost_child(args)))
        return
    result = cost(args) if args.part == "cost" else transfer(args)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
