"""Where each step of the strength ladder starts its noise: the optimiser's own start (the gradient there says
where the noise acts, and the budget follows it) or a noise generator's one pass. A source also says how many
iterations follow its start, whether its start competes for the kept iterate, and the budget rule it needs;
the loop asks, and knows no source by name."""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from guardpaint.core.editor.tensors import mask_to_tensor
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.setup import ProtectionSetup
from guardpaint.models.base import Inpainter
from guardpaint.models.noise_generator import NoiseGenerator


class NoiseSource:
    """The optimiser's start: the noise already in the windows (none at the first step, the accepted noise at a
    later one), its budget shared out where the gradient there says the noise acts. Every step runs the
    settings' iterations, and only the first step's start is new enough to compete for the kept iterate."""

    def settings_for(self, settings: ProtectionSettings) -> ProtectionSettings:
        """The settings a protection from this source runs with."""
        return settings

    def iterations(self, settings: ProtectionSettings) -> int:
        """The updates each step runs after its start."""
        return settings.iterations

    def offers_start(self, step: int) -> bool:
        """Whether step ``step``'s start competes for the kept iterate (a later step that starts from noise
        already judged does not offer it again)."""
        return step == 1

    def check(self, models: list[Inpainter]) -> None:
        """A ModelError when this source cannot serve ``models``."""

    def provenance(self) -> dict | None:
        """What a report says about the source (None: the optimiser alone)."""
        return None

    def start(self, setup: ProtectionSetup, windows: list[int], climbing: list[int], budget: str) -> None:
        """Share the ``climbing`` regions' strength out by ``budget`` and put the start noise in ``windows``."""
        measured = budget != "reference"
        if measured:
            setup.objective.step(setup.noise, with_gradient=True, active=windows, score=False)
        setup.noise.share_out(climbing, budget, measured)


#: The optimiser's start, the default source.
OPTIMISER = NoiseSource()


@dataclass(frozen=True)
class GeneratorSource(NoiseSource):
    """A noise generator's one pass at every step, then ``refine`` updates (none: the pass is judged as it is).
    The generator decides where the noise acts, so the adaptive budget becomes the texture budget."""

    generator: NoiseGenerator
    refine: int = 0

    def settings_for(self, settings: ProtectionSettings) -> ProtectionSettings:
        return replace(settings, budget="texture") if settings.budget == "adaptive" else settings

    def iterations(self, settings: ProtectionSettings) -> int:
        return self.refine

    def offers_start(self, step: int) -> bool:
        return True  # every step starts from a new pass

    def check(self, models: list[Inpainter]) -> None:
        for model in models:
            self.generator.check_model(model)

    def provenance(self) -> dict:
        return self.generator.provenance() | {"refine_iterations": self.refine}

    def start(self, setup: ProtectionSetup, windows: list[int], climbing: list[int], budget: str) -> None:
        noise = setup.noise
        noise.share_out(climbing, budget, measured=False)
        with torch.no_grad():
            for window in windows:
                hole = mask_to_tensor(setup.mask[setup.plan.windows[window].slices], noise.deltas[window].device)
                made = self.generator.noise(noise.images[window], hole, noise.budgets[window], setup.target)
                if noise.deltas[window].shape[1] == 1:  # a grey image keeps one channel of noise
                    made = made.mean(dim=1, keepdim=True)
                noise.deltas[window].copy_(made)
            noise.project()  # frozen pixels back to their values
