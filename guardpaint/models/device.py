"""Choosing the torch device: CUDA, then Apple MPS, then CPU; overridable."""
from __future__ import annotations

import torch

from guardpaint.errors import InputError


def available_devices() -> list[str]:
    """Device names usable here, best first (``cuda:0`` ..., ``mps``, ``cpu``)."""
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return [*names, "cpu"]


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks the best available device; anything else must be available."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device(available_devices()[0])
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r} (use auto, cpu, cuda, cuda:N or mps)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError("CUDA was requested but no CUDA GPU is available (use --device cpu or auto)")
        if (device.index or 0) >= torch.cuda.device_count():
            raise InputError(f"{name}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type == "mps" and name not in available_devices():
        raise InputError("MPS was requested but Apple's Metal backend is not available here")
    elif device.type not in ("cpu", "cuda", "mps"):
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
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def out_of_memory_message(exc: BaseException) -> str | None:
    """The one message for running out of memory, with what to try; None for other errors."""
    if not is_out_of_memory(exc):
        return None
    return ("out of memory: try a smaller region, memory saving (--memory-saving on, or Advanced > Memory saving), "
            "or the CPU (--device cpu, or Advanced > Device)")


def empty_device_cache() -> None:
    """Give cached GPU memory back after a failure, so the next job starts clean."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
