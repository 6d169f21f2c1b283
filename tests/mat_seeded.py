"""Seeded MAT weights and inputs, made the same way by the fixture script (which runs the official code on them)
and by the tests (which run GuardPaint's network on them): nothing of the released weights is needed.

The weights are drawn in sorted key order from one seeded generator: standard normal, as the official layers
draw them (their run-time gains of one over the square root of the fan-in keep activations near 1); biases and
the RGB layers' weights at 0.1 (every decoder scale adds its RGB to the last: so the output stays near [-1, 1]
instead of reaching about 10); the mapping network's tensors scaled up by the inverse of its learning-rate
multiplier (100), as the official code initialises its weights, so that after its run-time gain of 0.01 they
act like the others. The fixed binomial filters and the shifted windows' attention masks keep the values the
architecture gives them.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from guardpaint.models.mat import MAPPING_LR, MatConfig, MatGenerator

FIXED = ("resample_filter", "attn_mask")
#: A small variant (0.4 M parameters) with every part of the network: 128 px, so one halving before the
#: transformer and three refining scales above 16 px; four channels per attention head; a mapping narrower than
#: its latent.
SMALL = MatConfig(resolution=128, dim=24, channels=((16, 32), (32, 32), (64, 24), (128, 16)), global_style=64,
                  z_dim=512, w_dim=64, mapping_layers=4)
SEED = 20220619
#: The seed of the generator the dropout masks are drawn from (torch's global one in the official code).
DROPOUT_SEED = 7


def seeded_state(config: MatConfig = SMALL, seed: int = SEED) -> dict[str, torch.Tensor]:
    """A state dict of the official key layout for ``config`` with seeded values."""
    template = MatGenerator(config).state_dict()
    draw = torch.Generator().manual_seed(seed)
    state = {}
    for name in sorted(template):
        if name.endswith(FIXED):
            state[name] = template[name].clone()
            continue
        values = torch.randn(template[name].shape, generator=draw)
        if name.endswith(("bias", "toRGB.conv.weight")):
            values = values * 0.1
        if name.startswith("mapping.fc"):
            values = values / MAPPING_LR
        state[name] = values
    return state


def seeded_case(side: int = SMALL.resolution) -> tuple[np.ndarray, np.ndarray]:
    """The bundled photo at ``side`` x ``side`` (Pillow's bicubic) and a hole over the cat's eye (bool)."""
    # Imported here: the fixture script's IOPaint mode runs in IOPaint's environment, which lacks the registry's
    # dependencies and needs only the weights.
    from guardpaint.models.registry import RESOURCES

    photo = Image.open(RESOURCES / "sample-chelsea.png").convert("RGB").resize((side, side), Image.Resampling.BICUBIC)
    hole = np.zeros((side, side), bool)
    hole[side // 4: side // 2, side // 5: side // 2] = True
    return np.asarray(photo), hole


def network_inputs(rgb: np.ndarray, hole: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """IOPaint's inputs (``MAT.forward``): the image in [-1, 1] (1x3xHxW) and the known pixels (1x1xHxW, 1 outside
    the hole)."""
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255 * 2 - 1
    known = torch.from_numpy(~hole).float()[None, None]
    return image, known
