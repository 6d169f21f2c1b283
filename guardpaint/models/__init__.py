"""LaMa generator, weight loading, model registry and device selection (no Qt)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from guardpaint.models.checkpoint import load_generator
from guardpaint.models.lama import FFCResNetGenerator
from guardpaint.models.registry import DEFAULT_MODEL, REGISTRY, resolve


@dataclass
class LoadedModel:
    """A generator on its device, and where it came from."""

    generator: FFCResNetGenerator
    path: Path
    name: str  # registry name, or the file name for a path
    device: torch.device

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.generator.parameters())


def load_model(name_or_path: str | os.PathLike | None, device: torch.device) -> LoadedModel:
    """Resolve a registry name or path, load it safely and move it to ``device``."""
    key = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
    path = resolve(key)
    generator = load_generator(path).to(device)
    name = key if key in REGISTRY else path.name
    return LoadedModel(generator=generator, path=path, name=name, device=device)
