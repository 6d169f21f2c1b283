"""How much noise each pixel may carry: a share of the strength, from how much the pixel acts and shows.

* ``reference`` (the paper's): the full strength everywhere, kept for comparison.
* ``uniform``: the full strength wherever the pixel acts on the edit (see below).
* ``texture``: a simple just-noticeable-difference map, the local standard deviation of the luminance
  over a 7x7 window, wherever the pixel acts. Where it reaches :data:`FULL_AT` levels (texture, edges) a
  pixel may change by the full strength; on smooth gradients and skin the share falls to
  :data:`SMOOTH_SHARE`, where a dotted grid would show.
* ``adaptive`` (the default): the texture share times the pixel's measured influence on the edits the
  objective scores (:func:`influence_share`): the magnitude of the objective's gradient at the first
  iterate, smoothed over :data:`INFLUENCE_SIGMA` px and normalised by its :data:`INFLUENCE_QUANTILE`
  quantile, taken over each region's own context (the pixels nearer to it than to any other region), so
  a small region beside a large one is measured on its own scale.

In every budget but the reference's, pixels whose influence is below a floor of that scale get no noise at
all: Adam's normalised steps would otherwise turn a gradient of rounding error (1e-12, far from the region)
into a full step, and write noise where the edit cannot read it. The adaptive budget's floor is
:data:`INFLUENCE_FLOOR`, below which its share is small anyway; ``texture`` and ``uniform`` give a pixel their
whole share wherever it passes, so theirs is :data:`GATE_FLOOR`: on the high-gain test model it cut maximum
strength's noise further (PSNR 43.4 to 44.6 dB on 12 cases, every one still held; a floor of 0.5 lost one).

The budget never exceeds the strength the user chose. docs/method.md gives the reasons for each value.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

WINDOW = 7
FULL_AT = 8.0  # levels of local standard deviation that earn the full budget
SMOOTH_SHARE = 0.3
INFLUENCE_SIGMA = 4.0  # px: LaMa's gradients alternate at its 8 px downsampling grid; this keeps their envelope
INFLUENCE_QUANTILE = 0.99  # the influence that earns the full share (a few hot pixels must not set the scale)
INFLUENCE_FLOOR = 0.05  # below this share of it a pixel gets no noise (adaptive: a share that small is small noise)
GATE_FLOOR = 0.2  # texture and uniform: the full share only where a pixel acts at least this much


def texture_share(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel share of the budget (HxW float32 in [SMOOTH_SHARE, 1]) from local luminance contrast."""
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = cv2.blur(luma, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)
    square = cv2.blur(luma * luma, (WINDOW, WINDOW), borderType=cv2.BORDER_REFLECT)
    deviation = np.sqrt(np.maximum(square - mean * mean, 0.0))
    return np.clip(deviation / FULL_AT, SMOOTH_SHARE, 1.0).astype(np.float32)


def influence_share(gradient: torch.Tensor, contexts: torch.Tensor | None = None,
                    floor: float = INFLUENCE_FLOOR) -> torch.Tensor:
    """How much each pixel acts on the objective, in [0, 1] (1x1xHxW): the smoothed magnitude of its
    gradient over the channels, against the :data:`INFLUENCE_QUANTILE` quantile, zero below ``floor``.
    With ``contexts`` (1x1xHxW region indices, :mod:`~guardpaint.core.protection.contexts`) the quantile
    is taken within each region's context, so a small region beside a large one gets its own scale."""
    magnitude = gradient.detach().float().abs().mean(dim=1, keepdim=True)
    radius = int(3 * INFLUENCE_SIGMA)
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, device=gradient.device) / INFLUENCE_SIGMA) ** 2)
    taps = (taps / taps.sum()).to(magnitude)
    smooth = F.conv2d(F.pad(magnitude, (radius, radius, 0, 0), mode="replicate"), taps.view(1, 1, 1, -1))
    smooth = F.conv2d(F.pad(smooth, (0, 0, radius, radius), mode="replicate"), taps.view(1, 1, -1, 1))
    labels = [] if contexts is None else contexts.unique().tolist()
    if len(labels) < 2:
        scale = _quantile(smooth.flatten())
    else:
        scale = torch.zeros_like(smooth)
        for label in labels:
            inside = contexts == label
            scale = torch.where(inside, _quantile(smooth[inside]), scale)
    share = (smooth / scale.clamp_min(torch.finfo(smooth.dtype).tiny)).clamp(0, 1)
    return torch.where(share < floor, torch.zeros_like(share), share)


def _quantile(values: torch.Tensor) -> torch.Tensor:
    """The :data:`INFLUENCE_QUANTILE` quantile of ``values`` (1-D), from at most about a million of them."""
    return torch.quantile(values[::max(1, values.numel() // 1_000_000)], INFLUENCE_QUANTILE)


def base_share(rgb: np.ndarray, mode: str, device: torch.device, fixed: np.ndarray | None = None) -> torch.Tensor:
    """The share of the strength a pixel may carry before its influence is known (1x1xHxW): the texture
    share for ``texture``, all of it for ``uniform``; zero where ``fixed`` is True."""
    share = np.ones(rgb.shape[:2], np.float32) if mode == "uniform" else texture_share(rgb)
    if fixed is not None:
        share = np.where(fixed, 0.0, share).astype(np.float32)
    return torch.from_numpy(share)[None, None].to(device)
