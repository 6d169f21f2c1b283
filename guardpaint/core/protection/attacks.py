"""What happens to an image before anyone edits it, declared once: the attacks the suite runs and the robust
level hardens against.

Each :class:`Attack` is the real operation on the 8-bit image (what an editor, a platform or a cleaning tool
does) and, where one exists, its differentiable twin on a 1x3xHxW tensor in [0, 1] (kornia's filters and
enhancements, the IJG-exact JPEG of :mod:`~guardpaint.core.protection.jpeg`), with the largest mean
difference between the two that the tests allow. The suite (``core/evaluation/suite.py``) runs every attack
on the original and on the protected image; the robust level (``core/protection/robust.py``) draws from the
ones with a twin.

Groups: ``transform`` (what a file goes through: re-encoding, resizing) and ``purification`` (what an
attacker runs first to clean off a protection: blurs, denoisers, curves, AdverseCleaner). Every parameter is
a named constant, with its source where it has one.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import kornia
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from guardpaint.core.editor.tensors import image_to_tensor, tensor_to_image
from guardpaint.core.protection.groups import PURIFICATION, TRANSFORM
from guardpaint.core.protection.jpeg import jpeg_approx

#: An 8-bit HxWx3 image in, one out.
Operation = Callable[[np.ndarray], np.ndarray]
#: The twin: a 1x3xHxW float tensor in [0, 1] and a seed (for the random ones) in, the same out.
Twin = Callable[[torch.Tensor, int], torch.Tensor]

# AdverseCleaner (github.com/lllyasviel/AdverseCleaner, the cleaner of Anti-DreamBooth issue #1): 64 bilateral
# filters of diameter 5 with both sigmas 8, then 4 guided filters of radius 4 and eps 16 guided by the input.
CLEANER_BILATERAL_PASSES, CLEANER_DIAMETER, CLEANER_SIGMA = 64, 5, 8.0
CLEANER_GUIDED_PASSES, CLEANER_RADIUS, CLEANER_EPS = 4, 4, 16.0
#: Gaussian blurs (sigma in px): light, moderate and strong, as the blur sliders of photo editors.
BLUR_SIGMAS = (0.5, 1.0, 2.0)
#: Median filters (window side in px), the "despeckle" of photo editors.
MEDIAN_SIZES = (3, 5)
#: Additive Gaussian noise (sigma in levels of 255): 0.05 of the range is 12.75, the purification of
#: Anti-DreamBooth's and DiffPure-style studies (sigma 0.05 to 0.1); 2 and 5 levels are lighter grain.
NOISE_SIGMAS = (2.0, 5.0, 13.0)
#: Non-local means as in OpenCV's denoising tutorial: h 10, hColor 10, template 7 px, search 21 px.
NLM_H, NLM_H_COLOUR, NLM_TEMPLATE, NLM_SEARCH = 10.0, 10.0, 7, 21
#: Unsharp mask: the blur's sigma (px) and kernel; amount 1, as kornia's unsharp_mask.
UNSHARP_SIGMA, UNSHARP_SIZE = 1.0, 7
#: Curves: gamma below and above 1 (midtones lighter, darker).
GAMMAS = (0.8, 1.25)
#: A levels stretch: these input levels become black and white (an auto-levels that clips about 5 %).
LEVELS_BLACK, LEVELS_WHITE = 12, 243
#: Saturation down and up by 20 % (HSV saturation, as kornia's adjust_saturation).
SATURATIONS = (0.8, 1.2)
#: JPEG at 75 (the purification of PhotoGuard's and Anti-DreamBooth's issues), lossy WebP at 80.
JPEG_PURIFY, WEBP_QUALITY = 75, 80
#: The social-media path: the long side to 1080 px (Instagram's width), then JPEG at 85.
SOCIAL_SIDE, SOCIAL_QUALITY = 1080, 85
#: Down by half with bicubic interpolation and back.
HALF = 0.5
#: Shifts in px, right and down: off LaMa's 8 px downsampling grid.
SHIFTS = (1, 3, 5, 7)
#: Blur, then JPEG: the two most common purifications in a row.
BLUR_THEN_JPEG = (1.0, 75)
#: The seed of the suite's noise: the same noise on the original and on the protected image.
SUITE_SEED = 0


@dataclass(frozen=True)
class Attack:
    """One operation on the image before an edit: the real one and, when it exists, its differentiable twin."""

    group: str  # one of groups.ATTACK_GROUPS
    name: str  # a short plain-language name
    params: dict
    apply: Operation
    twin: Twin | None = None
    tolerance: float | None = None  # the largest mean |real - twin| in levels the tests allow
    shift: int = 0  # a shift moves the image (and the editor's mask with it) by this many px right and down
    source: str = ""
    note: str = field(default="", compare=False)  # why there is no twin, when there is none

    def to_dict(self) -> dict:
        return {"group": self.group, "name": self.name, "params": self.params, "differentiable": self.twin is not None,
                "source": self.source or None}


# ----------------------------------------------------------------------------- helpers
def _kernel(sigma: float) -> int:
    """The Gaussian kernel side for ``sigma``: three sigmas each way."""
    return 2 * math.ceil(3 * sigma) + 1


def _codec(kind: str, quality: int) -> Operation:
    def apply(rgb: np.ndarray) -> np.ndarray:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format=kind, quality=quality)
        return np.array(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    return apply


def _rescale(factor: float) -> Operation:
    def apply(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        resized = Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC)
        return np.array(resized.resize((w, h), Image.Resampling.BICUBIC))
    return apply


def _rescale_twin(factor: float) -> Twin:
    def twin(x: torch.Tensor, seed: int) -> torch.Tensor:
        height, width = x.shape[-2:]
        size = (max(1, round(height * factor)), max(1, round(width * factor)))
        small = F.interpolate(x, size=size, mode="bicubic", antialias=factor < 1, align_corners=False)
        return F.interpolate(small, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)
    return twin


def _blur(sigma: float) -> tuple[Operation, Twin]:
    size = _kernel(sigma)
    return (lambda rgb: cv2.GaussianBlur(rgb, (size, size), sigma, borderType=cv2.BORDER_REFLECT_101),
            lambda x, seed: kornia.filters.gaussian_blur2d(x, (size, size), (sigma, sigma), border_type="reflect"))


def _noise(sigma: float) -> tuple[Operation, Twin]:
    def apply(rgb: np.ndarray) -> np.ndarray:
        noise = np.random.default_rng(SUITE_SEED).normal(0.0, sigma, rgb.shape)
        return np.clip(np.round(rgb + noise), 0, 255).astype(np.uint8)

    def twin(x: torch.Tensor, seed: int) -> torch.Tensor:
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed)).to(x)
        return (x + noise * sigma / 255).clamp(0, 1)
    return apply, twin


def _gamma(gamma: float) -> tuple[Operation, Twin]:
    table = np.clip(np.round(255 * (np.arange(256) / 255) ** gamma), 0, 255).astype(np.uint8)
    return (lambda rgb: table[rgb],
            lambda x, seed: kornia.enhance.adjust_gamma(x.clamp_min(1e-6), gamma).clamp(0, 1))


def _saturation(factor: float) -> tuple[Operation, Twin]:
    def apply(rgb: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2HSV)
        hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0, 1)
        return np.clip(np.round(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB) * 255), 0, 255).astype(np.uint8)
    return apply, lambda x, seed: kornia.enhance.adjust_saturation(x, factor).clamp(0, 1)


def _levels(rgb: np.ndarray) -> np.ndarray:
    stretched = (rgb.astype(np.float32) - LEVELS_BLACK) * 255 / (LEVELS_WHITE - LEVELS_BLACK)
    return np.clip(np.round(stretched), 0, 255).astype(np.uint8)


def _levels_twin(x: torch.Tensor, seed: int) -> torch.Tensor:
    return ((x * 255 - LEVELS_BLACK) / (LEVELS_WHITE - LEVELS_BLACK)).clamp(0, 1)


def _median(size: int) -> tuple[Operation, Twin]:
    return (lambda rgb: cv2.medianBlur(rgb, size),
            lambda x, seed: kornia.filters.median_blur(x, size, border_type="replicate"))


def _unsharp(rgb: np.ndarray) -> np.ndarray:
    image = rgb.astype(np.float32)
    size = (UNSHARP_SIZE, UNSHARP_SIZE)
    blurred = cv2.GaussianBlur(image, size, UNSHARP_SIGMA, borderType=cv2.BORDER_REFLECT_101)
    return np.clip(np.round(2 * image - blurred), 0, 255).astype(np.uint8)


def _unsharp_twin(x: torch.Tensor, seed: int) -> torch.Tensor:
    sigma = (UNSHARP_SIGMA, UNSHARP_SIGMA)
    return kornia.filters.unsharp_mask(x, UNSHARP_SIZE, sigma, border_type="reflect").clamp(0, 1)


def _bilateral_passes(rgb: np.ndarray) -> np.ndarray:
    out = rgb
    for _ in range(CLEANER_BILATERAL_PASSES):
        out = cv2.bilateralFilter(out, CLEANER_DIAMETER, CLEANER_SIGMA, CLEANER_SIGMA)
    return out


def _edge_aware(x: torch.Tensor) -> torch.Tensor:
    """One of kornia's bilateral passes with AdverseCleaner's parameters, then its guided filters: the smooth,
    edge-aware surrogate whose gradient stands in for the 64 passes' (see :func:`_straight_through`)."""
    smoothed = kornia.filters.bilateral_blur(x, CLEANER_DIAMETER, CLEANER_SIGMA / 255, (CLEANER_SIGMA, CLEANER_SIGMA),
                                             border_type="reflect", color_distance_type="l1")
    for _ in range(CLEANER_GUIDED_PASSES):
        smoothed = kornia.filters.guided_blur(x, smoothed, 2 * CLEANER_RADIUS + 1, CLEANER_EPS / 255**2)
    return smoothed.clamp(0, 1)


def _straight_through(real: Operation, surrogate: Callable[[torch.Tensor], torch.Tensor]) -> Twin:
    """A twin whose value is the real operation on the 8-bit image and whose gradient is ``surrogate``'s
    (BPDA, Athalye et al. 2018): for filters too costly to differentiate every iteration. Sixty-four kornia
    bilateral passes took about a minute forward and backward on a 256 px image on a 2-core CPU; the real
    filters take a fraction of a second."""
    def twin(x: torch.Tensor, seed: int) -> torch.Tensor:
        value = image_to_tensor(real(tensor_to_image(x))).to(x)
        smooth = surrogate(x)
        return smooth + (value - smooth).detach()
    return twin


def _cleaner(rgb: np.ndarray) -> np.ndarray:
    """AdverseCleaner as published: OpenCV's bilateral filters on the 8-bit image, then the guided filters
    (kornia's implementation of He et al.'s filter, OpenCV's ximgproc being absent from the headless build),
    rounded to 8 bits after each, as the original's 8-bit OpenCV calls are."""
    guide = image_to_tensor(rgb)
    out = _bilateral_passes(rgb)
    for _ in range(CLEANER_GUIDED_PASSES):
        out = tensor_to_image(kornia.filters.guided_blur(guide, image_to_tensor(out), 2 * CLEANER_RADIUS + 1,
                                                   CLEANER_EPS / 255**2))
    return out


def _social(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = min(1.0, SOCIAL_SIDE / max(h, w))
    small = rgb if scale == 1 else cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    posted = _codec("JPEG", SOCIAL_QUALITY)(small)
    return posted if scale == 1 else cv2.resize(posted, (w, h), interpolation=cv2.INTER_CUBIC)


def _social_twin(x: torch.Tensor, seed: int) -> torch.Tensor:
    height, width = x.shape[-2:]
    scale = min(1.0, SOCIAL_SIDE / max(height, width))
    if scale == 1:
        return jpeg_approx(x, SOCIAL_QUALITY)
    small = F.interpolate(x, size=(round(height * scale), round(width * scale)), mode="area")
    posted = jpeg_approx(small, SOCIAL_QUALITY)
    return F.interpolate(posted, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)


def shifted(image: np.ndarray, pixels: int) -> np.ndarray:
    """An image (or mask) moved right and down by ``pixels``, its first rows and columns repeated."""
    padding = ((pixels, 0), (pixels, 0)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, padding, mode="edge")[:image.shape[0], :image.shape[1]]


def unshifted(image: np.ndarray, pixels: int) -> np.ndarray:
    """An image moved by :func:`shifted` moved back into place (its last rows and columns repeated)."""
    padding = ((0, pixels), (0, pixels)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, padding, mode="edge")[pixels:, pixels:]


def _shift(pixels: int) -> Operation:
    return lambda rgb: shifted(rgb, pixels)


def _blur_then_jpeg() -> tuple[Operation, Twin]:
    sigma, quality = BLUR_THEN_JPEG
    blur, blur_twin = _blur(sigma)
    return (lambda rgb: _codec("JPEG", quality)(blur(rgb)), lambda x, seed: jpeg_approx(blur_twin(x, seed), quality))


def _attacks() -> tuple[Attack, ...]:
    attacks = [
        Attack(TRANSFORM, f"JPEG at {q}", {"quality": q}, _codec("JPEG", q), lambda x, s, q=q: jpeg_approx(x, q),
               tolerance=1.5, source="Pillow (libjpeg), 4:2:0") for q in (95, 90, 80)]
    attacks += [
        Attack(TRANSFORM, f"resized {f}x and back", {"factor": f}, _rescale(f), _rescale_twin(f), tolerance=2.0,
               source="Pillow bicubic") for f in (0.75, 1.5)]
    attacks.append(Attack(TRANSFORM, "saved as PNG and read back", {}, lambda rgb: _codec("PNG", 0)(rgb),
                          lambda x, seed: x, tolerance=0.0))
    p = PURIFICATION
    cleaner = {"bilateral": [CLEANER_BILATERAL_PASSES, CLEANER_DIAMETER, CLEANER_SIGMA],
               "guided": [CLEANER_GUIDED_PASSES, CLEANER_RADIUS, CLEANER_EPS]}
    attacks.append(Attack(p, "AdverseCleaner", cleaner,
                          _cleaner, _straight_through(_cleaner, _edge_aware), tolerance=0.0,
                          source="github.com/lllyasviel/AdverseCleaner"))
    attacks.append(Attack(p, "bilateral filters (AdverseCleaner's first part)",
                          {"passes": CLEANER_BILATERAL_PASSES, "diameter": CLEANER_DIAMETER, "sigma": CLEANER_SIGMA},
                          _bilateral_passes, _straight_through(_bilateral_passes, _edge_aware), tolerance=0.0,
                          source="github.com/lllyasviel/AdverseCleaner"))
    for sigma in BLUR_SIGMAS:
        apply, twin = _blur(sigma)
        attacks.append(Attack(p, f"blur (sigma {sigma:g} px)", {"sigma": sigma}, apply, twin, tolerance=1.0))
    for size in MEDIAN_SIZES:
        apply, twin = _median(size)
        attacks.append(Attack(p, f"median filter ({size} px)", {"size": size}, apply, twin, tolerance=1.0))
    for sigma in NOISE_SIGMAS:
        apply, twin = _noise(sigma)
        attacks.append(Attack(p, f"added noise ({sigma:g} levels)", {"sigma_levels": sigma}, apply, twin,
                              tolerance=None, source="Anti-DreamBooth issue #11 (sigma 0.05 of the range)"
                              if sigma == NOISE_SIGMAS[-1] else "", note="random: compared in distribution"))
    attacks.append(Attack(p, "noise reduction (non-local means)", {"h": NLM_H, "h_colour": NLM_H_COLOUR,
                                                                  "template": NLM_TEMPLATE, "search": NLM_SEARCH},
                          lambda rgb: cv2.fastNlMeansDenoisingColored(rgb, None, NLM_H, NLM_H_COLOUR, NLM_TEMPLATE,
                                                                      NLM_SEARCH),
                          source="OpenCV's denoising tutorial", note="no differentiable twin (kornia has none)"))
    attacks.append(Attack(p, "sharpened (unsharp mask)", {"sigma": UNSHARP_SIGMA, "amount": 1.0}, _unsharp,
                          _unsharp_twin, tolerance=1.0))
    for gamma in GAMMAS:
        apply, twin = _gamma(gamma)
        attacks.append(Attack(p, f"curves: gamma {gamma:g}", {"gamma": gamma}, apply, twin, tolerance=0.6,
                              source="PhotoGuard issue #3: a curve adjustment"))
    attacks.append(Attack(p, "curves: levels stretch", {"black": LEVELS_BLACK, "white": LEVELS_WHITE}, _levels,
                          _levels_twin, tolerance=0.6))
    for factor in SATURATIONS:
        apply, twin = _saturation(factor)
        attacks.append(Attack(p, f"saturation {factor - 1:+.0%}", {"factor": factor}, apply, twin, tolerance=0.6))
    attacks.append(Attack(p, f"JPEG at {JPEG_PURIFY}", {"quality": JPEG_PURIFY}, _codec("JPEG", JPEG_PURIFY),
                          lambda x, seed: jpeg_approx(x, JPEG_PURIFY), tolerance=1.5,
                          source="PhotoGuard and Anti-DreamBooth issues (JPEG 75)"))
    attacks.append(Attack(p, f"WebP at {WEBP_QUALITY} (lossy)", {"quality": WEBP_QUALITY}, _codec("WEBP", WEBP_QUALITY),
                          note="no differentiable twin (VP8 is not modelled)"))
    attacks.append(Attack(p, f"social media ({SOCIAL_SIDE} px, JPEG {SOCIAL_QUALITY})",
                          {"long_side": SOCIAL_SIDE, "quality": SOCIAL_QUALITY}, _social, _social_twin, tolerance=1.5,
                          source="Instagram's 1080 px width"))
    attacks.append(Attack(p, "halved and enlarged again (bicubic)", {"factor": HALF}, _rescale(HALF),
                          _rescale_twin(HALF), tolerance=2.0))
    attacks += [Attack(p, f"shifted {k} px", {"pixels": k}, _shift(k), shift=k,
                       note="moves the mask too: hardening keeps to the region's own place") for k in SHIFTS]
    apply, twin = _blur_then_jpeg()
    attacks.append(Attack(p, f"blur then JPEG (sigma {BLUR_THEN_JPEG[0]:g}, {BLUR_THEN_JPEG[1]})",
                          {"sigma": BLUR_THEN_JPEG[0], "quality": BLUR_THEN_JPEG[1]}, apply, twin, tolerance=1.5))
    return tuple(attacks)


#: Every attack, in the order the suite runs them.
ATTACKS = _attacks()


def hardening_attacks() -> list[Attack]:
    """The attacks the robust level can harden against: those with a twin."""
    return [attack for attack in ATTACKS if attack.twin is not None]
