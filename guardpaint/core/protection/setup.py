"""Setting one protection up: the windows the editors run the model on, the noise that lives in them, and
every model's loss terms. The loop and the noise generator's training build a protection the same way."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from guardpaint.core.protection.loss_terms import weights as term_weights
from guardpaint.core.protection.noise import WindowNoise
from guardpaint.core.protection.objective import Objective, fill_clean_targets
from guardpaint.core.protection.robust import RandomAttacks
from guardpaint.core.protection.settings import LEVELS, ProtectionSettings
from guardpaint.core.protection.terms import standard_terms
from guardpaint.core.protection.windows import Plan, plan_protection
from guardpaint.models.base import Inpainter
from guardpaint.models.kinds import NetworkKind

#: JPEG's block grid with 4:2:0 chroma: windows snap to it so the noise meets whole blocks.
JPEG_GRID = 16
#: Above this many pixels in one view "auto" memory saving recomputes activations (big-lama at
#: 2048 px would otherwise need about 40 GB for the three batched edits).
MEMORY_SAVING_PIXELS = 1024 * 1024


@dataclass
class ProtectionSetup:
    """One protection's pieces: its plan, its noise, its target colour (and as a 1x3x1x1 tensor on the [0, 1]
    scale), its objective, and whether memory saving is on."""

    mask: np.ndarray
    plan: Plan
    noise: WindowNoise
    colour: tuple[int, int, int]
    target: torch.Tensor
    objective: Objective
    save_memory: bool


def set_up(models: list[Inpainter], rgb: np.ndarray, mask: np.ndarray, settings: ProtectionSettings,
           colour: tuple[int, int, int], fixed: np.ndarray | None = None) -> ProtectionSetup:
    """Plan the windows of ``settings.editors`` around ``mask`` (HxW bool, checked), put noise in them (none
    where ``fixed``) and build every model's objective aimed at ``colour``."""
    device = models[0].device
    plan = plan_protection(mask, settings.expansion, settings.editors, settings.level == "robust",
                           JPEG_GRID if settings.jpeg_quality else 1, network_kinds(models))
    noise = WindowNoise(rgb, plan.windows, plan.regions, settings, device, fixed)
    objective, save_memory = build_objective(models, mask, plan, noise, colour, settings)
    target = torch.tensor(colour, dtype=torch.float32, device=device).view(1, 3, 1, 1) / LEVELS
    return ProtectionSetup(mask, plan, noise, colour, target, objective, save_memory)


def network_kinds(models: list[Inpainter]) -> tuple[NetworkKind, ...]:
    """The kinds of network among ``models``, each once (the editors make other views for each)."""
    return tuple(dict.fromkeys(model.kind for model in models))


def build_objective(models: list[Inpainter], mask: np.ndarray, plan: Plan, noise: WindowNoise,
                    colour: tuple[int, int, int], settings: ProtectionSettings) -> tuple[Objective, bool]:
    """Every model's loss terms, each model copied for the loop (frozen, fused, memory saving where needed),
    and whether memory saving is on."""
    device = models[0].device
    largest = max(term_view.view.model_shape[0] * term_view.view.model_shape[1] for term_view in plan.views)
    save_memory = settings.memory_saving == "on" or (
        settings.memory_saving == "auto" and largest > MEMORY_SAVING_PIXELS)
    models = [model.for_attack(save_memory) for model in models]
    fast = [model.for_attack(save_memory, torch.bfloat16) for model in models] if settings.precision == "bf16" \
        else models  # weights cast once to bf16 for the gradients; the fp32 copies score
    target = torch.tensor(colour, dtype=torch.float32, device=device).view(1, 3, 1, 1) / LEVELS
    weights = term_weights(settings)
    standard = []
    for model in models:
        terms = standard_terms(plan, target, weights, device, device.type == "cuda", noise.labels, model.kind)
        fill_clean_targets(model, terms, noise.clean, settings.batch_edits)
        standard.append(terms)
    attacks = RandomAttacks(mask, plan, target, settings.robust_samples, settings.robust_weight, settings.seed,
                            device) if settings.level == "robust" else None
    objective = Objective(models, standard, attacks, len(plan.windows), settings.batch_edits, fast)
    return objective, save_memory
