"""A faithful re-implementation of the reference protection loop (docs/method.md), for benchmarking only.

Per iteration: clip delta, form x_adv with a value-only clip, run the three edits
one after another in fp32 with gradients, recompute the benign ring edit of the
original, backprop the total, step. Keeps the last iterate.
"""
from __future__ import annotations

import numpy as np
import torch

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.editor.masks import dilate, ring
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor, tensor_to_image
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.models.base import Inpainter


def masked_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The reference's loss: mean of ``(a - b)^2`` over the masked pixels (all channels), per batch item."""
    squared = ((a - b) ** 2 * mask).sum(dim=(1, 2, 3))
    return squared / (mask.sum(dim=(1, 2, 3)) * a.shape[1]).clamp_min(1.0)


def reference_protect(model: Inpainter, rgb: np.ndarray, mask: np.ndarray, settings: ProtectionSettings
                      ) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Protected uint8 image and the (attack, incomplete, hide) losses of every iteration."""
    device = model.device
    x = image_to_tensor(rgb, device)
    m = mask_to_tensor(mask, device)
    expanded = dilate(m, settings.expansion)
    hide = ring(m, settings.expansion)
    colour = settings.target_colour or choose_target_colour(rgb)
    target = torch.tensor(colour, dtype=torch.float32, device=device).view(1, 3, 1, 1).expand_as(x) / 255
    seeded = torch.Generator().manual_seed(settings.seed)
    delta = (torch.rand(x.shape, generator=seeded) * settings.init_scale).to(device).requires_grad_(True)
    optimiser = torch.optim.Adam([delta], lr=settings.learning_rate, betas=settings.betas, eps=settings.adam_eps)
    history = []
    for _ in range(settings.iterations):
        delta.data = torch.clip(delta.data, -settings.epsilon, settings.epsilon)
        adversarial = x + delta
        adversarial.data = torch.clip(adversarial.data, 0, 1)
        attack_res = edit(model, adversarial, m)
        expd_res = edit(model, adversarial, expanded)
        hide_res = edit(model, adversarial, hide)
        with torch.no_grad():
            ben_hide_res = edit(model, x, hide)
        loss_attack = masked_mse(attack_res, target, m)[0]
        loss_incp = masked_mse(expd_res, target, expanded)[0]
        loss_hide = masked_mse(hide_res, ben_hide_res, hide)[0]
        loss = loss_attack + loss_incp + settings.hide_weight * loss_hide
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        history.append((loss_attack.item(), loss_incp.item(), loss_hide.item()))
    final = torch.clip(x + torch.clip(delta.detach(), -settings.epsilon, settings.epsilon), 0, 1)
    return tensor_to_image(final), history
