"""Throughput of ``guardpaint batch`` on one process against ``batch --ray`` with 1 and 2 actors.

Each configuration runs in a fresh process on the same folder of photos (held-out scikit-image
photos, resized, one region each), written to its own output folder. Throughput counts images
written per second of the run itself; the wall time also holds the start (torch, Ray, model loads).
Prints one JSON object.

    python benchmarks/cluster_batch.py --images 8 --size 256 --iterations 5 --json
    python benchmarks/cluster_batch.py --device cuda --model big-lama --size 512 --iterations 20 --actors 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut", "camera", "cat", "immunohistochemistry", "retina")


def make_folder(folder: Path, count: int, size: int) -> None:
    """``count`` photos at ``size`` px (the long side), each with a centred region a quarter across."""
    import skimage.data

    folder.mkdir(parents=True)
    for index in range(count):
        name = PHOTOS[index % len(PHOTOS)]
        image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        image.thumbnail((size, size))
        image.save(folder / f"{index:03d}-{name}.png")
        mask = np.zeros((image.height, image.width), np.uint8)
        mask[image.height * 3 // 8:image.height * 5 // 8, image.width * 3 // 8:image.width * 5 // 8] = 255
        Image.fromarray(mask).save(folder / f"{index:03d}-{name}.mask.png")


def run(folder: Path, out: Path, args: argparse.Namespace, extra: list[str]) -> dict:
    argv = [sys.executable, "-m", "guardpaint", "batch", str(folder), "-o", str(out), "--iterations",
            str(args.iterations), "--device", args.device, "--quiet", *(["--model", args.model] if args.model else []),
            *extra]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    written = len(list(out.iterdir()))
    measured = re.search(r"([0-9.]+) images/s written \(([0-9.]+) s", done.stderr)
    result = {"written": written, "wall_s": round(wall, 2), "images_per_s_wall": round(written / wall, 4)}
    if measured:  # the cluster's own figure: from the pool's start to the last report
        result |= {"images_per_s": float(measured.group(1)), "run_s": float(measured.group(2))}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default=None, help="default: the default model (the demo when big-lama is absent)")
    parser.add_argument("--actors", type=int, nargs="*", default=[1, 2], help="none: the local batch only")
    parser.add_argument("--gpus-per-actor", default=None, help="passed to batch --ray (0.5: two actors per GPU)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "in"
        make_folder(folder, args.images, args.size)
        results = {"images": args.images, "size": args.size, "iterations": args.iterations, "device": args.device,
                   "model": args.model or "default", "cpus": os.cpu_count()}
        results["local batch"] = run(folder, Path(scratch) / "local", args, [])
        per_gpu = ["--gpus-per-actor", args.gpus_per_actor] if args.gpus_per_actor else []
        for actors in args.actors:
            results[f"ray, {actors} actor{'s' if actors > 1 else ''}"] = run(
                folder, Path(scratch) / f"ray-{actors}", args, ["--ray", "--actors", str(actors), *per_gpu])
    print(json.dumps(results, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
