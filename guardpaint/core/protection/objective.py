"""The objective: loss terms evaluated with probes batched through the model by size, one batch's graph
alive at a time, and one step of it per iterate (the gradient in the loop's precision, the score in fp32).

Probes that share a batch key, a box size and an editor's transfer run through the model together, up to
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


@dataclass
class Batch:
    """Probes that run through the model in one pass, with the indices their results scatter to (made once,
    on the device: evaluating a prepared batch copies nothing from the host, so it can be captured in a
    CUDA graph)."""

    probes: list[Probe]
    terms: torch.Tensor  # (probes,): the term of each probe
    selecting: torch.Tensor | None  # positions of the probes whose weighted share selects an iterate
    windows: torch.Tensor | None  # the windows of those probes


@dataclass
class PreparedTerms:
    """Terms grouped into batches for one set of windows, with their weights and pixel counts on the device."""

    terms: list[LossTerm]
    batches: list[Batch]
    weights: torch.Tensor  # (terms,)
    counts: torch.Tensor  # (terms,)


def _groups(terms: list[LossTerm], batch_edits: bool, active: list[int] | None = None
            ) -> list[list[tuple[int, Probe]]]:
    """(term index, probe) pairs grouped by batch key and input size: the selecting terms' window by window,
    then the others'; each group split so that no pass exceeds :data:`MAX_BATCH_PIXELS`. With ``active``,
    only the probes of those windows (and of the whole frame)."""
    entries = [(index, probe) for index, term in enumerate(terms) for probe in term.probes
               if active is None or probe.window in active]
    entries.sort(key=lambda entry: (not terms[entry[0]].selects, entry[1].window))
    groups: dict[tuple, list[tuple[int, Probe]]] = defaultdict(list)
    for entry in entries:
        probe = entry[1]
        key = (probe.batch, probe.box.height, probe.box.width, probe.transfer) if batch_edits else (len(groups),)
        groups[key].append(entry)
    chunks = []
    for group in groups.values():
        probe = group[0][1]
        pixels = max(probe.box.height * probe.box.width, probe.hole.shape[-2] * probe.hole.shape[-1])
        size = max(1, MAX_BATCH_PIXELS // pixels)
        chunks += [group[i:i + size] for i in range(0, len(group), size)]
    return chunks


def prepare(terms: list[LossTerm], batch_edits: bool, device: torch.device, active: list[int] | None = None
            ) -> PreparedTerms:
    """The batches of ``terms`` (those of the ``active`` windows, all when None) and their device tensors."""
    batches = []
    for group in _groups(terms, batch_edits, active):
        probes = [probe for _, probe in group]
        chosen = [i for i, (term, _) in enumerate(group) if terms[term].selects]
        batches.append(Batch(
            probes, torch.tensor([term for term, _ in group], device=device),
            torch.tensor(chosen, device=device) if chosen else None,
            torch.tensor([probes[i].window for i in chosen], device=device) if chosen else None))
    return PreparedTerms(terms, batches, torch.tensor([term.weight for term in terms], device=device),
                         torch.tensor([term.count for term in terms], device=device))


def _edits(model: Inpainter, probes: list[Probe], adversarial: Adversarial) -> torch.Tensor:
    """The editor's edits of a batch of probes of one transfer, box-sized (Bx3xhxw, float32: ``model``
    computes in its own dtype)."""
    inputs = torch.cat([probe.input(adversarial) for probe in probes])
    holes = torch.cat([probe.hole for probe in probes])
    blends = None if probes[0].blend is None else torch.cat([probe.blend for probe in probes])
    return probes[0].transfer.forward(model, inputs, holes, blends)


def fill_clean_targets(model: Inpainter, terms: list[LossTerm], clean: Adversarial, batch_edits: bool) -> None:
    """Replace the target of each probe of the terms aimed at the clean edit (the hide term) by the fp32 edit
    of the clean image: it does not depend on the noise, so it is computed once."""
    clean_terms = [term for term in terms if term.clean_target]
    with torch.no_grad():
        for batch in _groups(clean_terms, batch_edits):
            probes = [probe for _, probe in batch]
            for probe, target in zip(probes, _edits(model, probes, clean), strict=True):
                probe.target = target[None]


def evaluate(model: Inpainter, prepared: PreparedTerms, adversarial: Adversarial, windows: int,
             backward: bool = False, scale: float = 1.0) -> Evaluation:
    """Every term's value for the current noise; with ``backward`` the gradient of ``scale`` times the
    weighted total is accumulated in the noise. Both results are detached. Only the windows ``prepared``
    for are evaluated (the others' parts stay zero, and the values cover those windows only)."""
    device = model.device
    values = torch.zeros(len(prepared.terms), device=device)
    parts = torch.zeros(windows, device=device)
    with torch.set_grad_enabled(backward):
        for batch in prepared.batches:
            edited = _edits(model, batch.probes, adversarial)
            targets = torch.cat([probe.target.expand(1, 3, *edited.shape[-2:]) for probe in batch.probes])
            scored = torch.cat([probe.scored for probe in batch.probes])
            squared = ((edited - targets) ** 2 * scored).sum(dim=(1, 2, 3))
            shares = squared * prepared.weights[batch.terms] / prepared.counts[batch.terms]
            if backward:
                (shares.sum() * scale).backward()
            values = values.index_add(0, batch.terms, squared.detach())
            if batch.selecting is not None:
                parts = parts.index_add(0, batch.windows, shares.detach()[batch.selecting])
    return Evaluation(values / prepared.counts, parts)


@dataclass
class Scores:
    """One iterate, scored in fp32 on the 8-bit image it would write, and what its gradient pass measured."""

    terms: torch.Tensor  # (standard terms,): each the mean over the models, in loss_terms.TERM_NAMES order
    window_totals: torch.Tensor  # (windows,): per window the worst model's weighted total, which selects
    model_totals: torch.Tensor  # (models,): each model's weighted total over all windows
    random: dict[str, float]  # mean value of each randomised term (gradient pass only)


class Objective:
    """The protection's loss against every model (an ensemble: their mean) through every chosen editor: the
    reference terms, plus at the robust level the random editor attacks."""

    def __init__(self, models: list[Inpainter], standard: list[list[LossTerm]],
                 attacks: RandomAttacks | None, windows: int, batch_edits: bool,
                 gradient_models: list[Inpainter] | None = None) -> None:
        """``models`` score in float32; ``gradient_models`` (the same ones when the loop runs in float32)
        are their copies in the loop's compute dtype, which take the gradients."""
        self.models, self.standard, self.attacks = models, standard, attacks
        self.windows, self.batch_edits = windows, batch_edits
        self.gradient_models = gradient_models or models
        self._prepared: dict[tuple, PreparedTerms] = {}

    @property
    def fixed(self) -> bool:
        """Whether every step evaluates the same edits (no random attacks, no network drawing at random): one
        iteration can then be captured once and replayed."""
        return self.attacks is None and not any(model.random for model in self.gradient_models)

    def _terms(self, index: int, terms: list[LossTerm], key: str, active: list[int] | None) -> PreparedTerms:
        """``terms`` prepared for the ``active`` windows, made once for the terms fixed for the protection."""
        if len(terms) > len(self.standard[index]):  # this iteration's random attacks
            return prepare(terms, self.batch_edits, self.models[index].device, active)
        cache_key = (index, key, None if active is None else tuple(active))
        if cache_key not in self._prepared:
            self._prepared[cache_key] = prepare(terms, self.batch_edits, self.models[index].device, active)
        return self._prepared[cache_key]

    def step(self, noise: WindowNoise, with_gradient: bool, active: list[int] | None = None,
             score: bool = True) -> Scores | None:
        """Project the noise, score it in fp32 and, ``with_gradient``, accumulate the gradient of the mean
        total over the models in the loop's precision (one pass for both when that is fp32). With
        ``active`` only those windows are evaluated and attacked. Without ``score`` only the gradient is
        taken (no fp32 pass where the loop runs in another precision) and nothing is returned."""
        noise.project()
        noise.zero_grad()
        random = self.attacks.draw(active) if with_gradient and self.attacks is not None else []
        terms, parts, measured = [], [], defaultdict(list)
        for index, (model, fast) in enumerate(zip(self.models, self.gradient_models, strict=True)):
            standard, scored = self.standard[index], None
            if with_gradient:
                prepared = self._terms(index, standard + random, "gradient", active)
                result = evaluate(fast, prepared, noise.adversarial, self.windows, True, 1 / len(self.models))
                for term, value in zip(random, result.values[len(standard):].tolist(), strict=True):
                    measured[term.name].append(value)
                scored = result if fast is model else None
            if not score:
                continue
            if scored is None:
                scored = evaluate(model, self._terms(index, standard, "score", active), noise.adversarial,
                                  self.windows)
            terms.append(scored.values[:len(standard)])
            parts.append(scored.window_parts)
        if not score:
            return None
        per_model = torch.stack(parts)
        return Scores(torch.stack(terms).mean(dim=0), per_model.amax(dim=0), per_model.sum(dim=1),
                      {name: sum(values) / len(values) for name, values in measured.items()})
