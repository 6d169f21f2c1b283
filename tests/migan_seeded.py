"""Seeded MI-GAN weights and inputs, made the same way by the fixture script (which runs the official code on
them) and by the tests (which run GuardPaint's network on them): nothing of the released weights is needed.

The weights are drawn in sorted key order from one seeded generator, each convolution's with a standard
deviation of one over the square root of its fan-in (so activations stay near 1 through the 30 layers and
no clamp saturates), biases and noise strengths at 0.1; the fixed binomial filters and the upsampler's
pattern keep the values the architecture gives them.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image

from guardpaint.models.migan import MiganGenerator
from guardpaint.models.registry import RESOURCES

FIXED = ("filter.weight", "filter_const")  # the binomial filters and the zero-insertion pattern
SIDE = 256  # the smaller released side: a small fixture, the same code as 512
SEED = 20231001


def seeded_state(side: int = SIDE, seed: int = SEED) -> dict[str, torch.Tensor]:
    """A state dict of the official key layout with seeded values."""
    template = MiganGenerator(side).state_dict()
    draw = torch.Generator().manual_seed(seed)
    state = {}
    for name in sorted(template):
        tensor = template[name]
        if name.endswith(FIXED):
            state[name] = tensor.clone()
            continue
        values = torch.randn(tensor.shape, generator=draw)
        if name.endswith("weight") and tensor.ndim == 4:
            values = values / math.sqrt(tensor.shape[1] * tensor.shape[2] * tensor.shape[3])
        elif not name.endswith("noise_const"):
            values = values * 0.1
        state[name] = values
    return state


def seeded_case(side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    """The bundled photo at ``side`` x ``side`` (Pillow's bicubic) and a hole over the cat's eye (bool)."""
    photo = Image.open(RESOURCES / "sample-chelsea.png").convert("RGB").resize((side, side), Image.Resampling.BICUBIC)
    hole = np.zeros((side, side), bool)
    hole[side // 4: side // 2, side // 5: side // 2] = True
    return np.asarray(photo), hole


def network_input(rgb: np.ndarray, hole: np.ndarray) -> torch.Tensor:
    """The official demo's input (``scripts/demo.py`` ``preprocess``): ``[known - 0.5, image * known]``,
    the image in [-1, 1]."""
    image = torch.from_numpy(rgb.copy()).float().permute(2, 0, 1)[None] * 2 / 255 - 1
    known = torch.from_numpy(~hole).float()[None, None]
    return torch.cat([known - 0.5, image * known], dim=1)
