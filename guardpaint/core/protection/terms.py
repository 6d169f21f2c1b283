"""Loss terms behind one interface: a weighted mean squared error over the edits ("probes") a term scores.

``L = sum over terms of weight * mse(term)``, each term the mean over the regions of its mean over each
region's scored pixels (docs/method.md). The reference objective's three terms are declared in
:mod:`~guardpaint.core.protection.loss_terms` (attack, incomplete trigger and hide, weights 1, 1 and 2).

The robust level adds one term per random editor attack (:mod:`guardpaint.core.protection.robust`),
with its own explicit weight: switching it on never re-weights another term. Terms that ``select`` (the
three above: deterministic and separable by window) also decide which iterate each window keeps.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.tensors import mask_to_tensor
from guardpaint.core.editor.transfers import Native, Transfer
from guardpaint.core.editor.views import View
from guardpaint.core.protection.loss_terms import STANDARD_TERMS, TERM_NAMES
from guardpaint.core.protection.windows import Plan
from guardpaint.models.kinds import LAMA, NetworkKind

#: The adversarial image of a window (1x3xhxw), by window index.
Adversarial = Callable[[int], torch.Tensor]


@dataclass(eq=False)
class Probe:
    """One edit a term scores: where its input comes from, how the editor takes it to the model, the hole,
    and what the fill should be.

    The input is ``box`` of window ``window`` (in the window's coordinates) after an optional ``transform``
    (a random attack's image operation); the editor's ``transfer`` takes it to the model, where ``hole``
    (model-sized, 1x1xhxw in {0, 1}) is filled and, for IOPaint's resize, blended with the soft weight
    ``blend``; the result comes back box-sized. It is scored at the ``scored`` pixels (box-sized weights:
    the view's paste pixels) against ``target`` (a colour, 1x3x1x1, or an image). Probes with the same
    ``batch`` key, box size and transfer may share one pass through the model.
    """

    window: int
    box: Box
    hole: torch.Tensor
    target: torch.Tensor
    scored: torch.Tensor
    transfer: Transfer = Native()
    blend: torch.Tensor | None = None
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None
    batch: object = None

    def input(self, adversarial: Adversarial) -> torch.Tensor:
        """The box of this probe for the current noise (1x3xhxw), before the editor's transfer."""
        image = adversarial(self.window)[(..., *self.box.slices)]
        return image if self.transform is None else self.transform(image)


def view_probe(view: View, window: int, window_box: Box, target: torch.Tensor, device: torch.device,
               transform: Callable[[torch.Tensor], torch.Tensor] | None = None, batch: object = None) -> Probe:
    """The probe of an editor's view (image coordinates) lying in window ``window`` at ``window_box``: the
    model-sized hole and blend its transfer makes, scored at the view's mask pixels."""
    hole, blend = view.transfer.model_masks(view.mask)
    hole_tensor = mask_to_tensor(hole, device)
    scored = hole_tensor if hole is view.mask else mask_to_tensor(view.mask, device)
    blend_tensor = None if blend is None else torch.from_numpy(blend.astype(np.float32))[None, None].to(device)
    return Probe(window, view.box.relative_to(window_box), hole_tensor, target, scored, view.transfer, blend_tensor,
                 transform, batch)


@dataclass(eq=False)
class LossTerm:
    """A named, weighted term: the mean squared error over the scored pixels of all its probes."""

    name: str
    weight: float
    probes: list[Probe]
    selects: bool = False
    clean_target: bool = False  # its probes' targets are the clean image's edit (computed once)

    def __post_init__(self) -> None:
        self.count = max(1.0, 3.0 * float(sum(float(p.scored.sum()) for p in self.probes)))


def standard_terms(plan: Plan, target: torch.Tensor, weights: dict[str, float], device: torch.device,
                   batch_across_windows: bool, contexts: list[np.ndarray], kind: NetworkKind = LAMA
                   ) -> list[LossTerm]:
    """The reference objective's three terms over the plan's views for a network of ``kind`` (the views the
    editors make for each kind differ, docs/editors.md) (the ``hide`` targets still to be filled
    in with the clean edit: they are the target colour until :func:`fill_clean_targets`). Views of one
    window share a batch key; with ``batch_across_windows`` (CUDA) all views do.

    Each term is the mean over the regions of its mean over each region's own pixels: a scored pixel
    belongs to the region whose context it lies in (``contexts``: per window, the region index of each
    pixel), and weighs in inversely to that region's count. A 4 px logo beside a 50 px face thus weighs
    as much as the face, and its attack and ring terms keep the balance they have when it is protected
    alone; with one region this is the plain mean."""
    views: dict[str, list[tuple[Probe, np.ndarray]]] = {term: [] for term in TERM_NAMES}
    for term_view in (term_view for term_view in plan.views if term_view.kind == kind):
        window = plan.windows[term_view.window]
        probe = view_probe(term_view.view, term_view.window, window, target, device,
                           batch=-1 if batch_across_windows else term_view.window)
        owners = np.where(term_view.view.mask, contexts[term_view.window][probe.box.slices], -1)
        views[term_view.term].append((probe, owners))
    for pairs in views.values():
        _weigh_by_region(pairs, device)
    return [LossTerm(term.name, weights[term.name], [probe for probe, _ in views[term.name]], selects=True,
                     clean_target=term.target == "clean") for term in STANDARD_TERMS]


def _weigh_by_region(pairs: list[tuple[Probe, np.ndarray]], device: torch.device) -> None:
    """Give each probe's scored pixels the weight ``total / (regions * count of their region)`` (the term's
    count is unchanged, so its value becomes the mean of the regions' means); nothing changes for one region."""
    owners = np.concatenate([owner.ravel() for _, owner in pairs])
    regions, counts = np.unique(owners[owners >= 0], return_counts=True)
    if len(regions) < 2:
        return
    weight = np.zeros(int(regions.max()) + 1)
    weight[regions] = counts.sum() / (len(regions) * counts)
    for probe, owner in pairs:
        scored = np.where(owner >= 0, weight[np.maximum(owner, 0)], 0.0).astype(np.float32)
        probe.scored = torch.from_numpy(scored)[None, None].to(device)
