"""The protection routine: optimise imperceptible noise that turns LaMa's fill into a flat colour.

One function, :func:`protect`, serves the CLI, the GUI worker, the tests and the
benchmarks. It reports every iteration through a callback and checks a cancel
predicate between iterations; it knows nothing about Qt.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from guardpaint.core.editing import autocast_context, edit
from guardpaint.core.losses import masked_mse
from guardpaint.core.masks import dilate, ring, validate_mask
from guardpaint.core.robust import RobustTerm
from guardpaint.core.target import choose_target_colour
from guardpaint.core.tensors import image_to_tensor, mask_to_tensor, tensor_to_image
from guardpaint.errors import Cancelled, InputError
from guardpaint.models.base import Inpainter
from guardpaint.models.device import resolve_precision

LEVELS = 255.0
#: Protection levels: the reference objective, or hardened against imprecise masks, crops, JPEG and resizing.
LEVEL_NAMES = ("standard", "robust")


@dataclass(frozen=True)
class ProtectionSettings:
    """Every knob of the method; the defaults are the reference's (docs/method.md)."""

    epsilon: float = 0.025  # max |noise| on the [0, 1] scale (about 6.4 levels)
    iterations: int = 20
    learning_rate: float = 0.1
    betas: tuple[float, float] = (0.5, 0.5)
    adam_eps: float = 1e-10
    init_scale: float = 0.01  # noise starts uniform in [0, init_scale)
    expansion: int = 17  # side of the square kernel of E(m)
    hide_weight: float = 2.0
    target_colour: tuple[int, int, int] | None = None  # None = the reference's automatic rule
    seed: int = 0
    keep_best: bool = True  # keep the iterate whose 8-bit image has the lowest loss
    batch_edits: bool = True  # run the three edits as one batched forward
    precision: str = "auto"  # "fp32", "bf16" autocast (FFTs stay fp32), or "auto": bf16 where native
    memory_saving: str = "auto"  # "on": recompute LaMa's residual blocks in backward; "auto": above 1 MP
    level: str = "standard"  # "standard": the reference objective; "robust": plus random editor attacks
    robust_samples: int = 2  # random attacks per iteration at the robust level
    robust_weight: float = 1.0

    def validated(self) -> ProtectionSettings:
        """Self, or an InputError naming the first bad value."""
        if not 0 < self.epsilon <= 0.5:
            raise InputError(f"epsilon must be in (0, 0.5], got {self.epsilon}")
        if self.iterations < 1:
            raise InputError(f"iterations must be at least 1, got {self.iterations}")
        if self.expansion < 3:
            raise InputError(f"expansion must be at least 3 px, got {self.expansion}")
        if self.hide_weight < 0:
            raise InputError(f"hide weight must be >= 0, got {self.hide_weight}")
        if self.memory_saving not in ("auto", "on", "off"):
            raise InputError(f"memory_saving must be auto, on or off, got {self.memory_saving!r}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise InputError(f"precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.level not in LEVEL_NAMES:
            raise InputError(f"level must be one of {', '.join(LEVEL_NAMES)}, got {self.level!r}")
        if self.robust_samples < 1:
            raise InputError(f"robust samples must be at least 1, got {self.robust_samples}")
        if self.robust_weight < 0:
            raise InputError(f"robust weight must be >= 0, got {self.robust_weight}")
        return self


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
    robust: float = 0.0  # mean attack loss over the random editor attacks (robust level only)


@dataclass
class ProtectionResult:
    """What a protection produced."""

    protected: np.ndarray  # HxWx3 uint8, exactly what gets written
    noise: np.ndarray  # HxWx3 int16, protected - original in levels
    history: list[IterationReport]
    target_colour: tuple[int, int, int]
    best_iteration: int  # iterate kept: the noise after this many updates (0 = the initial noise)
    best_loss: float
    elapsed: float
    setup_time: float
    settings: ProtectionSettings = field(default_factory=ProtectionSettings)

    def summary(self) -> dict:
        """JSON-ready digest (no arrays)."""
        last = self.history[-1] if self.history else None
        return {
            "target_colour": list(self.target_colour),
            "best_iteration": self.best_iteration,
            "best_loss": self.best_loss,
            "final_losses": asdict(last) if last else None,
            "elapsed_s": self.elapsed,
            "setup_s": self.setup_time,
            "max_abs_noise": int(np.abs(self.noise).max()),
            "settings": asdict(self.settings),
        }


def _straight_through(value: torch.Tensor, forward_value: torch.Tensor) -> torch.Tensor:
    """``forward_value`` in the forward pass, identity gradient to ``value`` in the backward pass."""
    return value + (forward_value - value).detach()


def quantised_adversarial(image: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """``clip(x + delta)`` rounded to 8-bit levels; gradients pass straight through both."""
    raw = image + delta
    written = (raw.clamp(0, 1) * LEVELS).round() / LEVELS
    return _straight_through(raw, written)


class _Objective:
    """The three edits and their losses for one image and mask; static parts computed once."""

    def __init__(self, model: Inpainter, image: torch.Tensor, mask: torch.Tensor,
                 target: torch.Tensor, settings: ProtectionSettings) -> None:
        self.model = model
        self.settings = settings
        self.device = model.device
        expanded = dilate(mask, settings.expansion)
        self.ring = ring(mask, settings.expansion)
        self.masks = torch.cat([mask, expanded, self.ring], dim=0)  # 3x1xHxW
        self.target = target
        with torch.no_grad(), autocast_context(self.device, settings.precision):
            # The benign ring edit of the original does not depend on the noise: once.
            self.ring_reference = edit(model, image, self.ring)

    def __call__(self, adversarial: torch.Tensor) -> torch.Tensor:
        """Loss terms (attack, incomplete, hide) as a tensor of shape (3,)."""
        with autocast_context(self.device, self.settings.precision):
            if self.settings.batch_edits:
                edits = edit(self.model, adversarial.expand(3, -1, -1, -1), self.masks)
            else:
                edits = torch.cat([edit(self.model, adversarial, k[None]) for k in self.masks])
        targets = torch.cat([self.target.expand_as(edits[:2]), self.ring_reference])
        return masked_mse(edits, targets, self.masks)

    def total(self, terms: torch.Tensor) -> torch.Tensor:
        return terms[0] + terms[1] + self.settings.hide_weight * terms[2]


#: Above this many pixels "auto" memory saving recomputes activations (big-lama at 2048 px
#: would otherwise need about 40 GB for the three batched edits).
MEMORY_SAVING_PIXELS = 1024 * 1024


def protect(
    model: Inpainter,
    rgb: np.ndarray,
    mask: np.ndarray,
    settings: ProtectionSettings = ProtectionSettings(),
    on_iteration: Callable[[IterationReport], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> ProtectionResult:
    """Optimise protective noise for ``rgb`` (HxWx3 uint8) over ``mask`` (HxW bool).

    Raises :class:`Cancelled` when ``should_cancel`` returns True (checked once per iteration).
    """
    device = model.device
    settings = replace(settings.validated(), precision=resolve_precision(settings.precision, device))
    mask = validate_mask(mask, rgb.shape)
    start = time.perf_counter()
    save_memory = settings.memory_saving == "on" or (
        settings.memory_saving == "auto" and rgb.shape[0] * rgb.shape[1] > MEMORY_SAVING_PIXELS)
    model = model.for_attack(save_memory)
    image = image_to_tensor(rgb, device)
    target_colour = settings.target_colour or choose_target_colour(rgb)
    target = torch.tensor(target_colour, dtype=torch.float32, device=device).view(1, 3, 1, 1) / LEVELS
    objective = _Objective(model, image, mask_to_tensor(mask, device), target, settings)
    robust = RobustTerm(model, mask, target, settings.robust_samples, settings.precision,
                        settings.seed) if settings.level == "robust" else None

    seeded = torch.Generator().manual_seed(settings.seed)
    delta = (torch.rand(image.shape, generator=seeded) * settings.init_scale).to(device).requires_grad_(True)
    optimiser = torch.optim.Adam([delta], lr=settings.learning_rate, betas=settings.betas, eps=settings.adam_eps)
    setup_time = time.perf_counter() - start

    def evaluate(with_gradient: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss terms and total of the current noise, measured on the 8-bit image it would write."""
        with torch.no_grad():
            delta.clamp_(-settings.epsilon, settings.epsilon)
        with torch.set_grad_enabled(with_gradient):
            terms = objective(quantised_adversarial(image, delta))
            return terms, objective.total(terms)

    history: list[IterationReport] = []
    opt_start = time.perf_counter()
    terms, total = evaluate(settings.iterations > 0)
    # Iterate k is the noise after k updates (0 = the initial noise). The best is judged on the
    # deterministic objective; the robust term is a random sample.
    best_loss, best_iteration, best_delta = float(total.detach()), 0, delta.detach().clone()
    for step in range(1, settings.iterations + 1):
        if should_cancel is not None and should_cancel():
            raise Cancelled("protection cancelled")
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        robust_loss = 0.0
        if robust is not None:  # a second backward pass: the two graphs never coexist in memory
            robust_value = robust(quantised_adversarial(image, delta))
            (settings.robust_weight * robust_value).backward()
            robust_loss = float(robust_value.detach())
        optimiser.step()
        terms, total = evaluate(step < settings.iterations)  # the last iterate needs no gradient
        loss = float(total.detach())
        if loss < best_loss or not settings.keep_best:
            best_loss, best_iteration, best_delta = loss, step, delta.detach().clone()
        report = IterationReport(step, settings.iterations, *terms.detach().float().cpu().tolist(), loss,
                                 time.perf_counter() - opt_start, robust_loss)
        history.append(report)
        if on_iteration is not None:
            on_iteration(report)
    protected = tensor_to_image(quantised_adversarial(image, best_delta))
    return ProtectionResult(
        protected=protected,
        noise=protected.astype(np.int16) - rgb.astype(np.int16),
        history=history,
        target_colour=tuple(int(c) for c in target_colour),
        best_iteration=best_iteration,
        best_loss=best_loss,
        elapsed=time.perf_counter() - start,
        setup_time=setup_time,
        settings=settings,
    )
