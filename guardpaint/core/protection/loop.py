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

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.editor.regions import Region
from guardpaint.core.editor.views import resized_size, uses_resize
from guardpaint.core.protection.noise import LEVELS, WindowNoise
from guardpaint.core.protection.objective import Objective, Scores, fill_clean_targets
from guardpaint.core.protection.robust import RandomAttacks, resize_view_term
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.core.protection.terms import standard_terms
from guardpaint.core.protection.windows import Plan, plan_protection
from guardpaint.errors import Cancelled, InputError
from guardpaint.models.base import Inpainter
from guardpaint.models.device import resolve_precision


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
    robust: float = 0.0  # mean attack loss over the random editor attacks, the iterate before (robust level)
    regions: int = 1  # windows optimised together in this iteration
    resize: float = 0.0  # the resize view's loss, the iterate before (robust level with the resize view)
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
    regions: list[Region] = field(default_factory=list)  # the mask's regions, in reading order
    region_windows: list[int] = field(default_factory=list)  # the window of each region

    def region_iteration(self, index: int) -> int:
        """The iterate kept for the window of region ``index`` (0-based)."""
        return self.best_iterations[self.region_windows[index]]


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

    The noise lives in the windows of :func:`~guardpaint.core.protection.windows.plan_protection`: the
    whole frame up to 800 px, else the editor's crops around each region. Pixels where ``fixed`` is True
    (fully transparent ones) get none; a grey image gets grey noise, so it stays grey. With
    ``settings.jpeg_quality`` every evaluation sees the image after a differentiable JPEG round trip.
    Against several models (an ensemble, on one device) the loss is the mean of their objectives and
    each window keeps the iterate whose worst model fares best, scored in fp32 whatever the loop's
    precision. Raises :class:`Cancelled` when ``should_cancel`` returns True (checked once per iteration).
    """
    models = [models] if isinstance(models, Inpainter) else list(models)
    device = models[0].device
    if any(model.device != device for model in models):
        raise InputError("the models of an ensemble must be on one device")
    settings = replace(settings.validated(), precision=resolve_precision(settings.precision, device))
    mask = validate_mask(mask, rgb.shape)
    start = time.perf_counter()
    plan = plan_protection(mask, settings.expansion, settings.level == "robust", settings.pipeline,
                           JPEG_GRID if settings.jpeg_quality else 1)
    noise = WindowNoise(rgb, plan.windows, settings, device, fixed)
    colour = settings.target_colour or choose_target_colour(rgb)
    objective = _objective(models, rgb, mask, plan, noise, colour, settings)
    optimiser = torch.optim.Adam(noise.deltas, lr=settings.learning_rate, betas=settings.betas, eps=settings.adam_eps)
    setup_time = time.perf_counter() - start

    history: list[IterationReport] = []
    opt_start = time.perf_counter()
    # Iterate k is the noise after k updates (0 = the initial noise); each window keeps its best iterate.
    scores = objective.step(noise, with_gradient=True)
    best = scores.window_totals.clone()
    best_iterations = [0] * len(plan.windows)
    best_deltas = [noise.snapshot(index) for index in range(len(plan.windows))]
    for step in range(1, settings.iterations + 1):
        if should_cancel is not None and should_cancel():
            raise Cancelled("protection cancelled")
        optimiser.step()
        previous, scores = scores, objective.step(noise, with_gradient=step < settings.iterations)
        for index, (now, kept) in enumerate(zip(scores.window_totals.tolist(), best.tolist(), strict=True)):
            if now < kept or not settings.keep_best:
                best[index], best_iterations[index], best_deltas[index] = now, step, noise.snapshot(index)
        report = _report(step, settings.iterations, scores, previous, time.perf_counter() - opt_start, plan)
        history.append(report)
        if on_iteration is not None:
            on_iteration(report)
    protected = noise.written(best_deltas)
    return ProtectionResult(
        protected=protected,
        noise=protected.astype(np.int16) - rgb.astype(np.int16),
        history=history,
        target_colour=tuple(int(c) for c in colour),
        best_iterations=best_iterations,
        best_loss=float(best.sum()),
        elapsed=time.perf_counter() - start,
        setup_time=setup_time,
        settings=settings,
        windows=plan.windows,
        full_frame=plan.full_frame,
        regions=plan.regions,
        region_windows=[plan.window_of(region) for region in plan.regions],
    )


def _report(step: int, iterations: int, scores: Scores, previous: Scores, elapsed: float, plan: Plan
            ) -> IterationReport:
    """What iteration ``step`` reports: its iterate's scores, and the random terms of the gradient pass that
    led to it."""
    attack, incomplete, hide = scores.terms.float().cpu().tolist()
    return IterationReport(step, iterations, attack, incomplete, hide, float(scores.window_totals.sum()), elapsed,
                           previous.random.get("robust", 0.0), len(plan.windows),
                           previous.random.get("resize view", 0.0), scores.model_totals)


def _objective(models: list[Inpainter], rgb: np.ndarray, mask: np.ndarray, plan: Plan, noise: WindowNoise,
               colour: tuple[int, int, int], settings: ProtectionSettings) -> Objective:
    """Every model's loss terms, each model copied for the loop (frozen, fused, memory saving where needed)."""
    device = models[0].device
    resize_view = settings.resize_view and uses_resize(rgb.shape, "resize")  # validated: robust level only
    largest = max(term_view.view.box.height * term_view.view.box.width for term_view in plan.views)
    if resize_view:
        width, height = resized_size(rgb.shape)
        largest = max(largest, width * height)
    save_memory = settings.memory_saving == "on" or (
        settings.memory_saving == "auto" and largest > MEMORY_SAVING_PIXELS)
    models = [model.for_attack(save_memory) for model in models]
    target = torch.tensor(colour, dtype=torch.float32, device=device).view(1, 3, 1, 1) / LEVELS
    weights = {"attack": settings.attack_weight, "incomplete": settings.incomplete_weight,
               "hide": settings.hide_weight}
    standard = []
    for model in models:
        terms = standard_terms(plan, target, weights, device, batch_across_windows=device.type == "cuda")
        fill_clean_targets(model, terms, noise.clean, settings.batch_edits)
        standard.append(terms)
    extra = [[resize_view_term(rgb, mask, plan.windows, target, settings.resize_weight, device)] if resize_view
             else [] for _ in models]
    attacks = RandomAttacks(mask, plan, target, settings.robust_samples, settings.robust_weight, settings.seed,
                            device) if settings.level == "robust" else None
    return Objective(models, standard, extra, attacks, len(plan.windows), settings.precision, settings.batch_edits)
