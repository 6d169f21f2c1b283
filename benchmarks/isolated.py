"""Benchmark cases run in fresh subprocesses, so that each one's peak memory is its own."""
from __future__ import annotations

import json
import resource
import subprocess
import sys


def peak_memory(device) -> dict:
    """This process's peak memory so far: on CUDA the allocator's peak, else the process's peak RSS."""
    import torch

    if device.type == "cuda":
        return {"peak_memory_mb": torch.cuda.max_memory_allocated(device) / 2**20, "peak_kind": "cuda allocated"}
    return {"peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak_kind": "process RSS"}


def run_child(script: str, arguments: list[str]) -> dict:
    """Run ``script arguments`` in a fresh Python: the JSON object on its last output line, or
    ``{"error": its last error line}`` when it fails."""
    done = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])
