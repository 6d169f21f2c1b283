"""The objective: loss terms evaluated with probes batched through the model by size, one batch's graph
alive at a time, and one step of it per iterate (the gradient in the loop's precision, the score in fp32).

Probes that share a batch key and an input size run through the model together, up to
:data:`MAX_BATCH_PIXELS` per pass. A GPU is bound by kernel launches at these sizes, a CPU by memory
traffic: three regions on the CPU took 3.1x the time of a 512 px protection batched per window,
3.9-4.7x batched across windows, with 2.3x the peak memory (benchmarks/protect_regions.py); so the
standard terms batch per window on a CPU and across windows on CUDA. With ``backward`` each batch's
weighted share of the total is back-propagated as soon as it is computed: memory grows with the
largest view, not with the regions.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import torch

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.protection.noise import WindowNoise
from guardpaint.core.protection.robust import RandomAttacks
from guardpaint.core.protection.terms import Adversarial, LossTerm, Probe
from guardpaint.models.base import Inpainter

#: Most pixels run through the model in one batch (three edits of a 1024 x 1024 image), so memory
#: stays bounded however many regions share a size.
MAX_BATCH_PIXELS = 3 * 1024 * 1024


@dataclass
class Evaluation:
    """Each term's mean squared error and, for the selecting terms, the weighted total split by window."""

    values: torch.Tensor  # (terms,)
    window_parts: torch.Tensor  # (windows,)


def _batches(terms: list[LossTerm], batch_edits: bool, active: list[int] | None = None
             ) -> list[list[tuple[int, Probe]]]:
    """(term index, probe) pairs grouped by batch key and input size: the selecting terms' window by window,
    then the others'; each group split so that no pass exceeds :data:`MAX_BATCH_PIXELS`. With ``active``,
    only the probes of those windows (and of the whole frame)."""
    entries = [(index, probe) for index, term in enumerate(terms) for probe in term.probes
               if active is None or probe.window is None or probe.window in active]
    entries.sort(key=lambda entry: (not terms[entry[0]].selects, -1 if entry[1].window is None else entry[1].window))
    groups: dict[tuple, list[tuple[int, Probe]]] = defaultdict(list)
    for entry in entries:
        probe = entry[1]
        key = (probe.batch, *probe.hole.shape[-2:], probe.blend is None) if batch_edits else (len(groups),)
        groups[key].append(entry)
    chunks = []
    for group in groups.values():
        height, width = group[0][1].hole.shape[-2:]
        size = max(1, MAX_BATCH_PIXELS // (height * width))
        chunks += [group[i:i + size] for i in range(0, len(group), size)]
    return chunks


def _edits(model: Inpainter, probes: list[Probe], adversarial: Adversarial) -> torch.Tensor:
    """The editor's fills of a batch of probes (Bx3xhxw, float32: ``model`` computes in its own dtype),
    blended as each probe says."""
    inputs = torch.cat([probe.input(adversarial) for probe in probes])
    holes = torch.cat([probe.hole for probe in probes])
    edited = edit(model, inputs, holes)
    if probes[0].blend is not None:
        blend = torch.cat([probe.blend for probe in probes])
        edited = edited * blend + inputs * (1 - blend)
    return edited


def fill_clean_targets(model: Inpainter, terms: list[LossTerm], clean: Adversarial, batch_edits: bool) -> None:
    """Replace each probe of the ``hide`` term's target by the fp32 edit of the clean image: it does not
    depend on the noise, so it is computed once."""
    hide = [term for term in terms if term.name == "hide"]
    with torch.no_grad():
        for batch in _batches(hide, batch_edits):
            probes = [probe for _, probe in batch]
            for probe, target in zip(probes, _edits(model, probes, clean), strict=True):
                probe.target = target[None]


def evaluate(model: Inpainter, terms: list[LossTerm], adversarial: Adversarial, windows: int,
             backward: bool = False, scale: float = 1.0, batch_edits: bool = True, active: list[int] | None = None
             ) -> Evaluation:
    """Every term's value for the current noise; with ``backward`` the gradient of ``scale`` times the
    weighted total is accumulated in the noise. Both results are detached. With ``active`` only those
    windows are evaluated (the others' parts stay zero, and the values cover those windows only)."""
    device = model.device
    values = torch.zeros(len(terms), device=device)
    parts = torch.zeros(windows, device=device)
    weights = torch.tensor([term.weight for term in terms], device=device)
    counts = torch.tensor([term.count for term in terms], device=device)
    with torch.set_grad_enabled(backward):
        for batch in _batches(terms, batch_edits, active):
            probes = [probe for _, probe in batch]
            index = torch.tensor([term for term, _ in batch], device=device)
            edited = _edits(model, probes, adversarial)
            targets = torch.cat([probe.target.expand(1, 3, *edited.shape[-2:]) for probe in probes])
            scored = torch.cat([probe.scored for probe in probes])
            squared = ((edited - targets) ** 2 * scored).sum(dim=(1, 2, 3))
            shares = squared * weights[index] / counts[index]
            if backward:
                (shares.sum() * scale).backward()
            values = values.index_add(0, index, squared.detach())
            chosen = [i for i, probe in enumerate(probes) if probe.window is not None and terms[batch[i][0]].selects]
            if chosen:
                where = torch.tensor([probes[i].window for i in chosen], device=device)
                parts = parts.index_add(0, where, shares.detach()[chosen])
    return Evaluation(values / counts, parts)


@dataclass
class Scores:
    """One iterate, scored in fp32 on the 8-bit image it would write, and what its gradient pass measured."""

    terms: torch.Tensor  # (3,): attack, incomplete, hide, each the mean over the models
    window_totals: torch.Tensor  # (windows,): per window the worst model's weighted total, which selects
    model_totals: tuple[float, ...]  # each model's weighted total over all windows
    random: dict[str, float]  # mean value of each randomised or whole-frame term (gradient pass only)


class Objective:
    """The protection's loss against every model (an ensemble: their mean): the reference terms, plus at the
    robust level the random editor attacks and IOPaint's resize view."""

    def __init__(self, models: list[Inpainter], standard: list[list[LossTerm]], extra: list[list[LossTerm]],
                 attacks: RandomAttacks | None, windows: int, batch_edits: bool,
                 gradient_models: list[Inpainter] | None = None) -> None:
        """``models`` score in float32; ``gradient_models`` (the same ones when the loop runs in float32)
        are their copies in the loop's compute dtype, which take the gradients."""
        self.models, self.standard, self.extra, self.attacks = models, standard, extra, attacks
        self.windows, self.batch_edits = windows, batch_edits
        self.gradient_models = gradient_models or models

    def step(self, noise: WindowNoise, with_gradient: bool, active: list[int] | None = None) -> Scores:
        """Project the noise, score it in fp32 and, ``with_gradient``, accumulate the gradient of the mean
        total over the models in the loop's precision (one pass for both when that is fp32). With
        ``active`` only those windows are evaluated and attacked."""
        noise.project()
        noise.zero_grad()
        random = self.attacks.draw(active) if with_gradient and self.attacks is not None else []
        terms, parts, measured = [], [], defaultdict(list)
        for model, fast, standard, extra in zip(self.models, self.gradient_models, self.standard, self.extra,
                                                strict=True):
            scored = None
            if with_gradient:
                others = random + extra
                result = evaluate(fast, standard + others, noise.adversarial, self.windows, True,
                                  1 / len(self.models), self.batch_edits, active)
                for term, value in zip(others, result.values[len(standard):].tolist(), strict=True):
                    measured[term.name].append(value)
                scored = result if fast is model else None
            if scored is None:
                scored = evaluate(model, standard, noise.adversarial, self.windows, batch_edits=self.batch_edits,
                                  active=active)
            terms.append(scored.values[:len(standard)])
            parts.append(scored.window_parts)
        per_model = torch.stack(parts)
        return Scores(torch.stack(terms).mean(dim=0), per_model.amax(dim=0), tuple(per_model.sum(dim=1).tolist()),
                      {name: sum(values) / len(values) for name, values in measured.items()})
