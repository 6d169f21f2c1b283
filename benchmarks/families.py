"""What each model family costs the protection at 512 px: one forward and backward pass of its network through
the editor's operation (``edit(x, k)``: padding, the network, the blend), the core of every iteration, in the
loop's float32 and bf16 copies; and the peak memory of each case in a fresh process.

    python benchmarks/families.py --device cpu --runs 3 --json

Cases: big-lama's architecture (LaMa, 51 M parameters), MI-GAN 512 (6 M), and the two summed in one step
(an ensemble of both). Weights are seeded random ones (the real ones cannot be downloaded here): the cost of
a network does not depend on its values. What this does not measure: a whole protection against MI-GAN (the
loop refuses MI-GAN until its editors exist), and MAT (not built).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from isolated import peak_memory, run_child

CASES = ("lama", "migan", "lama+migan")


def models(case: str, device, dtype):
    import torch

    from guardpaint.models.lama import FFCResNetGenerator, LamaConfig
    from guardpaint.models.lama_family import LamaInpainter
    from guardpaint.models.migan import MiganGenerator
    from guardpaint.models.migan_family import MiganInpainter

    torch.manual_seed(0)
    built = {"lama": lambda: LamaInpainter(FFCResNetGenerator(LamaConfig()), "big-lama-arch", device),
             "migan": lambda: MiganInpainter(MiganGenerator(512), "migan-512", device)}
    return [built[name]().for_attack(dtype=dtype) for name in case.split("+")]


def child(args: argparse.Namespace) -> dict:
    import torch

    from guardpaint.core.editor.differentiable import edit

    from protect_speed import timed

    device = torch.device(args.device)
    dtype = {"float32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    networks = models(args.case, device, dtype)
    image = torch.rand(1, 3, args.size, args.size, device=device)
    mask = torch.zeros(1, 1, args.size, args.size, device=device)
    mask[..., args.size // 4: args.size // 2, args.size // 4: args.size // 2] = 1

    def step() -> float:
        x = image.clone().requires_grad_(True)
        loss = sum(((edit(model, x, mask) - 0.5) * mask).square().mean() for model in networks)
        loss.backward()
        return float(loss)

    seconds, _, _ = timed(step, device, args.runs)
    parameters = sum(sum(p.numel() for p in model.network.parameters()) for model in networks)
    return {"case": args.case, "dtype": args.dtype, "size": args.size, "device": args.device,
            "parameters_m": round(parameters / 1e6, 2), "seconds_per_step": round(seconds, 3),
            **peak_memory(device)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # a child's one case
    parser.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(child(args)))
        return 0
    rows = [run_child(__file__, ["--case", case, "--dtype", dtype, "--device", args.device, "--size",
                                 str(args.size), "--runs", str(args.runs)])
            for dtype in ("float32", "bf16") for case in CASES]
    for row in rows:
        print(json.dumps(row) if args.json else
              f"{row.get('case', '?'):>11} {row.get('dtype', ''):>7}: {row.get('seconds_per_step', '?')} s per step, "
              f"{row.get('peak_memory_mb', 0):.0f} MB peak {row.get('error', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
