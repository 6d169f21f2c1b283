"""A differentiable approximation of baseline JPEG (4:2:0, IJG quality scaling) for hardening.

Colour conversion, chroma subsampling, 8x8 DCT and quantisation follow the JPEG
standard; the rounding of the quantised coefficients uses the cubic
approximation ``round(x) + (x - round(x))**3``, which equals rounding within
0.125 in the forward pass and has a useful gradient.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Annex K of the JPEG standard: example luminance and chrominance quantisation tables.
_LUMA = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
_CHROMA = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
] + [99] * 32

_TO_YCBCR = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_FROM_YCBCR = torch.tensor([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]])
_CHROMA_OFFSET = torch.tensor([0.0, 128.0, 128.0]).view(1, 3, 1, 1)


def quantisation_table(base: list[int], quality: int) -> torch.Tensor:
    """The IJG (libjpeg, Pillow) scaling of a base table to ``quality`` in 1..100; 8x8 float."""
    quality = min(max(int(quality), 1), 100)
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    table = [min(max(math.floor((q * scale + 50) / 100), 1), 255) for q in base]
    return torch.tensor(table, dtype=torch.float32).view(8, 8)


def _dct_matrix() -> torch.Tensor:
    """The orthonormal 8-point DCT-II matrix (equal to JPEG's FDCT normalisation in 2-D)."""
    k = torch.arange(8, dtype=torch.float64).view(8, 1)
    n = torch.arange(8, dtype=torch.float64).view(1, 8)
    matrix = torch.cos(math.pi * (2 * n + 1) * k / 16) * math.sqrt(2 / 8)
    matrix[0] /= math.sqrt(2)
    return matrix.float()


def soft_round(x: torch.Tensor) -> torch.Tensor:
    """Rounding in the forward pass up to 0.125, with gradient 3(x - round(x))^2 instead of zero."""
    rounded = torch.round(x)
    return rounded + (x - rounded) ** 3


def _blocks(plane: torch.Tensor) -> torch.Tensor:
    """Bx1xHxW (H, W multiples of 8) -> Bx(H/8)x(W/8)x8x8."""
    b, _, h, w = plane.shape
    return plane.view(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)


def _unblocks(blocks: torch.Tensor) -> torch.Tensor:
    b, hb, wb = blocks.shape[:3]
    return blocks.permute(0, 1, 3, 2, 4).reshape(b, 1, hb * 8, wb * 8)


def _compress_plane(plane: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """DCT, quantise, soft-round, dequantise, inverse DCT of one level-shifted channel."""
    dct = _dct_matrix().to(plane)
    table = table.to(plane)
    coefficients = dct @ _blocks(plane - 128) @ dct.T
    restored = soft_round(coefficients / table) * table
    return _unblocks(dct.T @ restored @ dct) + 128


def jpeg_approx(image: torch.Tensor, quality: int) -> torch.Tensor:
    """Differentiable JPEG round trip of Bx3xHxW RGB in [0, 1] (4:2:0 chroma, like Pillow's default)."""
    height, width = image.shape[-2:]
    x = F.pad(image, (0, -width % 16, 0, -height % 16), mode="replicate") * 255
    ycbcr = torch.einsum("ij,bjhw->bihw", _TO_YCBCR.to(x), x) + _CHROMA_OFFSET.to(x)
    luma = _compress_plane(ycbcr[:, :1], quantisation_table(_LUMA, quality))
    chroma_table = quantisation_table(_CHROMA, quality)
    chroma = [
        F.interpolate(_compress_plane(F.avg_pool2d(ycbcr[:, c:c + 1], 2), chroma_table), scale_factor=2,
                      mode="bilinear", align_corners=False)
        for c in (1, 2)
    ]
    decoded = torch.cat([luma, *chroma], dim=1) - _CHROMA_OFFSET.to(x)
    rgb = torch.einsum("ij,bjhw->bihw", _FROM_YCBCR.to(x), decoded) / 255
    return rgb[..., :height, :width].clamp(0, 1)
