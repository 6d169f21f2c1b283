"""Running one strength step's iterations: eagerly, or on CUDA by replaying one captured iteration.

An iteration evaluates the current iterate (the edits in the loop's precision with their input gradient,
its score in fp32), offers it to the kept iterates, and takes one Adam step. Everything it touches lives
on the device and is updated in place, so on CUDA, after two iterations run eagerly on a side stream,
one iteration is captured as a CUDA graph and the rest are replays: one launch per iteration instead of
thousands, and no host synchronisation except reading the losses each iteration reports. Where capture
cannot serve (random attacks, JPEG output, recomputed activations, a CPU device, or a capture that
fails) every iteration runs eagerly: the same function, the same results.

With a :class:`StepCheck` (a judge of the written file) every few iterates are judged by the verdict's own
measure, the shortfall: each window keeps the judged iterate whose regions fall least short (the loss breaks
ties), the best iterate by loss included, and the step stops once every region holds with a margin.
Without one each window keeps its iterate of least loss.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from guardpaint.core.protection.noise import WindowNoise
from guardpaint.core.protection.objective import Objective, Scores
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.errors import Cancelled

#: Iterations run eagerly before one is captured (cuDNN, cuFFT and the optimiser's state set up).
WARMUP = 2
#: Fewer iterations than this in a step do not repay a capture.
MIN_GRAPH_ITERATIONS = 4


class KeptIterates:
    """Each window's best iterate so far in the current strength step: its score, its number (updates
    applied in the step) and its noise, all on the device."""

    def __init__(self, noise: WindowNoise) -> None:
        device = noise.deltas[0].device
        self.noise = noise
        self.scores = torch.full((len(noise.deltas),), math.inf, device=device)
        self.iterations = torch.zeros(len(noise.deltas), dtype=torch.long, device=device)
        self.deltas = [noise.snapshot(window) for window in range(len(noise.deltas))]
        self.counter = torch.zeros((), dtype=torch.long, device=device)  # the iterate being evaluated

    def start(self, windows: list[int]) -> None:
        """A new step for ``windows``: nothing kept yet, counting from iterate 0."""
        with torch.no_grad():
            for window in windows:
                self.scores[window] = math.inf
            self.counter.zero_()

    def offer(self, windows: list[int], totals: torch.Tensor, keep_best: bool) -> None:
        """Keep the current iterate for each of ``windows`` whose total is lower (every one without
        ``keep_best``)."""
        with torch.no_grad():
            for window in windows:
                current = self.noise.deltas[window].detach()
                if keep_best:
                    take = totals[window] < self.scores[window]
                    self.scores[window] = torch.where(take, totals[window], self.scores[window])
                    self.iterations[window] = torch.where(take, self.counter, self.iterations[window])
                    self.deltas[window].copy_(torch.where(take, current, self.deltas[window]))
                else:
                    self.scores[window] = totals[window]
                    self.iterations[window] = self.counter
                    self.deltas[window].copy_(current)


#: Called after each iterate k >= 1 is scored: (k, its scores, the scores of iterate k - 1).
Reporter = Callable[[int, Scores, Scores], None]


@dataclass(frozen=True)
class StepCheck:
    """How a step asks the verdict: every ``every`` iterates ``judge`` gets the noise of the step's windows
    (each projected into its bounds) and returns each window's shortfall (the worst of its regions') and
    whether every region holds with the margin to stop."""

    every: int
    judge: Callable[[dict[int, torch.Tensor]], tuple[dict[int, float], bool]]


@dataclass(frozen=True)
class StepRun:
    """How a step's iterations went: how many of the planned ran, and why they stopped."""

    planned: int
    run: int
    reason: str  # "all ran", or "every region held with a margin at iterate k"

    def to_dict(self) -> dict:
        return {"planned": self.planned, "run": self.run, "stopped": self.reason}


class JudgedIterates:
    """The best judged iterate of each window in a step: least shortfall, then least loss."""

    def __init__(self) -> None:
        self.best: dict[int, tuple[float, float, int, torch.Tensor]] = {}  # window: (shortfall, loss, k, delta)
        self.judged: dict[int, set[int]] = {}  # window: the iterates judged

    def offer(self, verdicts: dict[int, float], totals: torch.Tensor, deltas: dict[int, torch.Tensor],
              iteration: int) -> None:
        for window, shortfall in verdicts.items():
            self.judged.setdefault(window, set()).add(iteration)
            candidate = (shortfall, float(totals[window]), iteration, deltas[window])
            if window not in self.best or candidate[:2] < self.best[window][:2]:
                self.best[window] = candidate


class StepOptimiser:
    """Optimises some windows for one strength step: ``iterations`` Adam updates, each iterate scored and
    offered to the kept iterates."""

    def __init__(self, objective: Objective, noise: WindowNoise, kept: KeptIterates, settings: ProtectionSettings,
                 capturable: bool) -> None:
        self.objective, self.noise, self.kept, self.settings = objective, noise, kept, settings
        self.capturable = capturable and noise.deltas[0].device.type == "cuda"
        self.graphed = False  # whether the last step's iterations were replayed from a CUDA graph
        self.graph_error: str | None = None  # why capture failed, once it has

    def run(self, windows: list[int], offer_first: bool, report: Reporter, iterations: int,
            should_cancel: Callable[[], bool] | None = None, check: StepCheck | None = None) -> StepRun:
        """Optimise ``windows`` from their current noise for ``iterations`` updates (0: the current noise is only
        scored). Iterate 0 competes for the kept one only with ``offer_first``
        (a new start; a later step that starts from noise already judged does not offer it). With ``check``
        the kept iterate is the one the verdict prefers, and the step may stop early."""
        settings = self.settings
        if iterations == 0:
            self.kept.start(windows)
            scores = self.objective.step(self.noise, with_gradient=False, active=windows)
            self.kept.offer(windows, scores.window_totals, settings.keep_best)
            self.graphed = False
            return StepRun(0, 0, "all ran")
        use_graph = self.capturable and self.graph_error is None and iterations >= MIN_GRAPH_ITERATIONS
        optimiser = torch.optim.Adam([self.noise.deltas[w] for w in windows], lr=settings.learning_rate,
                                     betas=settings.betas, eps=settings.adam_eps, capturable=use_graph)
        self.kept.start(windows)
        judged = JudgedIterates() if check is not None else None

        def iteration(offer: bool) -> Scores:
            scores = self.objective.step(self.noise, with_gradient=True, active=windows)
            if offer:
                self.kept.offer(windows, scores.window_totals, settings.keep_best)
            optimiser.step()
            self.kept.counter.add_(1)
            return scores

        graph, captured = None, None
        previous = None
        side = torch.cuda.Stream() if use_graph else None
        stopped = None
        for k in range(iterations):
            if k and should_cancel is not None and should_cancel():
                raise Cancelled("protection cancelled")
            verdict = self._judge(windows, check) if check is not None and k and k % check.every == 0 else None
            if verdict is not None and verdict[2]:  # every region holds with a margin: score this one and stop
                scores = self.objective.step(self.noise, with_gradient=False, active=windows)
                self.kept.offer(windows, scores.window_totals, settings.keep_best)
                judged.offer(verdict[0], scores.window_totals, verdict[1], k)
                report(k, scores, previous)
                stopped = k
                break
            if graph is not None:
                graph.replay()
                scores = captured
            elif use_graph and k == WARMUP:
                graph, captured = self._capture(lambda: iteration(True))
                if graph is None:
                    use_graph = False
                    scores = iteration(True)
                else:
                    graph.replay()
                    scores = captured
            elif use_graph:  # warm-up, on a side stream as capture requires
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    scores = iteration(offer_first or k > 0)
                torch.cuda.current_stream().wait_stream(side)
            else:
                scores = iteration(offer_first or k > 0)
            if verdict is not None:
                judged.offer(verdict[0], scores.window_totals, verdict[1], k)
            if k:
                report(k, scores, previous)
            previous = scores
        if stopped is None:
            if should_cancel is not None and should_cancel():
                raise Cancelled("protection cancelled")
            verdict = self._judge(windows, check) if check is not None else None
            scores = self.objective.step(self.noise, with_gradient=False, active=windows)
            self.kept.offer(windows, scores.window_totals, settings.keep_best)
            if verdict is not None:
                judged.offer(verdict[0], scores.window_totals, verdict[1], iterations)
            report(iterations, scores, previous)
        if judged is not None:
            self._settle(windows, judged, check)
        self.graphed = graph is not None
        reason = "all ran" if stopped is None else f"every region held with a margin at iterate {stopped}"
        return StepRun(iterations, iterations if stopped is None else stopped, reason)

    def _judge(self, windows: list[int], check: StepCheck,
               deltas: dict[int, torch.Tensor] | None = None) -> tuple[dict[int, float], dict[int, torch.Tensor], bool]:
        """The current noise of ``windows`` (or ``deltas``), projected, judged: (shortfalls, the noise, stop)."""
        if deltas is None:
            self.noise.project()
            deltas = {window: self.noise.snapshot(window) for window in windows}
        verdicts, stop = check.judge(deltas)
        return verdicts, deltas, stop

    def _settle(self, windows: list[int], judged: JudgedIterates, check: StepCheck) -> None:
        """Judge the iterate of least loss where it was not judged, then give each window the judged iterate
        the verdict prefers."""
        unjudged = [w for w in windows if int(self.kept.iterations[w]) not in judged.judged.get(w, set())]
        if unjudged:
            deltas = {w: self.kept.deltas[w].clone() for w in windows}
            verdicts, _, _ = self._judge(windows, check, deltas)
            for window in unjudged:
                judged.offer({window: verdicts[window]}, self.kept.scores, deltas, int(self.kept.iterations[window]))
        with torch.no_grad():
            for window in windows:
                _, loss, iteration, delta = judged.best[window]
                self.kept.deltas[window].copy_(delta)
                self.kept.iterations[window] = iteration
                self.kept.scores[window] = loss

    def _capture(self, iteration: Callable[[], Scores]) -> tuple[torch.cuda.CUDAGraph | None, Scores | None]:
        """One iteration captured as a CUDA graph (not run), with the scores it writes; (None, None) and the
        reason kept in ``graph_error`` when capture fails: the step then goes on eagerly."""
        self.noise.zero_grad()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                scores = iteration()
        except RuntimeError as exc:
            self.graph_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            self.noise.zero_grad()
            return None, None
        return graph, scores
