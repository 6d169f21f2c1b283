"""The protection routine: optimise the faint noise that turns LaMa's fill of a region into a flat colour.

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
from guardpaint.core.editor.pipelines import resized_size, uses_resize
from guardpaint.core.editor.regions import Region
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
    stage: int = 1  # auto strength: the step of the strength ladder (1 = the first strength)
    stages: int = 1  # how many steps the ladder has at most
    strength: float = 0.0  # the largest change allowed in this stage, in levels of 255


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
    window_strengths: list[float] = field(default_factory=list)  # the strength each window ended at (0-1 scale)
    window_stages: list[int] = field(default_factory=list)  # how many strength steps each window was optimised at

    def region_iteration(self, index: int) -> int:
        """The iterate kept for the window of region ``index`` (0-based)."""
        return self.best_iterations[self.region_windows[index]]

    def region_strength(self, index: int) -> float:
        """The strength region ``index`` (0-based) ended at, in levels of 255."""
        return self.window_strengths[self.region_windows[index]] * LEVELS


class KeptIterates:
    """Each window's best iterate so far: its score, its number (updates applied) and its noise."""

    def __init__(self, noise: WindowNoise, totals: torch.Tensor) -> None:
        self.noise = noise
        self.scores = totals.clone()
        self.iterations = [0] * len(totals)
        self.deltas = [noise.snapshot(window) for window in range(len(totals))]

    def restart(self, windows: list[int], totals: torch.Tensor, iteration: int) -> None:
        """A new stage for ``windows``: their current noise (the kept one, warm-started) is their best."""
        for window in windows:
            self.scores[window], self.iterations[window] = totals[window], iteration
            self.deltas[window] = self.noise.snapshot(window)

    def offer(self, windows: list[int], totals: torch.Tensor, iteration: int, keep_best: bool) -> None:
        for window in windows:
            if totals[window] < self.scores[window] or not keep_best:
                self.scores[window], self.iterations[window] = totals[window], iteration
                self.deltas[window] = self.noise.snapshot(window)

    def with_frozen(self, totals: torch.Tensor, windows: list[int]) -> torch.Tensor:
        """``totals`` for ``windows``, the kept scores for every other window."""
        combined = self.scores.clone()
        combined[windows] = totals[windows]
        return combined


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
    judge: Callable[[np.ndarray], list[int]] | None = None,
) -> ProtectionResult:
    """Optimise protective noise for ``rgb`` (HxWx3 uint8) over ``mask`` (HxW bool).

    The noise lives in the windows of :func:`~guardpaint.core.protection.windows.plan_protection`: the
    whole frame up to 800 px, else the editor's crops around each region. Pixels where ``fixed`` is True
    (fully transparent ones) get none; a grey image gets grey noise, so it stays grey. With
    ``settings.jpeg_quality`` every evaluation sees the image after a differentiable JPEG round trip.
    Against several models (an ensemble, on one device) the loss is the mean of their objectives and
    each window keeps the iterate whose worst model fares best, scored in fp32 whatever the loop's
    precision. Raises :class:`Cancelled` when ``should_cancel`` returns True (checked once per iteration).

    With ``judge`` (auto strength: it gets the 8-bit image and returns the numbers of the regions that do
    not hold) the windows are optimised at the first strength of :func:`strength_ladder`, judged, and the
    windows of regions that do not hold optimised again at the next strength, up to the cap.
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
    region_windows = [plan.window_of(region) for region in plan.regions]
    ladder = strength_ladder(settings) if judge is not None else [settings.epsilon]
    setup_time = time.perf_counter() - start

    history: list[IterationReport] = []
    opt_start = time.perf_counter()
    active = list(range(len(plan.windows)))
    stages = [0] * len(plan.windows)
    if settings.budget == "adaptive":  # a first gradient says where the noise acts
        objective.step(noise, with_gradient=True)
        noise.shape_by_influence()
    # Iterate k is the noise after k updates (0 = the initial noise); each window keeps its best iterate.
    kept: KeptIterates | None = None
    for stage, strength in enumerate(ladder, start=1):
        noise.set_strength(active, strength)
        for window in active:
            stages[window] += 1
            if kept is not None:  # a stronger stage starts from the noise this window kept
                noise.restore(window, kept.deltas[window])
        first = (stage - 1) * settings.iterations
        optimiser = torch.optim.Adam([noise.deltas[w] for w in active], lr=settings.learning_rate,
                                     betas=settings.betas, eps=settings.adam_eps)
        scores = objective.step(noise, with_gradient=True, active=active)
        if kept is None:
            kept = KeptIterates(noise, scores.window_totals)
        else:
            kept.restart(active, scores.window_totals, first)
        for step in range(1, settings.iterations + 1):
            if should_cancel is not None and should_cancel():
                raise Cancelled("protection cancelled")
            optimiser.step()
            previous, scores = scores, objective.step(noise, step < settings.iterations, active)
            kept.offer(active, scores.window_totals, first + step, settings.keep_best)
            report = _report(step, settings.iterations, scores, previous, time.perf_counter() - opt_start, active,
                             kept.with_frozen(scores.window_totals, active), (stage, len(ladder), strength))
            history.append(report)
            if on_iteration is not None:
                on_iteration(report)
        if judge is None:
            break
        failing = judge(noise.written(kept.deltas))
        active = sorted({region_windows[number - 1] for number in failing})
        if not active:
            break
    protected = noise.written(kept.deltas)
    return ProtectionResult(
        protected=protected,
        noise=protected.astype(np.int16) - rgb.astype(np.int16),
        history=history,
        target_colour=tuple(int(c) for c in colour),
        best_iterations=kept.iterations,
        best_loss=float(kept.scores.sum()),
        elapsed=time.perf_counter() - start,
        setup_time=setup_time,
        settings=settings,
        windows=plan.windows,
        full_frame=plan.full_frame,
        regions=plan.regions,
        region_windows=region_windows,
        window_strengths=list(noise.strengths),
        window_stages=stages,
    )


def strength_ladder(settings: ProtectionSettings) -> list[float]:
    """The strengths auto strength tries, weakest first: ``strength_steps`` of them, from half the cap
    (``epsilon``) to the cap in equal ratios; the cap alone without auto strength."""
    if not settings.auto_strength or settings.strength_steps == 1:
        return [settings.epsilon]
    steps = settings.strength_steps
    return [settings.epsilon * 0.5 ** (1 - i / (steps - 1)) for i in range(steps)]


def _report(step: int, iterations: int, scores: Scores, previous: Scores, elapsed: float, active: list[int],
            totals: torch.Tensor, stage: tuple[int, int, float]) -> IterationReport:
    """What iteration ``step`` reports: its iterate's scores (the frozen windows' kept ones), the random
    terms of the gradient pass that led to it, and the stage of the strength ladder."""
    attack, incomplete, hide = scores.terms.float().cpu().tolist()
    number, stages, strength = stage
    return IterationReport(step, iterations, attack, incomplete, hide, float(totals.sum()), elapsed,
                           previous.random.get("robust", 0.0), len(active), previous.random.get("resize view", 0.0),
                           scores.model_totals, number, stages, strength * LEVELS)


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
    fast = [model.for_attack(save_memory, torch.bfloat16) for model in models] if settings.precision == "bf16" \
        else models  # weights cast once to bf16 for the gradients; the fp32 copies score
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
    return Objective(models, standard, extra, attacks, len(plan.windows), settings.batch_edits, fast)
