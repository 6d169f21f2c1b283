"""The editor's operation ``edit(x, k)`` (docs/method.md), differentiable: what the protection optimises."""
from __future__ import annotations

import torch

from guardpaint.models.base import Inpainter


def pad_symmetric(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom/right to a multiple by mirroring including the edge (numpy 'symmetric'), as editors do."""
    height, width = x.shape[-2:]
    pad_h = -height % multiple
    pad_w = -width % multiple
    if pad_h:
        x = torch.cat([x, x[..., height - pad_h:, :].flip(-2)], dim=-2)
    if pad_w:
        x = torch.cat([x, x[..., :, width - pad_w:].flip(-1)], dim=-1)
    return x


def edit(model: Inpainter, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``k * G(x, k) + (1 - k) * x`` on the padded image, cropped back.

    ``image`` is Bx3xHxW in [0, 1]; ``mask`` is Bx1xHxW (or 1x1xHxW) in {0, 1}.
    Differentiable with respect to ``image``.
    """
    height, width = image.shape[-2:]
    mask = mask.expand(image.shape[0], -1, -1, -1)
    x = pad_symmetric(image, model.pad_multiple)
    k = pad_symmetric(mask, model.pad_multiple)
    predicted = model.predict(x, k).float()
    blended = k * predicted + (1 - k) * x
    return blended[..., :height, :width]
