"""Folding eval-mode BatchNorm into the preceding convolutions: same function, fewer kernels.

In eval mode BatchNorm is a per-channel affine map ``s * y + t``. In an FFC the
norm follows a *sum* of convolutions, ``BN(a + b) = (s*a) + (s*b + t)``, so the
scale goes into every contributing convolution and the shift into one bias.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from guardpaint.models.lama import FFC_BN_ACT, FFCResNetGenerator, FourierUnit, SpectralTransform


def _affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def _scale_conv(conv: nn.Conv2d | nn.ConvTranspose2d, scale: torch.Tensor) -> None:
    shape = (1, -1, 1, 1) if isinstance(conv, nn.ConvTranspose2d) else (-1, 1, 1, 1)
    conv.weight.mul_(scale.view(shape))
    if conv.bias is not None:
        conv.bias.mul_(scale)


def _add_bias(conv: nn.Conv2d | nn.ConvTranspose2d, shift: torch.Tensor) -> None:
    if conv.bias is None:
        conv.bias = nn.Parameter(shift.clone(), requires_grad=False)
    else:
        conv.bias.add_(shift)


def _fold_into(convs: list[nn.Module | None], bn: nn.Module) -> bool:
    """Fold ``bn`` into the convs whose outputs it normalises (their sum); False if nothing to do."""
    present = [c for c in convs if c is not None]
    if not isinstance(bn, nn.BatchNorm2d) or not present:
        return False
    scale, shift = _affine(bn)
    for conv in present:
        _scale_conv(conv, scale)
    _add_bias(present[0], shift)
    return True


@torch.no_grad()
def fold_batchnorm(generator: FFCResNetGenerator) -> FFCResNetGenerator:
    """A copy of ``generator`` with every BatchNorm folded away (eval-mode semantics)."""
    folded = copy.deepcopy(generator).eval()
    for module in folded.modules():
        if isinstance(module, FFC_BN_ACT):
            ffc = module.ffc
            g2g_out = ffc.convg2g.conv2 if ffc.convg2g is not None else None
            if _fold_into([ffc.convl2l, ffc.convg2l], module.bn_l):
                module.bn_l = nn.Identity()
            if _fold_into([ffc.convl2g, g2g_out], module.bn_g):
                module.bn_g = nn.Identity()
        elif isinstance(module, SpectralTransform) and _fold_into([module.conv1[0]], module.conv1[1]):
            module.conv1[1] = nn.Identity()
        elif isinstance(module, FourierUnit) and _fold_into([module.conv_layer], module.bn):
            module.bn = nn.Identity()
    layers = list(folded.model)
    for index, layer in enumerate(layers[:-1]):
        if isinstance(layer, nn.ConvTranspose2d) and _fold_into([layer], layers[index + 1]):
            folded.model[index + 1] = nn.Identity()
    return folded.requires_grad_(False)
