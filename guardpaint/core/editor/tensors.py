"""Conversions between 8-bit numpy images/masks and 1xCxHxW float tensors."""
from __future__ import annotations

import numpy as np
import torch


def image_to_tensor(rgb: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxWx3 uint8 -> 1x3xHxW float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].to(device).float().div_(255.0)


def mask_to_tensor(mask: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxW bool -> 1x1xHxW float32 in {0, 1}."""
    return torch.from_numpy(np.ascontiguousarray(mask.astype(np.float32)))[None, None].to(device)


def tensor_to_image(tensor: torch.Tensor) -> np.ndarray:
    """1x3xHxW float in [0, 1] -> HxWx3 uint8, rounded to the nearest level."""
    quantised = tensor.detach()[0].float().clamp(0, 1).mul(255.0).round().to(torch.uint8)
    return quantised.permute(1, 2, 0).cpu().numpy()


def tensor_to_mask(tensor: torch.Tensor) -> np.ndarray:
    """1x1xHxW -> HxW bool."""
    return (tensor.detach()[0, 0] > 0.5).cpu().numpy()
