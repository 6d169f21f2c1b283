"""The noise generator's one pass against the 20-iteration loop, on the same model, image and device.

    python benchmarks/generator_speed.py --device cpu --sizes 256 512 --json
    python benchmarks/generator_speed.py --device cuda --model big-lama-arch --sizes 512 --train-steps 10 --json
    python benchmarks/generator_speed.py --device cpu --model big-lama-arch --sizes 512 --train-steps 2 --no-loop

For each size: the time to make the noise (the generator's forward pass on the window, against the loop's
optimisation: ``protect`` without auto strength, its set-up excluded), each the median of ``--runs``
after a warm-up, and the whole protection as a user runs it (``protect_image``: the noise, the written
file's verification and the report's edits). With ``--train-steps``, the training throughput in images per
second at the largest size. The generator is seeded, not trained: only the times mean something. With
``--no-loop`` only the generator is timed (its one pass and training): for a model whose loop takes minutes
on the device, such as big-lama's architecture on a CPU.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guardpaint.core.generator.samples import SampleSource, photos_in
from guardpaint.core.generator.training import Trainer, TrainingSettings
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.loop import protect
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import GeneratorSource
from guardpaint.core.workflow import protect_image
from guardpaint.models.device import describe_device, select_device
from guardpaint.models.noise_generator import GeneratorConfig, NoiseGenerator, NoiseNetwork

from protect_speed import benchmark_image, get_model, sync


def median_time(fn, device: torch.device, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        sync(device)
        started = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="demo", help="registry name, path, or big-lama-arch")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--width", type=int, default=GeneratorConfig.width,
                        help="the generator's width (the default architecture's)")
    parser.add_argument("--train-steps", type=int, default=0)
    parser.add_argument("--no-loop", action="store_true", help="time the generator alone, not the loop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    device = select_device(args.device)
    model = get_model(args.model, device)
    torch.manual_seed(0)
    generator = NoiseGenerator(NoiseNetwork(GeneratorConfig(args.width)).to(device).eval(),
                               [{"name": model.name, "sha256": model.sha256}])
    settings = ProtectionSettings(iterations=args.iterations, auto_strength=False)
    rows = []
    for size in args.sizes:
        rgb, mask = benchmark_image(size)
        image = torch.from_numpy(rgb).permute(2, 0, 1)[None].float().div(255).to(device)
        hole = torch.from_numpy(mask.astype(np.float32))[None, None].to(device)
        budget = torch.full_like(hole, settings.epsilon)
        colour = torch.tensor([0.0, 1.0, 0.0], device=device).view(1, 3, 1, 1)

        def one_pass(image=image, hole=hole, budget=budget, colour=colour) -> None:
            with torch.no_grad():
                generator.noise(image, hole, budget, colour)

        def loop(rgb=rgb, mask=mask) -> float:
            result = protect(model, rgb, mask, settings)
            return result.elapsed - result.setup_time

        noise_pass = median_time(one_pass, device, args.runs)
        if args.no_loop:
            rows.append({"size": size, "one_pass_ms": 1000 * noise_pass})
            continue
        loop(rgb, mask)
        optimisation = statistics.median(loop() for _ in range(args.runs))
        whole_pass = median_time(lambda rgb=rgb, mask=mask: protect_image(model, LoadedImage(rgb), mask, settings,
                                                                          source=GeneratorSource(generator, 0)),
                                 device, args.runs)
        whole_loop = median_time(lambda rgb=rgb, mask=mask: protect_image(model, LoadedImage(rgb), mask, settings),
                                 device, args.runs)
        rows.append({"size": size, "one_pass_ms": 1000 * noise_pass, "loop_optimisation_s": optimisation,
                     "speedup_noise": optimisation / noise_pass, "protection_one_pass_s": whole_pass,
                     "protection_loop_s": whole_loop, "speedup_protection": whole_loop / whole_pass})
    result = {"device": describe_device(device), "model": model.name, "iterations": args.iterations,
              "generator_parameters": sum(p.numel() for p in generator.network.parameters()),
              "torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}
    if args.train_steps:
        size = max(args.sizes)
        with tempfile.TemporaryDirectory() as scratch:
            for index in range(2):
                Image.fromarray(benchmark_image(size + 64, seed=index)[0]).save(Path(scratch) / f"p{index}.png")
            trainer = Trainer([model], SampleSource(photos_in(scratch), size, 0),
                              TrainingSettings(crop=size, batch=4, width=args.width))
            trainer.train_step()  # warm-up
            sync(device)
            started = time.perf_counter()
            for _ in range(args.train_steps):
                trainer.train_step()
            sync(device)
            seconds = time.perf_counter() - started
        result["training"] = {"size": size, "batch": 4, "steps": args.train_steps,
                              "images_per_s": 4 * args.train_steps / seconds,
                              "precision": trainer.protection.precision}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
