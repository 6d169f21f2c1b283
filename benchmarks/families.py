"""What each model family costs the protection at 512 px, with seeded weights, each case in a fresh process for its
peak memory:

* **step**: one forward and backward pass of its network through the editor's operation (``edit(x, k)``:
  padding, the network, the blend), the core of every iteration, in the loop's float32 and bf16 copies;
* **protection**: one whole protection of a 512 x 384 photo (a region a quarter of the side across) against
  the default editors (IOPaint and ComfyUI), a fixed number of iterations, the verdict included; in bf16 where
  the CPU has it natively (``--precision auto``), as a user's run would be. ``seconds_per_protection`` is the
  whole call; ``seconds_per_iteration`` the optimisation's share per iteration (without the set-up, which runs
  the clean edits, and without judging iterates).

    python benchmarks/families.py --device cpu --runs 2 --iterations 3 --json   (the committed run)

Cases: big-lama's architecture (LaMa, 51 M parameters), MI-GAN 512 (6 M), MAT's released architecture (62 M),
LaMa and MI-GAN together, and the three together (an ensemble). Weights are seeded random ones (the real ones
cannot be downloaded here): the cost of a network does not depend on its values, but how soon a protection holds
does, so a protection runs its iterations to the end (``stop_when_held`` off) and its time is the cost of
those iterations, not of a protection that holds.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from isolated import run_child

CASES = ("lama", "migan", "mat", "lama+migan", "lama+migan+mat")
#: What a case measures (see the docstring).
MEASURES = ("step", "protection")


def models(case: str, device):
    import torch

    from guardpaint.models.lama import FFCResNetGenerator, LamaConfig
    from guardpaint.models.lama_family import LamaInpainter
    from guardpaint.models.mat import MatConfig, MatGenerator
    from guardpaint.models.mat_family import MatInpainter
    from guardpaint.models.migan import MiganGenerator
    from guardpaint.models.migan_family import MiganInpainter

    torch.manual_seed(0)
    built = {"lama": lambda: LamaInpainter(FFCResNetGenerator(LamaConfig()), "big-lama-arch", device),
             "migan": lambda: MiganInpainter(MiganGenerator(512), "migan-512", device),
             "mat": lambda: MatInpainter(MatGenerator(MatConfig(), masks_like="iopaint"), "mat-512", device)}
    return [built[name]() for name in case.split("+")]


def step(args: argparse.Namespace, networks: list) -> dict:
    import torch

    from guardpaint.core.editor.differentiable import edit

    from protect_speed import timed

    device = torch.device(args.device)
    dtype = {"float32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    networks = [model.for_attack(dtype=dtype) for model in networks]
    image = torch.rand(1, 3, args.size, args.size, device=device)
    mask = torch.zeros(1, 1, args.size, args.size, device=device)
    mask[..., args.size // 4: args.size // 2, args.size // 4: args.size // 2] = 1

    def one() -> float:
        x = image.clone().requires_grad_(True)
        loss = sum(((edit(model, x, mask) - 0.5) * mask).square().mean() for model in networks)
        loss.backward()
        return float(loss)

    seconds, _, _ = timed(one, device, args.runs)
    return {"dtype": args.dtype, "seconds_per_step": round(seconds, 3)}


def protection(args: argparse.Namespace, networks: list) -> dict:
    import time

    import numpy as np

    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.settings import ProtectionSettings
    from guardpaint.core.protection.setup import network_kinds
    from guardpaint.core.protection.windows import plan_protection
    from guardpaint.core.workflow import protect_image

    from protect_speed import benchmark_image

    rgb, _ = benchmark_image(args.size)
    rgb = np.ascontiguousarray(rgb[: args.size * 3 // 4])
    mask = np.zeros(rgb.shape[:2], bool)
    side = args.size // 4
    top, left = (rgb.shape[0] - side) // 2, (rgb.shape[1] - side) // 2
    mask[top: top + side, left: left + side] = True
    settings = ProtectionSettings(iterations=args.iterations, stop_when_held=False, auto_strength=False)
    plan = plan_protection(mask, settings.expansion, settings.editors, kinds=network_kinds(networks))
    start = time.perf_counter()
    outcome = protect_image(networks, LoadedImage(rgb), mask, settings)
    seconds = time.perf_counter() - start
    result = outcome.result
    iterations = len(result.history)
    return {"precision": result.settings.precision, "image": f"{rgb.shape[1]}x{rgb.shape[0]}",
            "iterations": iterations, "seconds_per_protection": round(seconds, 1),
            "setup_seconds": round(result.setup_time, 1), "judge_seconds": round(result.judge_seconds, 1),
            "seconds_per_iteration": round((result.elapsed - result.setup_time - result.judge_seconds) / iterations, 2),
            "attack_views": sum(view.term == "attack" for view in plan.views)}


def child(args: argparse.Namespace) -> dict:
    import torch
    from isolated import peak_memory

    device = torch.device(args.device)
    networks = models(args.case, device)
    measured = step(args, networks) if args.measure == "step" else protection(args, networks)
    parameters = sum(sum(p.numel() for p in model.network.parameters()) for model in networks)
    return {"case": args.case, "measure": args.measure, "size": args.size, "device": args.device,
            "parameters_m": round(parameters / 1e6, 2), **measured, **peak_memory(device)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3, help="timed steps per step case")
    parser.add_argument("--iterations", type=int, default=10, help="iterations per protection case")
    parser.add_argument("--measure", choices=MEASURES, action="append", help="only this measure (repeatable)")
    parser.add_argument("--case", choices=CASES, action="append", help="only this case (repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # a child's one case
    parser.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.case, args.measure = args.case[0], args.measure[0]
        print(json.dumps(child(args)))
        return 0
    common = ["--device", args.device, "--size", str(args.size), "--runs", str(args.runs), "--iterations",
              str(args.iterations), "--child"]
    runs = [(measure, case, dtype) for measure in args.measure or MEASURES for case in args.case or CASES
            for dtype in (("float32", "bf16") if measure == "step" else ("auto",))]
    for measure, case, dtype in runs:
        row = run_child(__file__, ["--measure", measure, "--case", case, "--dtype", dtype, *common])
        print(json.dumps(row) if args.json else row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
