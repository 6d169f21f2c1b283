"""Where a protection's time goes: torch.profiler over a few iterations of the real loop.

    python benchmarks/profile_protect.py --device cuda --model big-lama-arch --size 512

Prints the wall time, the time the device was busy (kernels), the kernel count per
iteration and the operators with the most self time. On a GPU, busy time far under
wall time means the loop is bound by launches or the host, not by arithmetic.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.models.device import select_device

from protect_speed import benchmark_image, get_model, sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="demo", help="registry name, path, or big-lama-arch")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--rows", type=int, default=25)
    args = parser.parse_args()
    device = select_device(args.device)
    model = get_model(args.model, device)
    rgb, mask = benchmark_image(args.size)
    settings = at_maximum_strength(ProtectionSettings(iterations=args.iterations))
    protect(model, rgb, mask, settings)  # warm-up: allocator, cuDNN handles, kernels
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    sync(device)
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        result = protect(model, rgb, mask, settings)
        sync(device)
    wall = time.perf_counter() - start
    events = prof.key_averages()
    sort_key = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(events.table(sort_by=sort_key, row_limit=args.rows))
    if device.type == "cuda":
        kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        busy = sum(e.time_range.elapsed_us() for e in kernels) / 1e6
        passes = args.iterations + 1  # the last update is evaluated without a gradient
        print(f"{model.name} {args.size}px on {torch.cuda.get_device_name(device)}: wall {wall:.3f} s (profiled), "
              f"device busy {busy:.3f} s ({100 * busy / wall:.0f} %), "
              f"{len(kernels) / passes:.0f} kernels per iteration; engine: {result.engine}")
    else:
        print(f"{model.name} {args.size}px on {device}: wall {wall:.3f} s (profiled); engine: {result.engine}")


if __name__ == "__main__":
    main()
