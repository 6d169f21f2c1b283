"""Every knob of a protection, its defaults (the reference's) and their validation: one source of truth."""
from __future__ import annotations

from dataclasses import dataclass, replace

from guardpaint.errors import InputError

#: Protection levels: the reference objective, or hardened against imprecise masks, crops, JPEG and resizing.
LEVEL_NAMES = ("standard", "robust")
#: Where the noise may go (core/protection/budget.py): where it acts (the default), by texture, everywhere.
BUDGETS = ("adaptive", "texture", "uniform")
#: The editor pipelines a protection can be made for (IOPaint's resize is the robust level's extra view).
VIEW_PIPELINES = ("auto", "full", "crop")
#: The default cap, in levels of 255: invisible on the held-out photos (README, *Invisible by default*).
DEFAULT_STRENGTH = 5.0
#: The reference's strength: 0.025 on the [0, 1] scale, everywhere; visible on smooth areas.
MAXIMUM_STRENGTH = 0.025


def at_maximum_strength(settings: ProtectionSettings) -> ProtectionSettings:
    """``settings`` with the reference's budget: 6.4 levels on every pixel (visible on smooth areas)."""
    return replace(settings, epsilon=MAXIMUM_STRENGTH, budget="uniform", auto_strength=False)


@dataclass(frozen=True)
class ProtectionSettings:
    """Every knob of the method; the defaults are the reference's (docs/method.md)."""

    epsilon: float = DEFAULT_STRENGTH / 255  # the cap: max |noise| on the [0, 1] scale
    iterations: int = 20
    learning_rate: float = 0.1
    betas: tuple[float, float] = (0.5, 0.5)
    adam_eps: float = 1e-10
    init_scale: float = 0.01  # noise starts uniform in [0, init_scale)
    expansion: int = 17  # side of the square kernel of E(m)
    attack_weight: float = 1.0
    incomplete_weight: float = 1.0
    hide_weight: float = 2.0
    target_colour: tuple[int, int, int] | None = None  # None = the reference's automatic rule
    seed: int = 0
    keep_best: bool = True  # keep the iterate whose 8-bit image has the lowest loss
    batch_edits: bool = True  # run views of one size through the model together
    precision: str = "auto"  # gradients in "fp32", "bf16" (weights cast once, FFTs fp32), or "auto": bf16 where native
    memory_saving: str = "auto"  # "on": recompute LaMa's residual blocks in backward; "auto": above 1 MP
    level: str = "standard"  # "standard": the reference objective; "robust": plus random editor attacks
    robust_samples: int = 2  # random attacks per iteration at the robust level
    robust_weight: float = 1.0  # of all the random attacks of one iteration together
    resize_weight: float = 1.0  # of IOPaint's resize view (robust level, ``resize_view``)
    pipeline: str = "auto"  # the editor to protect against: IOPaint's default, "full" frame, or "crop" always
    resize_view: bool = False  # robust level, photos above 1280 px: also IOPaint's RESIZE view of the whole
    budget: str = "adaptive"  # "adaptive": where the noise acts, less on smooth areas; "texture"; "uniform" (budget.py)
    auto_strength: bool = True  # protect_image: raise the strength, up to the cap, only where a region does not hold
    strength_steps: int = 2  # auto strength: strengths tried, from half the cap to the cap
    jpeg_quality: int | None = None  # JPEG output: optimise through a differentiable JPEG at this quality

    def validated(self) -> ProtectionSettings:
        """Self, or an InputError naming the first bad value."""
        if not 0 < self.epsilon <= 0.5:
            raise InputError(f"strength must be more than 0 and at most 127.5 levels of 255, got "
                             f"{self.epsilon * 255:g} levels")
        if not 0 <= self.seed < 2**32:
            raise InputError(f"seed must be a whole number from 0 to {2**32 - 1}, got {self.seed}")
        if self.iterations < 1:
            raise InputError(f"iterations must be at least 1, got {self.iterations}")
        if self.expansion < 3:
            raise InputError(f"expansion must be at least 3 px, got {self.expansion}")
        for name in ("attack_weight", "incomplete_weight", "hide_weight", "robust_weight", "resize_weight"):
            if getattr(self, name) < 0:
                raise InputError(f"{name.replace('_', ' ')} must be >= 0, got {getattr(self, name)}")
        if self.memory_saving not in ("auto", "on", "off"):
            raise InputError(f"memory_saving must be auto, on or off, got {self.memory_saving!r}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise InputError(f"precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.level not in LEVEL_NAMES:
            raise InputError(f"level must be one of {', '.join(LEVEL_NAMES)}, got {self.level!r}")
        if self.strength_steps < 1:
            raise InputError(f"strength steps must be at least 1, got {self.strength_steps}")
        if self.robust_samples < 1:
            raise InputError(f"robust samples must be at least 1, got {self.robust_samples}")
        if self.pipeline not in VIEW_PIPELINES:
            raise InputError(f"pipeline must be one of {', '.join(VIEW_PIPELINES)}, got {self.pipeline!r}")
        if self.resize_view and self.level != "robust":
            raise InputError("the resize view is part of the robust level (use --level robust)")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise InputError(f"JPEG quality must be 1-100, got {self.jpeg_quality}")
        if self.budget not in BUDGETS:
            raise InputError(f"budget must be one of {', '.join(BUDGETS)}, got {self.budget!r}")
        return self
