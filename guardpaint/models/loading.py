"""Loading a model by registry name or weight file, with the loader of the family its tensors hold."""
from __future__ import annotations

import os

import torch

from guardpaint.errors import ModelError
from guardpaint.models.base import Inpainter
from guardpaint.models.checkpoint import WeightFile, read_weight_file
from guardpaint.models.lama_family import load_lama
from guardpaint.models.migan_family import is_migan, load_migan
from guardpaint.models.registry import DEFAULT_MODEL, REGISTRY, resolve

#: How people read each family's name.
FAMILY_NAMES = {"lama": "LaMa", "migan": "MI-GAN"}
#: Loader per model family; a new family adds its module and one entry here.
LOADERS = {"lama": load_lama, "migan": load_migan}
#: The families a protection can be made against: those whose editors are built. MI-GAN's are not yet (IOPaint
#: runs it on crops shrunk to 512 px, a geometry per family that the protection plan does not have), and a
#: verdict through LaMa's editors would be false for it.
PROTECTABLE = ("lama",)


def family_of(weights: WeightFile) -> str:
    """The family a weight file's tensors hold ("lama" unless another family's tensors are recognised)."""
    return "migan" if is_migan(weights.tensors) else "lama"


def load_model(name_or_path: str | os.PathLike | None, device: torch.device) -> Inpainter:
    """Resolve a registry name or a weight file, read it once, and load it with its family's loader onto
    ``device`` (strictly, whatever the family: a crafted file is refused for what it is). A family that cannot
    be protected against yet is then refused in one line."""
    key = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
    path = resolve(key)
    weights = read_weight_file(path)
    family = family_of(weights)
    model = LOADERS[family](path, device, key if key in REGISTRY else path.name, weights)
    if family not in PROTECTABLE:
        raise ModelError(f"{path}: {FAMILY_NAMES[family]} weights, read and checked, but GuardPaint cannot protect "
                         "against this family yet (the editors that run it are not built); use a LaMa model")
    return model
