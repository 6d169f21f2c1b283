"""Masked losses of the protection objective."""
from __future__ import annotations

import torch


def masked_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``(a - b)^2`` over the pixels (all channels) where ``mask`` is 1, per batch item.

    ``a``/``b`` are Bx3xHxW, ``mask`` Bx1xHxW; returns a tensor of shape (B,).
    """
    squared = ((a - b) ** 2 * mask).sum(dim=(1, 2, 3))
    count = mask.sum(dim=(1, 2, 3)) * a.shape[1]
    return squared / count.clamp_min(1.0)
