"""Loading a model by registry name or weight file, with the loader of the family its tensors hold."""
from __future__ import annotations

import os

import torch

from guardpaint.models.base import Inpainter
from guardpaint.models.checkpoint import WeightFile, read_weight_file
from guardpaint.models.lama_family import load_lama
from guardpaint.models.mat_family import ANCHOR_KEY as MAT_ANCHOR
from guardpaint.models.mat_family import load_mat
from guardpaint.models.migan_family import ANCHOR_KEY as MIGAN_ANCHOR
from guardpaint.models.migan_family import load_migan
from guardpaint.models.registry import DEFAULT_MODEL, REGISTRY, resolve

#: Loader per model family; a new family adds its module and one entry here.
LOADERS = {"lama": load_lama, "migan": load_migan, "mat": load_mat}
#: A tensor every network of each family other than LaMa holds (under any prefix): how a file is recognised.
ANCHORS = {"migan": MIGAN_ANCHOR, "mat": MAT_ANCHOR}


def family_of(weights: WeightFile) -> str:
    """The family a weight file's tensors hold ("lama" unless another family's anchor is among them)."""
    return next((family for family, anchor in ANCHORS.items() if any(key.endswith(anchor) for key in weights.tensors)),
                "lama")


def load_model(name_or_path: str | os.PathLike | None, device: torch.device) -> Inpainter:
    """Resolve a registry name or a weight file, read it once, and load it with the loader of the family its
    tensors hold onto ``device`` (strictly, whatever the family: a crafted file is refused for what it is)."""
    key = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
    path = resolve(key)
    weights = read_weight_file(path)
    return LOADERS[family_of(weights)](path, device, key if key in REGISTRY else path.name, weights)
