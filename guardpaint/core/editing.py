"""The editor's operation ``edit(x, k)`` (docs/method.md), differentiable, and the editor itself."""
from __future__ import annotations

import contextlib

import numpy as np
import torch

from guardpaint.core.tensors import image_to_tensor, mask_to_tensor, tensor_to_image
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


def autocast_context(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast where asked for and supported; otherwise a no-op."""
    if precision == "bf16" and device.type in ("cuda", "cpu"):
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


class Editor:
    """What an editor does with a model: inpaint the whole image, blend, 8-bit out. No autograd."""

    def __init__(self, model: Inpainter) -> None:
        self.model = model

    @torch.inference_mode()
    def inpaint(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Inpaint the True pixels of ``mask`` in the HxWx3 uint8 image; returns uint8."""
        image = image_to_tensor(rgb, self.model.device)
        k = mask_to_tensor(mask, self.model.device)
        return tensor_to_image(edit(self.model, image, k))
