"""Checking a noise generator on held-out photo-and-mask pairs: the share whose every region holds, the PSNR
and the time per image, for its one pass, for one pass plus ``k`` refine iterations, and for the
per-image loop it replaces. Every figure is measured on the written file, as any protection's verdict.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from guardpaint.core.generator.samples import Sample
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import GeneratorSource
from guardpaint.core.workflow import ProtectedImage, protect_image
from guardpaint.models.base import Inpainter
from guardpaint.models.noise_generator import NoiseGenerator

#: The settings every mode is measured with: one step at the default strength, no auto strength (the
#: loop and the generator get the same budget cap).
MEASURED = ProtectionSettings(auto_strength=False)
#: Hears each protection a measurement makes: the pair and its outcome.
OnOutcome = Callable[[Sample, ProtectedImage], None]


def measure(models: list[Inpainter], pairs: list[Sample], generator: NoiseGenerator | None, refine: int,
            loop_iterations: int = 20, settings: ProtectionSettings = MEASURED,
            on_outcome: OnOutcome | None = None) -> dict:
    """One mode over ``pairs``: the generator with ``refine`` iterations, or (without ``generator``) the loop
    of ``loop_iterations``. The share held, the mean PSNR and the mean seconds per image; ``on_outcome``
    hears each pair's outcome."""
    held, psnrs, seconds = [], [], []
    for pair in pairs:
        started = time.perf_counter()
        if generator is None:
            outcome = protect_image(models, LoadedImage(pair.rgb), pair.mask,
                                    replace(settings, iterations=loop_iterations))
        else:
            outcome = protect_image(models, LoadedImage(pair.rgb), pair.mask, settings,
                                    source=GeneratorSource(generator, refine))
        seconds.append(time.perf_counter() - started)
        if on_outcome is not None:
            on_outcome(pair, outcome)
        held.append(outcome.protected)
        psnrs.append(outcome.verification.psnr)
    finite = [value for value in psnrs if value != float("inf")]
    return {"held": sum(held) / len(held), "psnr": statistics.mean(finite) if finite else None,
            "seconds_per_image": statistics.mean(seconds), "pairs": len(pairs)}


def evaluate(models: list[Inpainter], generator: NoiseGenerator, pairs: list[Sample], refine: int = 5,
             loop_iterations: int = 20,
             on_outcome: Callable[[str, Sample, ProtectedImage], None] | None = None) -> dict:
    """The generator's one pass, one pass plus ``refine`` iterations, and the per-image loop, side by side;
    ``on_outcome`` hears each protection: the mode's name, the pair and the outcome."""
    modes = {"one pass": (generator, 0), f"one pass + {refine} refine": (generator, refine),
             f"loop of {loop_iterations}": (None, 0)}
    return {name: measure(models, pairs, made_by, refined, loop_iterations,
                          on_outcome=None if on_outcome is None else partial(on_outcome, name))
            for name, (made_by, refined) in modes.items()}
