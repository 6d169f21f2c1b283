"""Auto strength, region by region: each step of the strength ladder is kept only where the verdict says so.

After the first step every region keeps its noise. A later step optimises the regions that do not hold,
at a higher strength, with every other region's context frozen at the noise it has. The written file is
then judged, and for each climbing region the new noise is kept only where it makes the region hold or
brings it closer (:attr:`~guardpaint.core.evaluation.verify.EditComparison.shortfall` falls); otherwise its
context gets its earlier noise back (:data:`CLOSER`). If the step breaks a region that held, the step is undone in that
region's window, which gives it back the noise (and the verdict) it held with. When the first step left
every failing region's fill as it was under every editor and on every model (a model the noise cannot
move, like the demo), no stronger step is tried: that would only cost time. What each region keeps, and
why, is recorded for the report.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from guardpaint.core.protection.engine import KeptIterates
from guardpaint.core.protection.noise import WindowNoise
from guardpaint.core.protection.settings import Strength


class Shortfall(NamedTuple):
    """How far a region is from holding over the editors and models it is judged under: its shortfall (at
    most 1: it holds) where it holds least and where it holds best, and under how many of them it holds."""

    worst: float
    least: float
    holding: int = 0

    def closer_than(self, before: Shortfall) -> bool:
        """Whether this holds, or is nearer to holding than ``before``: the worst shortfall fell by
        :data:`CLOSER`, or it holds under more editors or models."""
        return self.worst <= 1 or self.worst <= before.worst - CLOSER or self.holding > before.holding


#: Judges a written 8-bit image: each region's shortfall by region number.
Judge = Callable[[np.ndarray], dict[int, Shortfall]]
#: A step that does not make a region hold is kept for it only when its shortfall falls by at least this
#: much (5 % of the limit), or it holds under more editors or models: more noise for a change within the
#: judge's own noise is not worth writing.
CLOSER = 0.05
#: The shortfall of an edit the noise did not move at all (the protected fill is the clean fill: SSIM 1 and
#: the clean distance to the target), less :data:`CLOSER`.
UNMOVED = 2.0 - CLOSER
UNMOVED_NOTE = "the noise did not move the fill at all"
#: Added when the ladder had stronger steps left: they were not tried.
NOT_TRIED = ", so no stronger step was tried"


@dataclass
class RegionOutcome:
    """The noise one region keeps: from which step of the ladder, at what strength, which iterate of it."""

    step: int  # 1-based step of the strength ladder
    strength: Strength  # that step's strength (the largest change)
    budget: str  # how that step shared the strength out over the region's context
    iteration: int  # the kept iterate of that step (updates applied in the step)
    note: str = ""  # why a later step was not kept, when one ran for this region or its window

    def to_dict(self) -> dict:
        return {"step": self.step, "strength": self.strength.levels, "budget": self.budget,
                "iteration": self.iteration, "note": self.note or None}


class RegionLadder:
    """The noise accepted so far for every window and what each region keeps; which regions climb next."""

    def __init__(self, noise: WindowNoise, rungs: list[tuple[Strength, str]], judge: Judge | None) -> None:
        self.noise, self.rungs, self.judge = noise, rungs, judge
        count = len(noise.strengths)
        self.outcomes = [RegionOutcome(1, *rungs[0], 0) for _ in range(count)]
        self.judged = [Shortfall(math.inf, math.inf)] * count  # each region's, with the accepted noise
        self.climbing = list(range(count))  # the regions the next step optimises
        self.accepted: list[torch.Tensor] = []

    def windows(self) -> list[int]:
        """The windows of the climbing regions."""
        return sorted({self.noise.region_windows[index] for index in self.climbing})

    def _judge(self, deltas: list[torch.Tensor]) -> list[Shortfall]:
        verdict = self.judge(self.noise.written(deltas))
        return [verdict[index + 1] for index in range(len(self.outcomes))]

    def _put_back(self, deltas: list[torch.Tensor], index: int) -> None:
        """Give region ``index``'s context its accepted noise in ``deltas``."""
        window = self.noise.region_windows[index]
        inside = self.noise.contexts[window] == index
        deltas[window] = torch.where(inside, self.accepted[window], deltas[window])

    def after_step(self, step: int, kept: KeptIterates) -> None:
        """Decide, region by region, what the step just run (``kept``: its best iterate per window) leaves."""
        rung = self.rungs[step - 1]
        iterations = kept.iterations.tolist()
        windows = self.windows()
        candidate = [kept.deltas[w].clone() if w in windows or not self.accepted else self.accepted[w]
                     for w in range(len(kept.deltas))]
        if not self.accepted:  # the first step: every region keeps its noise
            self.accepted = candidate
            self.outcomes = [RegionOutcome(step, *rung, iterations[window]) for window in self.noise.region_windows]
            if self.judge is not None:
                self.judged = self._judge(candidate)
            self._advance()
            if self.climbing and all(self.judged[i].least >= UNMOVED for i in self.climbing):
                for index in self.climbing:
                    self.outcomes[index].note = UNMOVED_NOTE + (NOT_TRIED if len(self.rungs) > step else "")
                self.climbing = []
            return
        judged = self._judge(candidate)
        taken = [i for i in self.climbing if judged[i].closer_than(self.judged[i])]
        for index in self.climbing:
            if index not in taken:
                self._put_back(candidate, index)
                self.outcomes[index].note = f"step {step} did not bring it closer to holding; step " \
                                            f"{self.outcomes[index].step} kept"
        if len(taken) < len(self.climbing):
            judged = self._judge(candidate)
        broken = [i for i in range(len(self.outcomes))
                  if i not in self.climbing and self.judged[i].worst <= 1 < judged[i].worst]
        if broken:
            undone = {self.noise.region_windows[i] for i in broken}
            names = ", ".join(str(i + 1) for i in broken)
            for index in [i for i in taken if self.noise.region_windows[i] in undone]:
                self._put_back(candidate, index)
                taken.remove(index)
                self.outcomes[index].note = f"step {step} undone: it broke region {names}"
            for index in broken:
                self.outcomes[index].note = f"step {step} of a neighbour undone: it broke this region"
            judged = self._judge(candidate)
        for index in taken:
            self.outcomes[index] = RegionOutcome(step, *rung, iterations[self.noise.region_windows[index]])
        self.accepted, self.judged = candidate, judged
        self._advance()

    @property
    def shortfalls(self) -> list[float]:
        """Each region's worst shortfall with the accepted noise."""
        return [judged.worst for judged in self.judged]

    def _advance(self) -> None:
        """The regions that do not hold climb next (none without a judge)."""
        self.climbing = [] if self.judge is None else [i for i, value in enumerate(self.shortfalls) if value > 1]

    def frozen(self) -> list[int]:
        """The regions whose noise stays as accepted while the climbing ones are optimised."""
        return [i for i in range(len(self.outcomes)) if i not in self.climbing]
