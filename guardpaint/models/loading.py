"""Loading a model by registry name or weight file, with the loader of its family."""
from __future__ import annotations

import os

import torch

from guardpaint.models.base import Inpainter
from guardpaint.models.lama_family import load_lama
from guardpaint.models.registry import DEFAULT_MODEL, REGISTRY, resolve

#: Loader per model family; a new family adds its module and one entry here.
LOADERS = {"lama": load_lama}


def load_model(name_or_path: str | os.PathLike | None, device: torch.device) -> Inpainter:
    """Resolve a registry name or a weight file, load it safely and move it to ``device``."""
    key = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
    path = resolve(key)
    family = REGISTRY[key].family if key in REGISTRY else "lama"
    return LOADERS[family](path, device, key if key in REGISTRY else path.name)
