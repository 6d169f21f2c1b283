"""How an editor takes one view of the image to the model and the model's output back: each way once,
exact (8 bits in and out, as the editor computes it) and differentiable (what the protection optimises).

A *transfer* is what happens between the box an editor cuts from the image and the pixels it pastes
back: resizing (with its interpolation), padding, the mask the model sees, the blend, and where the
editor rounds to 8 bits. Four editors' ways are declared here, each with its source:

* :class:`Native`: the box at its own size (IOPaint's whole image and crops).
* :class:`CubicResize`: IOPaint 1.6's resize strategy (OpenCV cubic both ways, a soft mask).
* :class:`SquareNearest`: ComfyUI's "Inpaint (using Model)" node (a square, nearest-exact, bilinear back).
* :class:`Stretch`: the apps that run LaMa as a fixed 512 x 512 ONNX model (Pillow's bicubic both ways).

Every transfer's :meth:`~Transfer.exact` returns the box-sized 8-bit result the editor pastes at the view's
mask pixels; :meth:`~Transfer.forward` computes the same in float, differentiably with respect to the
image, for a batch of boxes of one size. The model's own padding and blend (``k * G + (1 - k) * x``)
are :func:`~guardpaint.core.editor.differentiable.edit` in both.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from guardpaint.core.editor.differentiable import edit, fill
from guardpaint.core.editor.tensors import image_to_tensor, mask_to_tensor
from guardpaint.models.base import Inpainter

#: ComfyUI's ``mask_floor``: a mask value counts as masked from this on (comfyui-inpaint-nodes util.py).
COMFY_MASK_FLOOR = 0.99


def to_uint8(values: np.ndarray) -> np.ndarray:
    """numpy's ``astype(uint8)`` of floats as IOPaint gets it on x86: truncation, wrapping out of range."""
    return (np.trunc(values).astype(np.int64) % 256).astype(np.uint8)


def truncated(tensor: torch.Tensor, rounds: bool = False) -> np.ndarray:
    """1x3xHxW float in [0, 1] -> HxWx3 uint8 by ``clip(255 * x).astype(uint8)``: truncation, as editors save;
    rounded to the nearest level when ``rounds`` (IOPaint's MI-GAN: ``(x * 127.5 + 127.5).round()``)."""
    levels = tensor[0].float().clamp(0, 1).mul(255.0)
    levels = (levels.round() if rounds else levels.floor()).to(torch.uint8)
    return levels.permute(1, 2, 0).cpu().numpy()


class Transfer:
    """One editor's way from a box of the image to the model and back (a frozen dataclass: its own key)."""

    def model_shape(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) of what the model sees for a box of this size."""
        return height, width

    def model_masks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The hole the model fills (bool, model-sized) for the view's mask, and the weight the fill is
        blended with when it is not the hole itself (float in [0, 1], or None): exact, as the editor makes them."""
        return mask, None

    def exact(self, model: Inpainter, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The editor's 8-bit result for the box ``crop`` (HxWx3 uint8) and its mask (HxW bool): box-sized
        uint8, meaningful at the mask's pixels (the paste rule)."""
        raise NotImplementedError

    def forward(self, model: Inpainter, images: torch.Tensor, holes: torch.Tensor,
                blends: torch.Tensor | None) -> torch.Tensor:
        """The same in float for a batch of boxes (Bx3xhxw in [0, 1]) with their model-sized ``holes`` and
        ``blends`` (from :meth:`model_masks`): Bx3xhxw, differentiable with respect to ``images``."""
        raise NotImplementedError

    def differentiable(self) -> Transfer:
        """This transfer as :meth:`forward` computes it: two transfers with the same one give the objective the same
        edit."""
        return self


@dataclass(frozen=True)
class Native(Transfer):
    """The box at its own size: padded as the model asks by symmetric reflection, filled, cropped back; the fill
    truncated to 8 bits (IOPaint 1.6, ``model/base.py`` ``_pad_forward``; ``helper.py`` pads with numpy's
    ``symmetric`` mode), or rounded (``rounds``: IOPaint's MI-GAN and MAT)."""

    rounds: bool = False

    def differentiable(self) -> Transfer:
        return replace(self, rounds=False)  # rounding or truncating the fill differ in the exact edit only

    def exact(self, model: Inpainter, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.where(mask[..., None], _raw_fill(model, crop, mask, self.rounds), crop)

    def forward(self, model: Inpainter, images: torch.Tensor, holes: torch.Tensor,
                blends: torch.Tensor | None) -> torch.Tensor:
        return edit(model, images, holes)


@dataclass(frozen=True)
class CubicResize(Transfer):
    """IOPaint 1.6's resize strategy (``model/base.py`` ``_run_box``, ``helper.py`` ``resize_max_size``): the
    box and its mask (0/255) downscaled to ``size`` with OpenCV's cubic interpolation (the mask stays soft;
    a value above ``hole_above`` is a hole for the model: 0 for LaMa, 120 for MI-GAN), the 8-bit fill
    (truncated, or rounded for MI-GAN) blended with the soft mask, upscaled with cubic interpolation and
    truncated to 8 bits. IOPaint shrinks MI-GAN's crops the same way (``model/mi_gan.py``)."""

    size: tuple[int, int]  # (width, height) the box is scaled to
    hole_above: int = 0  # the model's hole: the scaled 0-255 mask above this
    rounds: bool = False  # the model's fill rounded to 8 bits, not truncated

    def differentiable(self) -> Transfer:
        return replace(self, rounds=False)  # rounding or truncating the fill differ in the exact edit only

    def model_shape(self, height: int, width: int) -> tuple[int, int]:
        return self.size[1], self.size[0]

    def model_masks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        scaled = cv2.resize(mask.astype(np.uint8) * 255, self.size, interpolation=cv2.INTER_CUBIC)
        soft = scaled.astype(np.float64) / 255.0
        return scaled > self.hole_above, soft

    def exact(self, model: Inpainter, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        hole, soft = self.model_masks(mask)
        small = cv2.resize(crop, self.size, interpolation=cv2.INTER_CUBIC)
        weight = soft[..., None]
        blended = _raw_fill(model, small, hole, self.rounds) * weight + small * (1 - weight)
        return to_uint8(cv2.resize(blended, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_CUBIC))

    def forward(self, model: Inpainter, images: torch.Tensor, holes: torch.Tensor,
                blends: torch.Tensor | None) -> torch.Tensor:
        small = F.interpolate(images, size=self.model_shape(0, 0), mode="bicubic", align_corners=False).clamp(0, 1)
        filled = fill(model, small, holes)  # raw: the soft mask's faint edge, outside the hole, takes it too
        blended = filled * blends + small * (1 - blends)
        return F.interpolate(blended, size=images.shape[-2:], mode="bicubic", align_corners=False)


@dataclass(frozen=True)
class SquareNearest(Transfer):
    """ComfyUI's "Inpaint (using Model)" node (comfyui-inpaint-nodes 1.4.2, ``nodes.py`` ``InpaintWithModel``
    and ``util.py``), in float32 throughout: the box reflect-padded on the right or bottom to a square
    (``pad_reflect_once``), image and mask resized to ``side`` with ``nearest-exact``, the mask floored
    (values >= 0.99 are holes), the model's blended output resized back with ``bilinear``, cropped, and
    blended into the box by the floored mask; ComfyUI's image saver truncates to 8 bits."""

    side: int  # 256 for LaMa, 512 for MAT

    def model_shape(self, height: int, width: int) -> tuple[int, int]:
        return self.side, self.side

    def _square(self, x: torch.Tensor) -> torch.Tensor:
        """Reflect-padded right or bottom to a square, then resized to ``side`` with nearest-exact."""
        height, width = x.shape[-2:]
        square = max(height, width)
        pads = np.array([0, square - width, 0, square - height])
        first = np.minimum(pads, np.array([width, width, height, height]) - 1)  # torch reflects at most size - 1
        if pads.any():
            x = F.pad(x, tuple(int(p) for p in first), mode="reflect")
            if (pads > first).any():
                x = F.pad(x, tuple(int(p) for p in pads - first), mode="constant")
        return x if square == self.side else F.interpolate(x, size=self.side, mode="nearest-exact")

    def _back(self, out: torch.Tensor, height: int, width: int) -> torch.Tensor:
        square = max(height, width)
        if square != self.side:
            out = F.interpolate(out, size=square, mode="bilinear")
        return out[..., :height, :width]

    def model_masks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        squared = self._square(mask_to_tensor(mask))
        return (squared[0, 0] >= COMFY_MASK_FLOOR).numpy(), None

    def exact(self, model: Inpainter, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        image = image_to_tensor(crop, model.device)
        hole = mask_to_tensor(self.model_masks(mask)[0], model.device)
        with torch.inference_mode():
            out = self.forward(model, image, hole, None)
        return truncated(out)

    def forward(self, model: Inpainter, images: torch.Tensor, holes: torch.Tensor,
                blends: torch.Tensor | None) -> torch.Tensor:
        height, width = images.shape[-2:]
        return self._back(edit(model, self._square(images), holes), height, width)


@dataclass(frozen=True)
class Stretch(Transfer):
    """A fixed-size model (LaMa's 512 x 512 ONNX exports, e.g. Carve's ``lama_fp32.onnx``) as the apps that
    run it call it: the box resized to ``size`` with Pillow's bicubic filter whatever its aspect, the mask
    likewise (any value above 0 is a hole), the blended output truncated to 8 bits, resized back with
    Pillow's bicubic filter and pasted at the mask's pixels. The differentiable twin is PyTorch's
    antialiased bicubic, which follows Pillow's filter."""

    size: tuple[int, int]  # (width, height) of the model's input

    def model_shape(self, height: int, width: int) -> tuple[int, int]:
        return self.size[1], self.size[0]

    def model_masks(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return _pil_resize(mask.astype(np.uint8) * 255, self.size) > 0, None

    def exact(self, model: Inpainter, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        hole = self.model_masks(mask)[0]
        image = image_to_tensor(_pil_resize(crop, self.size), model.device)
        with torch.inference_mode():
            out = truncated(edit(model, image, mask_to_tensor(hole, model.device)))
        return _pil_resize(out, (crop.shape[1], crop.shape[0]))

    def forward(self, model: Inpainter, images: torch.Tensor, holes: torch.Tensor,
                blends: torch.Tensor | None) -> torch.Tensor:
        small = _resample(images, self.model_shape(0, 0))
        return _resample(edit(model, small, holes), tuple(images.shape[-2:])).clamp(0, 1)


def _pil_resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pillow's bicubic resize of an 8-bit image or mask to (width, height); a copy when the size is the same."""
    if (array.shape[1], array.shape[0]) == size:
        return array.copy()
    return np.array(Image.fromarray(array).resize(size, Image.Resampling.BICUBIC))


def _resample(x: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Pillow's bicubic filter in PyTorch (antialiased bicubic, Pillow's kernel); the input at the same size."""
    if tuple(x.shape[-2:]) == tuple(shape):
        return x
    return F.interpolate(x, size=shape, mode="bicubic", antialias=True, align_corners=False)


def _raw_fill(model: Inpainter, rgb: np.ndarray, hole: np.ndarray, rounds: bool = False) -> np.ndarray:
    """The model's raw fill of a whole box, truncated (or rounded) to 8 bits as IOPaint does (HxWx3 uint8)."""
    with torch.inference_mode():
        predicted = fill(model, image_to_tensor(rgb, model.device), mask_to_tensor(hole, model.device))
    return truncated(predicted, rounds)
