"""The editor's operation ``edit(x, k)`` (docs/method.md), differentiable: what the protection optimises."""
from __future__ import annotations

import torch

from guardpaint.models.base import Inpainter


def symmetric_index(size: int, padded: int, device: torch.device) -> torch.Tensor:
    """The source index of each of ``padded`` positions when ``size`` ones are mirrored including the edge, as
    often as needed (numpy's 'symmetric' mode): 0 1 2 | 2 1 0 | 0 1 ..."""
    index = torch.arange(padded, device=device) % (2 * size)
    return torch.where(index < size, index, 2 * size - 1 - index)


def pad_symmetric(x: torch.Tensor, model: Inpainter) -> torch.Tensor:
    """Pad bottom/right to the model's padded shape by mirroring including the edge, as editors do."""
    height, width = x.shape[-2:]
    padded_height, padded_width = model.padded_shape(height, width)
    if padded_height != height:
        x = x.index_select(-2, symmetric_index(height, padded_height, x.device))
    if padded_width != width:
        x = x.index_select(-1, symmetric_index(width, padded_width, x.device))
    return x


def fill(model: Inpainter, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The network's raw output for the padded image, cropped back: its fill in the hole, and what it makes of
    the known pixels (an editor that blends with a soft mask uses both). Differentiable with respect to ``image``."""
    height, width = image.shape[-2:]
    mask = mask.expand(image.shape[0], -1, -1, -1)
    return model.predict(pad_symmetric(image, model), pad_symmetric(mask, model)).float()[..., :height, :width]


def edit(model: Inpainter, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``k * G(x, k) + (1 - k) * x`` on the padded image, cropped back.

    ``image`` is Bx3xHxW in [0, 1]; ``mask`` is Bx1xHxW (or 1x1xHxW) in {0, 1}.
    Differentiable with respect to ``image``.
    """
    return mask * fill(model, image, mask) + (1 - mask) * image
