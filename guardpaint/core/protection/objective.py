"""The protection objective over a plan's views: edits batched by view size, static parts computed once.

``L = L_attack + L_incp + w * L_hide`` (docs/method.md), each term the mean squared error over all
of its mask's pixels in all of its views. Each view lies in one window, so the total is a sum of
per-window parts: the loop keeps the best iterate of every window on its own.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import torch

from guardpaint.core.editor.differentiable import edit
from guardpaint.core.editor.geometry import Box
from guardpaint.core.protection.windows import TERMS, Plan
from guardpaint.models.base import Inpainter
from guardpaint.models.device import autocast_context

#: Most pixels run through the model in one batch (three edits of a 1024 x 1024 image), so memory
#: stays bounded however many regions share a size.
MAX_BATCH_PIXELS = 3 * 1024 * 1024


def _chunks(group: list) -> list[list]:
    """Views of one size, split so that no batch exceeds :data:`MAX_BATCH_PIXELS`."""
    height, width = group[0][1].height, group[0][1].width
    size = max(1, MAX_BATCH_PIXELS // (height * width))
    return [group[i:i + size] for i in range(0, len(group), size)]


@dataclass
class _Batch:
    """Views of one size, run through the model together."""

    entries: list[tuple[int, Box, int]]  # (window index, box inside the window, term index)
    masks: torch.Tensor  # Bx1xhxw
    targets: torch.Tensor  # Bx3xhxw: the target colour, or the clean ring edit for the hide term


class Objective:
    """Loss terms and per-window totals for a list of adversarial windows (1x3xhxw each)."""

    def __init__(self, model: Inpainter, images: list[torch.Tensor], plan: Plan, target: torch.Tensor,
                 precision: str, hide_weight: float, batch_edits: bool = True) -> None:
        """``images`` are the clean windows. Views of one size are batched within a window, on CUDA also
        across windows, up to :data:`MAX_BATCH_PIXELS` per batch. A GPU is bound by kernel launches at
        these sizes, a CPU by memory traffic: three regions on the CPU took 3.1x the time of a 512 px
        protection batched per window, 3.9-4.7x batched across windows, with 2.3x the peak memory
        (benchmarks/protect_regions.py)."""
        self.model = model
        self.precision = precision
        self.weights = torch.tensor([1.0, 1.0, hide_weight], device=model.device)
        self.window_count = len(plan.windows)
        device = model.device
        by_size: dict[tuple, list] = defaultdict(list)
        counts = torch.zeros(len(TERMS), device=device)
        for index, window in enumerate(plan.windows):
            for view in window.views:
                inner = view.box.relative_to(window.box)
                mask = torch.from_numpy(view.mask.astype("float32"))[None, None].to(device)
                term = TERMS.index(view.term)
                counts[term] += mask.sum() * 3
                group = -1 if device.type == "cuda" else index
                key = (group, inner.height, inner.width) if batch_edits else (len(by_size),)
                by_size[key].append((index, inner, term, mask))
        self.counts = counts.clamp_min(1.0)
        self.batches = []
        for group in (chunk for same_size in by_size.values() for chunk in _chunks(same_size)):
            masks = torch.cat([mask for *_, mask in group])
            targets = target.expand(len(group), 3, *masks.shape[-2:]).clone()
            hide = [i for i, (_, _, term, _) in enumerate(group) if TERMS[term] == "hide"]
            if hide:  # the clean ring edit does not depend on the noise: once
                clean = torch.cat([images[group[i][0]][(..., *group[i][1].slices)] for i in hide])
                with torch.no_grad(), autocast_context(device, precision):
                    targets[hide] = edit(model, clean, masks[hide])
            self.batches.append(_Batch([(w, box, t) for w, box, t, _ in group], masks, targets))

    def __call__(self, adversarial: Callable[[int], torch.Tensor], backward: bool = False, weight: float = 1.0
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """(terms, per-window totals) of the noise ``adversarial(window)`` gives: the three loss terms,
        shape (3,), and the total split by window, both detached.

        With ``backward``, each batch's share of the total (times ``weight``) is back-propagated as soon as it
        is computed, so only one batch's graph is ever alive: memory grows with the largest view, not with
        the regions.
        """
        device = self.model.device
        term_sums = torch.zeros(len(TERMS), device=device)
        window_sums = torch.zeros(self.window_count, device=device)
        with torch.set_grad_enabled(backward):
            for batch in self.batches:
                inputs = torch.cat([adversarial(w)[(..., *box.slices)] for w, box, _ in batch.entries])
                with autocast_context(device, self.precision):
                    edits = edit(self.model, inputs, batch.masks)
                squared = ((edits - batch.targets) ** 2 * batch.masks).sum(dim=(1, 2, 3))
                terms = torch.tensor([t for *_, t in batch.entries], device=device)
                windows = torch.tensor([w for w, *_ in batch.entries], device=device)
                parts = squared * self.weights[terms] / self.counts[terms]
                if backward:
                    (parts.sum() * weight).backward()
                term_sums = term_sums.index_add(0, terms, squared.detach())
                window_sums = window_sums.index_add(0, windows, parts.detach())
        return term_sums / self.counts, window_sums
