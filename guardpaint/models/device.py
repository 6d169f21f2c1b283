"""Choosing the torch device: CUDA, else the CPU; overridable.

Apple's Metal backend (MPS) is not offered: nothing here has run LaMa's Fourier convolutions and their
gradients on it, and IOPaint itself runs LaMa on the CPU on a Mac (it lists LaMa among the models MPS
cannot run). So on a Mac GuardPaint runs on the CPU, as the editor does.
"""
from __future__ import annotations

import torch

from guardpaint.errors import InputError

#: Why ``--device mps`` is refused, in one line.
NO_MPS = ("MPS is not offered: LaMa's Fourier convolutions and their gradients have not been verified on Apple's "
          "Metal backend, and IOPaint runs LaMa on the CPU on a Mac too; use --device cpu (or auto)")


def available_devices() -> list[str]:
    """Device names usable here, best first (``cuda:0`` ..., ``cpu``)."""
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return [*names, "cpu"]


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks the best available device; anything else must be available."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device(available_devices()[0])
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r} (use auto, cpu, cuda or cuda:N)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError("CUDA was requested but no CUDA GPU is available (use --device cpu or auto)")
        if (device.index or 0) >= torch.cuda.device_count():
            raise InputError(f"{name}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type == "mps":
        raise InputError(NO_MPS)
    elif device.type not in ("cpu", "cuda"):
        raise InputError(f"unsupported device {name!r}")
    return device


def describe_device(device: torch.device) -> str:
    """Human-readable device name for status bars and reports."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def has_fast_bf16(device: torch.device) -> bool:
    """Whether bf16 is native (fast) here: Ampere+ GPUs, or CPUs with AVX512-BF16 / AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(_cpu_flags() & {"avx512_bf16", "amx_bf16"}) and torch.backends.mkldnn.is_available()
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` becomes ``bf16`` where it is native on ``device``, else ``fp32``."""
    if precision == "auto":
        return "bf16" if has_fast_bf16(device) else "fp32"
    return precision


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is running out of device or host memory (any torch version from 2.2)."""
    kinds = tuple(k for k in (getattr(torch, "OutOfMemoryError", None),  # torch >= 2.5
                              getattr(torch.cuda, "OutOfMemoryError", None)) if k is not None)
    if isinstance(exc, (MemoryError, *kinds)):
        return True
    text = str(exc).lower()  # older torch: a RuntimeError; the CPU allocator's own: "can't allocate memory"
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def out_of_memory_message(exc: BaseException) -> str | None:
    """The one message for running out of memory, where (the GPU or the computer) and what to try; None for
    other errors."""
    if not is_out_of_memory(exc):
        return None
    on_gpu = any(word in str(exc) for word in ("CUDA", "MPS", "HIP")) or (
        getattr(torch.cuda, "OutOfMemoryError", None) is not None and isinstance(exc, torch.cuda.OutOfMemoryError))
    tips = "a smaller region, memory saving (--memory-saving on, or Advanced > Memory saving), fewer editors"
    where = "the GPU" if on_gpu else "this computer"
    rest = "or the CPU (--device cpu, or Advanced > Device)" if on_gpu else "or closing other programs"
    return f"out of memory on {where}: try {tips}, {rest}"


def empty_device_cache() -> None:
    """Give cached GPU memory back after a failure, so the next job starts clean."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
