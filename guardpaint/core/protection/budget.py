"""How much noise each pixel may carry: the same everywhere, or more in texture than on smooth areas.

``texture`` is a simple just-noticeable-difference map: the local standard deviation of the
luminance over a 7x7 window. Where it reaches :data:`FULL_AT` levels (texture, edges) a pixel may
change by the full strength; on smooth gradients and skin the budget falls to :data:`SMOOTH_SHARE`
of it, where a dotted grid would show. The budget never exceeds the strength the user chose.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

BUDGETS = ("uniform", "texture")
WINDOW = 7
FULL_AT = 8.0  # levels of local standard deviation that earn the full budget
SMOOTH_SHARE = 0.3


def texture_share(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel share of the budget (HxW float32 in [SMOOTH_SHARE, 1]) from local luminance contrast."""
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = cv2.blur(luma, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)
    square = cv2.blur(luma * luma, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)
    deviation = np.sqrt(np.maximum(square - mean * mean, 0.0))
    return np.clip(deviation / FULL_AT, SMOOTH_SHARE, 1.0).astype(np.float32)


def noise_budget(rgb: np.ndarray, epsilon: float, mode: str, device: torch.device,
                 fixed: np.ndarray | None = None) -> torch.Tensor:
    """The largest allowed |noise| per pixel, broadcastable to 1x3xHxW (on the [0, 1] scale);
    zero where ``fixed`` is True."""
    if mode == "uniform" and (fixed is None or not fixed.any()):
        return torch.tensor(epsilon, device=device)
    share = texture_share(rgb) if mode == "texture" else np.ones(rgb.shape[:2], np.float32)
    if fixed is not None:
        share = np.where(fixed, 0.0, share).astype(np.float32)
    return torch.from_numpy(share * epsilon)[None, None].to(device)
