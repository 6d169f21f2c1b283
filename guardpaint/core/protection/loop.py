"""The protection routine: optimise the faint noise that turns LaMa's fill of a region into a flat colour.

One function, :func:`protect`, serves the CLI, the GUI worker, the tests and the
benchmarks. It reports every iteration through a callback and checks a cancel
predicate between iterations; it knows nothing about Qt.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.regions import Region
from guardpaint.core.protection.engine import KeptIterates, StepCheck, StepOptimiser, StepRun
from guardpaint.core.protection.ladder import Judge, RegionLadder, RegionOutcome
from guardpaint.core.protection.loss_terms import ROBUST_TERM, TERM_NAMES
from guardpaint.core.protection.noise import FULL_BUDGETS
from guardpaint.core.protection.objective import Scores
from guardpaint.core.protection.settings import NO_CHANGE, ProtectionSettings, Strength
from guardpaint.core.protection.setup import set_up
from guardpaint.core.protection.sources import OPTIMISER, NoiseSource
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.models.base import Inpainter
from guardpaint.models.device import resolve_precision


@dataclass(frozen=True)
class IterationReport:
    """Losses of one iteration, measured on the 8-bit image that iteration would write."""

    iteration: int  # 1-based: the losses of the noise after this many updates in this step of the ladder
    total_iterations: int  # updates per step
    losses: dict[str, float]  # each standard term (loss_terms.TERM_NAMES); for an ensemble the mean over models
    total: float  # the selection criterion: per window the worst model's weighted total, summed
    elapsed: float  # seconds since the optimisation started
    robust: float = 0.0  # mean attack loss over the random editor attacks, the iterate before (robust level)
    windows: int = 1  # windows optimised together in this iteration
    model_totals: tuple[float, ...] = ()  # each model's weighted total
    stage: int = 1  # auto strength: the step of the strength ladder (1 = the first strength)
    stages: int = 1  # how many steps the ladder has at most
    strength: Strength = NO_CHANGE  # the largest change allowed in this step
    budget: str = "adaptive"  # how this step shares the strength out (settings.BUDGETS)

    def to_dict(self) -> dict:
        """JSON-ready, the strength in levels."""
        return {**asdict(self), "strength": self.strength.levels}


@dataclass
class ProtectionResult:
    """What a protection produced."""

    protected: np.ndarray  # HxWx3 uint8, exactly what gets written
    noise: np.ndarray  # HxWx3 int16, protected - original in levels (zero outside the windows)
    history: list[IterationReport]
    target_colour: tuple[int, int, int]
    best_iterations: list[int]  # per window: the kept iterate of the last step it ran (updates applied in that step)
    best_loss: float  # the objective of those iterates
    elapsed: float
    setup_time: float
    settings: ProtectionSettings = field(default_factory=ProtectionSettings)
    windows: list[Box] = field(default_factory=list)  # where the noise may be non-zero
    full_frame: bool = True  # every view is of the whole image (IOPaint up to 800 px, ComfyUI, the 512 px apps)
    regions: list[Region] = field(default_factory=list)  # the mask's regions, in reading order
    region_windows: list[int] = field(default_factory=list)  # the window of each region
    region_outcomes: list[RegionOutcome] = field(default_factory=list)  # what each region's noise comes from
    contexts: list[np.ndarray] = field(default_factory=list)  # per window: the region index of each pixel
    steps: int = 1  # steps of the strength ladder run
    engine: str = "eager"  # "cuda graph" when the iterations were replayed from a captured one
    step_runs: list[StepRun] = field(default_factory=list)  # how many iterations each step ran, and why it stopped
    judge_seconds: float = 0.0  # spent judging iterates and steps (in ``elapsed``)

    def region_iteration(self, index: int) -> int:
        """The iterate region ``index`` (0-based) keeps, counted within its step."""
        return self.region_outcomes[index].iteration

    def region_strength(self, index: int) -> Strength:
        """The strength of the step region ``index`` (0-based) keeps."""
        return self.region_outcomes[index].strength

    def context_mask(self, index: int) -> np.ndarray:
        """Region ``index``'s context (the pixels of its window nearer to it than to any other region) as
        an HxW bool mask: where its noise lives."""
        window = self.region_windows[index]
        mask = np.zeros(self.protected.shape[:2], bool)
        mask[self.windows[window].slices] = self.contexts[window] == index
        return mask


#: With a judge, every this many iterates are judged by the verdict's measure (docs/method.md, section 6a).
CHECK_EVERY = 4
#: A step stops once every region it optimises falls at most this short (the verdict's limit is 1): room for
#: what the file goes through before an edit (chosen by benchmarks/least_noise.py; docs/method.md, 6a).
HOLD_MARGIN = 0.8


def protect(
    models: Inpainter | Sequence[Inpainter],
    rgb: np.ndarray,
    mask: np.ndarray,
    settings: ProtectionSettings = ProtectionSettings(),
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    fixed: np.ndarray | None = None,
    judge: Judge | None = None,
    source: NoiseSource = OPTIMISER,
    colour: tuple[int, int, int] | None = None,
) -> ProtectionResult:
    """Optimise protective noise for ``rgb`` (HxWx3 uint8) over ``mask`` (HxW bool).

    The inputs are trusted: the mask and settings as checked at the door
    (:class:`~guardpaint.core.protection.request.ProtectionRequest`), the models on one device.
    The noise lives in the windows of :func:`~guardpaint.core.protection.windows.plan_protection`: the
    parts of the image the chosen editors run the model on (for IOPaint alone the whole frame up to
    800 px, else its crops around each region). Pixels where ``fixed`` is True
    (fully transparent ones) get none; a grey image gets grey noise, so it stays grey. With
    ``settings.jpeg_quality`` every evaluation sees the image after a differentiable JPEG round trip.
    Against several models (an ensemble) the loss is the mean of their objectives and
    each window keeps the iterate whose worst model fares best, scored in fp32 whatever the loop's
    precision. The fill is aimed at ``colour`` (the settings', else one chosen for the image). Raises
    :class:`Cancelled` when ``should_cancel`` returns True (checked once per iteration).

    With ``judge`` (it gets the 8-bit image and returns each region's shortfall) every
    :data:`CHECK_EVERY` iterates are judged: each window keeps the iterate the verdict prefers, and a step
    stops once every region it optimises holds with :data:`HOLD_MARGIN` (``settings.stop_when_held``).
    With auto strength the regions are optimised at the first strength of :func:`strength_ladder`,
    judged, and the regions that do not hold climb to the next strength, region by region
    (:mod:`~guardpaint.core.protection.ladder`). Without a judge each window keeps its iterate of least
    loss and every step runs all its iterations.

    Each step starts its noise from ``source`` (:mod:`~guardpaint.core.protection.sources`), which also
    says how many iterations follow.

    The stages, each with one job (:class:`_Protection`): set up the windows and the objective, start
    each step's noise, optimise it, judge the written file and climb the ladder.
    """
    run = _Protection(models, rgb, mask, source.settings_for(settings), fixed, judge, source, colour)
    for step, rung in enumerate(run.rungs, start=1):
        windows = run.start_step(step, rung)
        run.optimise(step, rung, windows, on_iteration, should_cancel)
        if not run.judge_step(step):
            break
    return run.result()


class _Protection:
    """One protection's state through its stages."""

    def __init__(self, models: Inpainter | Sequence[Inpainter], rgb: np.ndarray, mask: np.ndarray,
                 settings: ProtectionSettings, fixed: np.ndarray | None, judge: Judge | None,
                 source: NoiseSource, colour: tuple[int, int, int] | None) -> None:
        """Set the protection up (:func:`~guardpaint.core.protection.setup.set_up`) and build the ladder."""
        models = [models] if isinstance(models, Inpainter) else list(models)
        self.settings = settings = replace(settings, precision=resolve_precision(settings.precision, models[0].device))
        self.rgb = rgb
        self.started = time.perf_counter()
        colour = colour or settings.target_colour or choose_target_colour(rgb)
        self.setup = setup = set_up(models, rgb, mask, settings, colour, fixed)
        self.plan, self.noise = setup.plan, setup.noise
        self.rungs = strength_ladder(settings) if judge is not None else [Rung(Strength(settings.epsilon),
                                                                                    settings.budget)]
        self.judge = judge
        self.ladder = RegionLadder(self.noise, [(rung.strength, rung.budget) for rung in self.rungs], judge)
        self.step_runs: list[StepRun] = []
        self.kept = KeptIterates(self.noise)
        capturable = setup.objective.fixed and not settings.jpeg_quality and not setup.save_memory
        self.optimiser = StepOptimiser(setup.objective, self.noise, self.kept, settings, capturable)
        self.source = source
        self.history: list[IterationReport] = []
        self.window_iterations = [0] * len(setup.plan.windows)
        self.engines: set[str] = set()
        self.steps = 0
        self.setup_time = time.perf_counter() - self.started
        self.optimising_since = time.perf_counter()

    def start_step(self, step: int, rung: Rung) -> list[int]:
        """Set the climbing regions' strength and where their noise starts (the source's say); the other
        regions' noise is frozen. The windows to optimise."""
        noise, ladder = self.noise, self.ladder
        windows = ladder.windows()
        noise.set_strength(ladder.climbing, rung.strength.fraction)
        if step > 1:  # the climbing regions start from their accepted noise; the others keep theirs
            for window in windows:
                noise.restore(window, ladder.accepted[window])
            noise.freeze(ladder.frozen(), ladder.accepted)
        self.source.start(self.setup, windows, ladder.climbing, rung.budget)
        return windows

    def optimise(self, step: int, rung: Rung, windows: list[int],
                 on_iteration: Callable[[IterationReport], None] | None,
                 should_cancel: Callable[[], bool] | None) -> None:
        """The source's iterations of the windows' noise, each iterate scored and offered to the kept ones."""
        iterations = self.source.iterations(self.settings)
        reporter = _Reporter(self.history, on_iteration, iterations, self.optimising_since, windows,
                             self.kept.scores.clone(), (step, len(self.rungs), rung))
        check = None if self.judge is None else StepCheck(CHECK_EVERY, self._judge_windows)
        self.step_runs.append(self.optimiser.run(windows, self.source.offers_start(step), reporter,
                                                 iterations, should_cancel, check))
        self.engines.add("cuda graph" if self.optimiser.graphed else "eager")
        for window, iteration in zip(windows, self.kept.iterations[windows].tolist(), strict=True):
            self.window_iterations[window] = iteration
        self.steps = step

    def _judge_windows(self, deltas: dict[int, torch.Tensor]) -> tuple[dict[int, float], bool]:
        """The written file with ``deltas`` in their windows (the accepted noise elsewhere), judged: each of those
        windows' worst regional shortfall, and whether the step may stop (every climbing region in them falls
        at most :data:`HOLD_MARGIN` short and every other region there still holds)."""
        noise, ladder = self.noise, self.ladder
        full = [deltas[w] if w in deltas else ladder.accepted[w] for w in range(len(noise.deltas))]
        verdict = self.judge(noise.written(full))
        worst = {w: max(verdict[index + 1].worst for index in noise.members[w]) for w in deltas}
        inside = [index for w in deltas for index in noise.members[w]]
        holds = all(verdict[index + 1].worst <= (HOLD_MARGIN if index in ladder.climbing else 1) for index in inside)
        return worst, holds and self.settings.stop_when_held

    def judge_step(self, step: int) -> bool:
        """Judge the written file region by region (auto strength); whether another step climbs."""
        self.ladder.after_step(step, self.kept)
        return bool(self.ladder.climbing)

    def result(self) -> ProtectionResult:
        protected = self.noise.written(self.ladder.accepted)
        plan = self.plan
        return ProtectionResult(
            protected=protected,
            noise=protected.astype(np.int16) - self.rgb.astype(np.int16),
            history=self.history,
            target_colour=tuple(int(c) for c in self.setup.colour),
            best_iterations=self.window_iterations,
            best_loss=float(self.kept.scores.sum()),
            elapsed=time.perf_counter() - self.started,
            setup_time=self.setup_time,
            settings=self.settings,
            windows=plan.windows,
            full_frame=plan.full_frame,
            regions=plan.regions,
            region_windows=self.noise.region_windows,
            region_outcomes=self.ladder.outcomes,
            contexts=self.noise.labels,
            steps=self.steps,
            engine=" and ".join(sorted(self.engines)),
            step_runs=self.step_runs,
        )


@dataclass(frozen=True)
class Rung:
    """One step of the strength ladder: the largest change and the budget it is shared out by
    (settings.BUDGETS: ``uniform`` is the full strength wherever the pixel acts on the edit)."""

    strength: Strength
    budget: str


def strength_ladder(settings: ProtectionSettings) -> list[Rung]:
    """The steps auto strength tries, weakest first: ``strength_steps`` strengths from half the cap
    (``epsilon``) to the cap in equal ratios with the chosen budget and then, unless that budget is
    already uniform (or the reference's), the cap on every pixel of a region's context that acts on the edit:
    a region never fails by default where the uniform budget at the cap would hold it. Without auto
    strength, the cap alone."""
    if not settings.auto_strength:
        return [Rung(Strength(settings.epsilon), settings.budget)]
    steps = settings.strength_steps
    rungs = [Rung(Strength(settings.epsilon * 0.5 ** (1 - i / (steps - 1)) if steps > 1 else settings.epsilon),
                  settings.budget) for i in range(steps)]
    if settings.budget not in FULL_BUDGETS:
        rungs.append(Rung(Strength(settings.epsilon), "uniform"))
    return rungs


class _Reporter:
    """Turns one step's scored iterates into :class:`IterationReport` s: its iterate's scores (the other
    windows' kept ones), the random terms of the gradient pass that led to it, and the ladder's step."""

    def __init__(self, history: list[IterationReport], listener: Callable[[IterationReport], None] | None,
                 iterations: int, started: float, windows: list[int], kept: torch.Tensor,
                 stage: tuple[int, int, Rung]) -> None:
        self.history, self.listener, self.iterations, self.started = history, listener, iterations, started
        self.windows, self.kept, self.stage = windows, kept, stage

    def __call__(self, step: int, scores: Scores, previous: Scores) -> None:
        totals = self.kept.clone()
        totals[self.windows] = scores.window_totals[self.windows]
        values = torch.cat([scores.terms.float(), totals.sum()[None], scores.model_totals.float()]).cpu().tolist()
        count = len(TERM_NAMES)
        number, stages, rung = self.stage
        robust = previous.random.get(ROBUST_TERM.name, 0.0)
        report = IterationReport(step, self.iterations, dict(zip(TERM_NAMES, values[:count], strict=True)),
                                 values[count], time.perf_counter() - self.started, robust,
                                 len(self.windows), tuple(values[count + 1:]),
                                 number, stages, rung.strength, rung.budget)
        self.history.append(report)
        if self.listener is not None:
            self.listener(report)
