"""One protection iteration on a GPU, isolated: eager against a captured CUDA graph, and batched.

An iteration is what the protection loop does per update at the standard level on a full-frame
512 px view: project the noise, the three edits (region, dilation, ring) in the loop's precision with
their input gradient, the iterate's score in fp32, keep-best on the device, one Adam step. Each
variant times ``--iterations`` iterations (CUDA events, median of ``--repeats``) after warm-up, and
the first protection's latency with the capture included. Prints one JSON object per line.

    python benchmarks/gpu_iteration.py --device cuda --model big-lama-arch --size 512
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.editor.masks import dilate_array, ring_array
from guardpaint.core.protection.noise import quantised_adversarial
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.models.device import select_device

from protect_speed import benchmark_image, get_model

EPSILON = 0.025


class Iteration:
    """The static tensors of ``images`` protections at once (3 views each) and one iteration over them."""

    def __init__(self, fast, exact, rgb: np.ndarray, mask: np.ndarray, images: int, score: str) -> None:
        device = exact.device
        self.fast, self.exact, self.score = fast, exact, score
        image = torch.from_numpy(rgb).permute(2, 0, 1)[None].float().div(255).to(device)
        holes = [torch.from_numpy(m.astype(np.float32))[None, None].to(device)
                 for m in (mask, dilate_array(mask, 8), ring_array(mask, 8))]
        self.image = image.repeat(images, 1, 1, 1)
        self.holes = torch.cat(holes).repeat(images, 1, 1, 1)
        colour = torch.tensor(choose_target_colour(rgb), dtype=torch.float32, device=device).view(1, 3, 1, 1) / 255
        with torch.no_grad():
            clean = edit(exact, image.expand(3, -1, -1, -1), torch.cat(holes))
        targets = torch.cat([colour.expand(2, 3, *image.shape[-2:]), clean[2:3]])
        self.targets = targets.repeat(images, 1, 1, 1)
        counts = torch.stack([3 * h.sum() for h in holes])
        self.weights = (torch.tensor([1.0, 1.0, 2.0], device=device) / counts).repeat(images)
        self.images = images
        seeded = torch.Generator().manual_seed(0)
        self.delta = (torch.rand(self.image.shape, generator=seeded) * 0.01).to(device).requires_grad_(True)
        self.optimiser = torch.optim.Adam([self.delta], lr=0.1, betas=(0.5, 0.5), eps=1e-10,
                                          capturable=device.type == "cuda")
        self.best = torch.full((images,), float("inf"), device=device)
        self.best_delta = self.delta.detach().clone()
        self.totals = torch.zeros(images, device=device)

    def _views(self, adversarial: torch.Tensor) -> torch.Tensor:
        return adversarial.repeat_interleave(3, dim=0)

    def _totals(self, edited: torch.Tensor) -> torch.Tensor:
        squared = ((edited - self.targets) ** 2 * self.holes).sum(dim=(1, 2, 3)) * self.weights
        return squared.view(self.images, 3).sum(dim=1)

    def __call__(self) -> None:
        with torch.no_grad():
            torch.clamp(self.delta, -EPSILON, EPSILON, out=self.delta)
        self.delta.grad = None
        adversarial = quantised_adversarial(self.image, self.delta)
        views = self._views(adversarial)
        totals = self._totals(edit(self.fast, views, self.holes))
        totals.sum().backward()
        if self.score == "fp32":
            with torch.no_grad():
                totals = self._totals(edit(self.exact, views.detach(), self.holes))
        totals = totals.detach()
        with torch.no_grad():
            better = totals < self.best
            self.best.copy_(torch.where(better, totals, self.best))
            self.best_delta.copy_(torch.where(better.view(-1, 1, 1, 1), self.delta, self.best_delta))
            self.totals.copy_(totals)
        self.optimiser.step()


class Graphed:
    """``step`` replayed from a CUDA graph captured after ``warmup`` eager calls on a side stream."""

    def __init__(self, step: Iteration, warmup: int = 2) -> None:
        self.step = step
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(warmup):
                step()
        torch.cuda.current_stream().wait_stream(stream)
        step.delta.grad = None
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            step()

    def __call__(self) -> None:
        self.graph.replay()


def event_time(fn, iterations: int, repeats: int) -> float:
    """Median seconds of ``iterations`` calls of ``fn`` (device events), ``repeats`` times."""
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iterations):
            fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    return statistics.median(times)


def models(name: str, device: torch.device, layout: str):
    model = get_model(name, device)
    fast, exact = model.for_attack(dtype=torch.bfloat16), model.for_attack()
    if layout == "nchw":
        for copy in (fast, exact):
            copy.generator.to(memory_format=torch.contiguous_format)
    return fast, exact


def variant(args, name: str, graphed: bool, score: str = "fp32", layout: str = "cl", benchmark: bool = True,
            images: int = 1) -> dict:
    torch.backends.cudnn.benchmark = benchmark
    fast, exact = models(args.model, args.device, layout)
    rgb, mask = benchmark_image(args.size)
    torch.cuda.synchronize()
    started = time.perf_counter()
    step = Iteration(fast, exact, rgb, mask, images, score)
    fn = Graphed(step) if graphed else step
    for _ in range(args.iterations - (2 if graphed else 0)):
        fn()
    float(step.totals.sum())
    first = time.perf_counter() - started
    seconds = event_time(fn, args.iterations, args.repeats)
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return {"variant": name, "model": args.model, "size": args.size, "graph": graphed, "score": score,
            "layout": layout, "cudnn_benchmark": benchmark, "images": images, "iterations": args.iterations,
            "seconds": seconds, "ms_per_iteration": 1000 * seconds / args.iterations,
            "protections_per_s": images / seconds, "first_protection_s": first,
            "peak_memory_mb": torch.cuda.max_memory_allocated() / 2**20,
            "final_total": float(step.totals.sum()), "best_total": float(step.best.sum())}


def threaded(args, threads: int) -> dict:
    """``threads`` protections at once, each on its own stream replaying its own graph."""
    torch.backends.cudnn.benchmark = True
    fast, exact = models(args.model, args.device, "cl")
    rgb, mask = benchmark_image(args.size)
    graphs = []
    for _ in range(threads):
        stream = torch.cuda.Stream()
        with torch.cuda.stream(stream):
            graphs.append((stream, Graphed(Iteration(fast, exact, rgb, mask, 1, "fp32"))))
    torch.cuda.synchronize()

    def work(stream, graph):
        with torch.cuda.stream(stream):
            for _ in range(args.iterations):
                graph()
            stream.synchronize()

    times = []
    for _ in range(args.repeats):
        workers = [threading.Thread(target=work, args=pair) for pair in graphs]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    return {"variant": f"threads-{threads}", "model": args.model, "size": args.size, "threads": threads,
            "iterations": args.iterations, "seconds": seconds, "protections_per_s": threads / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--model", default="big-lama-arch")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="*", default=[4, 8])
    parser.add_argument("--threads", type=int, nargs="*", default=[4])
    args = parser.parse_args()
    args.device = select_device(args.device)
    if args.device.type != "cuda":
        raise SystemExit("this benchmark needs a CUDA device")
    runs = [
        ("eager", {"graphed": False, "benchmark": False}),
        ("eager-benchmark", {"graphed": False}),
        ("graph", {"graphed": True}),
        ("graph-bf16-score", {"graphed": True, "score": "bf16"}),
        ("graph-nchw", {"graphed": True, "layout": "nchw"}),
        *[(f"graph-batch-{n}", {"graphed": True, "images": n}) for n in args.batches],
    ]
    for name, options in runs:
        try:
            print(json.dumps(variant(args, name, **options)), flush=True)
        except Exception as exc:  # noqa: BLE001 - a failed variant is reported and the others still run
            print(json.dumps({"variant": name, "error": f"{type(exc).__name__}: {exc}"[:2000]}), flush=True)
        torch.cuda.empty_cache()
    for count in args.threads:
        try:
            print(json.dumps(threaded(args, count)), flush=True)
        except Exception as exc:  # noqa: BLE001
            print(json.dumps({"variant": f"threads-{count}", "error": f"{type(exc).__name__}: {exc}"[:2000]}),
                  flush=True)


if __name__ == "__main__":
    main()
