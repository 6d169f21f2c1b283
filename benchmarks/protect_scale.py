"""How protection cost grows with image size: per-iteration time and peak memory per size.

Each size runs in a fresh subprocess so that peak memory is its own.

    python benchmarks/protect_scale.py --device cpu --model demo --sizes 256 512 1024 2048 --json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from isolated import peak_memory, run_child


def one_size(args: argparse.Namespace) -> dict:
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from guardpaint.core.protection.loop import protect
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
    from guardpaint.models.device import resolve_precision, select_device

    from protect_speed import benchmark_image, get_model

    device = select_device(args.device)
    model = get_model(args.model, device)
    rgb, mask = benchmark_image(args.size)
    settings = at_maximum_strength(ProtectionSettings(iterations=args.iterations, memory_saving=args.memory_saving))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    result = protect(model, rgb, mask, settings)
    total = time.perf_counter() - start
    iterations = result.history
    per_iteration = (iterations[-1].elapsed - iterations[0].elapsed) / max(1, len(iterations) - 1)
    return {"size": args.size, "model": model.name, "device": str(device), "iterations": args.iterations,
            "precision": resolve_precision(settings.precision, device), "memory_saving": args.memory_saving,
            "seconds_per_iteration": per_iteration, "seconds_total": total, "setup_seconds": result.setup_time,
            **peak_memory(device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="demo")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--memory-saving", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.size is not None:  # child process
        print(json.dumps(one_size(args)))
        return
    rows = []
    for size in args.sizes:
        rows.append({"size": size, **run_child(__file__, [
            "--device", args.device, "--model", args.model, "--size", str(size), "--iterations", str(args.iterations),
            "--memory-saving", args.memory_saving])})
    base = next((r for r in rows if "seconds_per_iteration" in r), None)
    for row in rows:
        if base and "seconds_per_iteration" in row:
            row["time_vs_smallest"] = row["seconds_per_iteration"] / base["seconds_per_iteration"]
            row["pixels_vs_smallest"] = (row["size"] / base["size"]) ** 2
    print(json.dumps({"rows": rows}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
