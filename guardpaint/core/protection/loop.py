"""The protection routine: optimise imperceptible noise that turns LaMa's fill into a flat colour.

One function, :func:`protect`, serves the CLI, the GUI worker, the tests and the
benchmarks. It reports every iteration through a callback and checks a cancel
predicate between iterations; it knows nothing about Qt.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box, resized_size, uses_resize
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.editor.tensors import image_to_tensor, tensor_to_image
from guardpaint.core.protection.budget import noise_budget
from guardpaint.core.protection.jpeg import jpeg_approx
from guardpaint.core.protection.objective import Objective
from guardpaint.core.protection.robust import ResizeViewTerm, RobustTerm
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.core.protection.windows import plan_protection
from guardpaint.errors import Cancelled, InputError
from guardpaint.models.base import Inpainter
from guardpaint.models.device import resolve_precision

LEVELS = 255.0


@dataclass(frozen=True)
class IterationReport:
    """Losses of one iteration, measured on the 8-bit image that iteration would write."""

    iteration: int  # 1-based: the losses of the noise after this many updates
    total_iterations: int
    attack: float
    incomplete: float
    hide: float
    total: float
    elapsed: float  # seconds since the optimisation started
    robust: float = 0.0  # mean attack loss over the random editor attacks (robust level only)
    regions: int = 1  # windows optimised together in this iteration
    # Each model's total. ``total`` is the selection criterion: per window the worst model's part, summed
    # (for one model, attack + incomplete + w * hide; for an ensemble the terms above are means over models).
    model_totals: tuple[float, ...] = ()


@dataclass
class ProtectionResult:
    """What a protection produced."""

    protected: np.ndarray  # HxWx3 uint8, exactly what gets written
    noise: np.ndarray  # HxWx3 int16, protected - original in levels (zero outside the windows)
    history: list[IterationReport]
    target_colour: tuple[int, int, int]
    best_iterations: list[int]  # per window: the iterate kept, as updates applied (0 = the initial noise)
    best_loss: float  # the objective of the kept iterates
    elapsed: float
    setup_time: float
    settings: ProtectionSettings = field(default_factory=ProtectionSettings)
    windows: list[Box] = field(default_factory=list)  # where the noise may be non-zero
    full_frame: bool = True  # the views are the whole image (up to 800 px, or --against full)


def _straight_through(value: torch.Tensor, forward_value: torch.Tensor) -> torch.Tensor:
    """``forward_value`` in the forward pass, identity gradient to ``value`` in the backward pass."""
    return value + (forward_value - value).detach()


def quantised_adversarial(image: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """``clip(x + delta)`` rounded to 8-bit levels; gradients pass straight through both."""
    raw = image + delta
    written = (raw.clamp(0, 1) * LEVELS).round() / LEVELS
    return _straight_through(raw, written)


#: JPEG's block grid with 4:2:0 chroma: windows snap to it so the noise meets whole blocks.
JPEG_GRID = 16
#: Above this many pixels in one view "auto" memory saving recomputes activations (big-lama at
#: 2048 px would otherwise need about 40 GB for the three batched edits).
MEMORY_SAVING_PIXELS = 1024 * 1024


def protect(
    models: Inpainter | Sequence[Inpainter],
    rgb: np.ndarray,
    mask: np.ndarray,
    settings: ProtectionSettings = ProtectionSettings(),
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    fixed: np.ndarray | None = None,
) -> ProtectionResult:
    """Optimise protective noise for ``rgb`` (HxWx3 uint8) over ``mask`` (HxW bool).

    The noise lives in the windows of :func:`guardpaint.core.windows.plan_protection`: the whole
    frame up to 800 px, else the editor's crops around each region. Pixels where ``fixed`` is True
    (fully transparent ones) get none; a grey image gets grey noise, so it stays grey. With
    ``settings.jpeg_quality`` every evaluation sees the image after a differentiable JPEG round trip.
    Against several models (an ensemble, on one device) the loss is the mean of their objectives and
    each window keeps the iterate whose worst model fares best.
    Raises :class:`Cancelled` when ``should_cancel`` returns True (checked once per iteration).
    """
    models = [models] if isinstance(models, Inpainter) else list(models)
    device = models[0].device
    if any(model.device != device for model in models):
        raise InputError("the models of an ensemble must be on one device")
    settings = replace(settings.validated(), precision=resolve_precision(settings.precision, device))
    mask = validate_mask(mask, rgb.shape)
    start = time.perf_counter()
    grid = JPEG_GRID if settings.jpeg_quality else 1
    plan = plan_protection(mask, settings.expansion, settings.level == "robust", settings.pipeline, grid)
    grey = bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())
    largest = max(v.box.height * v.box.width for w in plan.windows for v in w.views)
    resize_view = settings.resize_view and uses_resize(rgb.shape, "resize")  # validated: robust level only
    if resize_view:
        width, height = resized_size(rgb.shape)
        largest = max(largest, width * height)
    save_memory = settings.memory_saving == "on" or (
        settings.memory_saving == "auto" and largest > MEMORY_SAVING_PIXELS)
    models = [model.for_attack(save_memory) for model in models]
    boxes = [window.box for window in plan.windows]
    images = [image_to_tensor(rgb[box.slices], device) for box in boxes]
    budgets = [noise_budget(rgb[box.slices], settings.epsilon, settings.budget, device,
                            None if fixed is None else fixed[box.slices]) for box in boxes]
    target_colour = settings.target_colour or choose_target_colour(rgb)
    target = torch.tensor(target_colour, dtype=torch.float32, device=device).view(1, 3, 1, 1) / LEVELS
    objectives = [Objective(model, images, plan, target, settings.precision, settings.hide_weight,
                            settings.batch_edits) for model in models]
    extra = []
    for model in models if settings.level == "robust" else []:
        extra.append(RobustTerm(model, mask, plan, target, settings.robust_samples, settings.precision,
                                settings.seed))
        if resize_view:
            extra.append(ResizeViewTerm(model, rgb, mask, plan, target, settings.precision))
    channels = 1 if grey else 3  # grey noise on a grey image: it stays grey
    deltas = [initial_noise((1, channels, *image.shape[-2:]), settings, index).to(device).requires_grad_(True)
              for index, image in enumerate(images)]
    optimiser = torch.optim.Adam(deltas, lr=settings.learning_rate, betas=settings.betas, eps=settings.adam_eps)
    setup_time = time.perf_counter() - start

    def adversarial(window: int) -> torch.Tensor:
        written = quantised_adversarial(images[window], deltas[window])
        return jpeg_approx(written, settings.jpeg_quality) if settings.jpeg_quality else written

    def evaluate(with_gradient: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss terms (mean over the models) and per-window totals of the worst model, of the current noise
        on the 8-bit image it would write; with the gradient of the mean total in the deltas' ``grad``."""
        with torch.no_grad():
            for delta, budget in zip(deltas, budgets, strict=True):
                torch.clamp(delta, -budget, budget, out=delta)
        optimiser.zero_grad(set_to_none=True)
        results = [objective(adversarial, with_gradient, 1 / len(objectives)) for objective in objectives]
        terms = torch.stack([terms for terms, _ in results]).mean(dim=0)
        return terms, torch.stack([parts for _, parts in results])

    history: list[IterationReport] = []
    opt_start = time.perf_counter()
    terms, per_model = evaluate(True)
    # Iterate k is the noise after k updates (0 = the initial noise). Each window keeps its best iterate,
    # judged on the deterministic objective of its worst model; the robust terms are random samples.
    best = per_model.amax(dim=0)
    best_iterations = [0] * len(deltas)
    best_deltas = [delta.detach().clone() for delta in deltas]
    for step in range(1, settings.iterations + 1):
        if should_cancel is not None and should_cancel():
            raise Cancelled("protection cancelled")
        robust_loss = 0.0
        for term in extra:  # each its own backward pass, after the objective's: one graph alive at a time
            value = term([adversarial(index) for index in range(len(deltas))])
            (settings.robust_weight * value / len(extra)).backward()
            robust_loss += float(value.detach()) / len(extra)
        optimiser.step()
        terms, per_model = evaluate(step < settings.iterations)  # the last iterate needs no gradient
        parts = per_model.amax(dim=0)
        for index, (now, kept) in enumerate(zip(parts.tolist(), best.tolist(), strict=True)):
            if now < kept or not settings.keep_best:
                best[index], best_iterations[index], best_deltas[index] = now, step, deltas[index].detach().clone()
        report = IterationReport(step, settings.iterations, *terms.float().cpu().tolist(), float(parts.sum()),
                                 time.perf_counter() - opt_start, robust_loss, len(deltas),
                                 tuple(per_model.sum(dim=1).tolist()))
        history.append(report)
        if on_iteration is not None:
            on_iteration(report)
    protected = rgb.copy()
    for box, image, delta in zip(boxes, images, best_deltas, strict=True):
        protected[box.slices] = tensor_to_image(quantised_adversarial(image, delta))
    return ProtectionResult(
        protected=protected,
        noise=protected.astype(np.int16) - rgb.astype(np.int16),
        history=history,
        target_colour=tuple(int(c) for c in target_colour),
        best_iterations=best_iterations,
        best_loss=float(best.sum()),
        elapsed=time.perf_counter() - start,
        setup_time=setup_time,
        settings=settings,
        windows=boxes,
        full_frame=plan.full_frame,
    )


def initial_noise(shape: tuple[int, ...], settings: ProtectionSettings, window: int) -> torch.Tensor:
    """Uniform in [0, init_scale), seeded by the protection's seed and the window's index."""
    seeded = torch.Generator().manual_seed(settings.seed + 7919 * window)
    return torch.rand(shape, generator=seeded) * settings.init_scale
