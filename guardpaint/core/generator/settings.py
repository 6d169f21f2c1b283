"""The noise generator's settings, declared once: training, evaluation and the refine iterations that follow
its one pass. Each setting people choose is a knob (:func:`~guardpaint.core.protection.settings.knob`), so the
command line's options, their help and defaults, and the app's fields come from here. Nothing here imports torch.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS, check_editors, parse_editors, show_editors
from guardpaint.core.protection.settings import check_knobs, knob
from guardpaint.errors import InputError

#: The refine iterations' declaration (protect and batch: 0 by default; evaluate: 5).
REFINE = {"label": "Refine iterations", "minimum": 0, "maximum": 500, "unit": "iterations",
          "help": "iterations of the loop after a noise generator's one pass, at each step"}


@dataclass(frozen=True)
class TrainingSettings:
    """How a generator is trained (recorded in its file)."""

    crop: int = knob(128, label="Crop", unit="px", minimum=32, help="crop side in px, a multiple of 8 (512 on a GPU)")
    batch: int = knob(8, label="Batch", minimum=1, help="samples per step, over all processes")
    learning_rate: float = 3e-4  # 1e-3 collapsed to no noise after ~200 steps on the high-gain model
    seed: int = knob(0, label="Seed", minimum=0, help="seed of the crops, masks and weights")
    width: int = knob(32, label="Width", minimum=1, maximum=128,
                      help="the generator's channels at full resolution")  # the architecture (GeneratorConfig)
    depth: int = 3
    blocks: int = 2
    precision: str = "auto"  # of the inpainting model's gradient pass
    memory_saving: str = "auto"  # recompute LaMa's blocks: as protect's rule (views above 1 MP)
    checkpoint_every: int = 50  # steps
    validate_every: int = 100  # steps
    editors: tuple[str, ...] = knob(
        DEFAULT_EDITORS, label="Train for", flag="--against", choices=tuple(EDITORS), multiple=True,
        parse=parse_editors, show=show_editors, help="train for these editors, one drawn per sample")

    def validated(self) -> TrainingSettings:
        """Self (its editors by their own names), or an InputError naming the first bad value."""
        check_knobs(self)
        if self.crop % 8:
            raise InputError(f"crop must be a multiple of 8 of at least 32 px, got {self.crop}")
        if self.batch < 1:
            raise InputError(f"batch must be at least 1, got {self.batch}")
        editors = check_editors(self.editors)
        return self if editors == self.editors else replace(self, editors=editors)


@dataclass(frozen=True)
class EvaluationSettings:
    """How ``generator evaluate`` measures a generator against the per-image loop."""

    refine: int = knob(5, **REFINE | {"help": "refine iterations of the second mode"})
    iterations: int = knob(20, label="Loop iterations", minimum=1, help="the loop's iterations")
    crop: int = knob(128, label="Crop", unit="px", minimum=32, help="side of the random crops without masks")

    def validated(self) -> EvaluationSettings:
        check_knobs(self)
        return self


@dataclass(frozen=True)
class GeneratorUse:
    """How protect, batch and the app use a noise generator: its one pass, then ``refine`` iterations per step."""

    refine: int = knob(0, **REFINE)

    def validated(self) -> GeneratorUse:
        check_knobs(self)
        return self
