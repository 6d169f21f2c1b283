"""Speed of GuardPaint's protection routine against a faithful re-implementation of the reference loop.

Same model, image, mask, device and seed for both; prints one JSON object.

    python benchmarks/protect_speed.py --device cpu --size 256 --json
    python benchmarks/protect_speed.py --device cuda --size 512 --model big-lama-arch --json
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.evaluation.suite import png_round_trip
from guardpaint.core.evaluation.verify import verify
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.loss_terms import TERM_NAMES
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.models import Inpainter, load_model
from guardpaint.models.device import describe_device, resolve_precision, select_device
from guardpaint.models.lama import FFCResNetGenerator, LamaConfig
from guardpaint.models.lama_family import LamaInpainter

from reference_loop import reference_protect


def benchmark_image(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A held-out photo (chelsea) resized to ``size`` square if scikit-image is present, else a pattern;
    the mask is a centred square a quarter of the side across."""
    try:
        import skimage.data
        from cv2 import INTER_AREA, resize

        rgb = resize(skimage.data.chelsea(), (size, size), interpolation=INTER_AREA)
    except ImportError:
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[0:size, 0:size] / size
        rgb = np.clip(np.dstack([127 + 100 * np.sin(9 * xx + c) * np.cos(7 * yy - c) for c in range(3)])
                      + rng.normal(0, 6, (size, size, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((size, size), bool)
    side = size // 4
    mask[size // 2 - side // 2: size // 2 + side // 2, size // 2 - side // 2: size // 2 + side // 2] = True
    return rgb, mask


def get_model(name: str, device: torch.device, seed: int = 0, label: str | None = None) -> Inpainter:
    """A registry model or weight file, or ``big-lama-arch``: big-lama's architecture with random weights
    drawn from ``seed``, named ``label`` (timing only: the real weights cannot be downloaded everywhere)."""
    if name == "big-lama-arch":
        torch.manual_seed(seed)
        return LamaInpainter(FFCResNetGenerator(LamaConfig()), label or name, device)
    return load_model(name, device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device, runs: int) -> tuple[float, object, float]:
    """(median seconds over ``runs`` after one warm-up, last result, peak CUDA memory in MB)."""
    fn()
    times, result = [], None
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(runs):
        sync(device)
        start = time.perf_counter()
        result = fn()
        sync(device)
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return statistics.median(times), result, peak


def count_flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def protection_flops(run_with_iterations, iterations: int) -> int:
    """FLOPs of a whole protection: fixed part plus ``iterations`` times the per-iteration part,
    from two counted runs (1 and 2 iterations)."""
    one, two = count_flops(lambda: run_with_iterations(1)), count_flops(lambda: run_with_iterations(2))
    return one + (iterations - 1) * (two - one)


def metrics(model: Inpainter, original, protected, mask, colour, settings) -> dict:
    report = verify(Editor(model), original, png_round_trip(protected), mask, target_colour=colour,
                    expansion=settings.expansion)
    return {"psnr": report.psnr, "max_abs_diff": report.max_abs_diff, "malicious_ssim": report.worst().malicious.ssim,
            "fill_distance_protected": report.worst().malicious.target_distance_protected,
            "fill_distance_clean": report.worst().malicious.target_distance_original,
            "benign_ring_ssim": report.benign_ssim["ring"], "holds": report.worst().malicious.holds}


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """The options every protection benchmark takes: device, image size, model and iterations."""
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--model", default="demo", help="registry name, path, or big-lama-arch")
    parser.add_argument("--iterations", type=int, default=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_args(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    device = select_device(args.device)
    model = get_model(args.model, device)
    rgb, mask = benchmark_image(args.size)
    precision = resolve_precision(args.precision, device)
    # Both loops compute the reference function: its uniform budget at 6.4 levels, one optimisation.
    reference_settings = at_maximum_strength(ProtectionSettings(iterations=args.iterations, precision="fp32"))
    ours_settings = replace(reference_settings, precision=precision)

    ref_time, (ref_image, ref_history), ref_peak = timed(
        lambda: reference_protect(model, rgb, mask, reference_settings), device, args.runs)
    our_time, our_result, our_peak = timed(lambda: protect(model, rgb, mask, ours_settings),
                                           device, args.runs)
    ref_flops = protection_flops(
        lambda n: reference_protect(model, rgb, mask, replace(reference_settings, iterations=n)), args.iterations)
    our_flops = protection_flops(lambda n: protect(model, rgb, mask, replace(ours_settings, iterations=n)),
                                 args.iterations)
    colour = our_result.target_colour
    result = {
        "device": describe_device(device), "model": model.name, "size": [args.size, args.size],
        "mask_pixels": int(mask.sum()), "iterations": args.iterations, "runs": args.runs,
        "precision": precision, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "reference": {"seconds": ref_time, "seconds_per_iteration": ref_time / args.iterations,
                      "peak_memory_mb": ref_peak, "tflops": ref_flops / ref_time / 1e12,
                      "final_losses": dict(zip(TERM_NAMES, ref_history[-1], strict=True)),
                      "metrics": metrics(model, rgb, ref_image, mask, colour, reference_settings)},
        "guardpaint": {"seconds": our_time, "seconds_per_iteration": our_time / args.iterations,
                       "peak_memory_mb": our_peak, "tflops": our_flops / our_time / 1e12,
                       "final_losses": our_result.history[-1].losses,
                       "best_loss": our_result.best_loss, "best_iterations": our_result.best_iterations,
                       "metrics": metrics(model, rgb, our_result.protected, mask, colour,
                                          ours_settings)},
    }
    result["speedup"] = ref_time / our_time
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
