"""A trained noise generator: its network, the models it was trained against (and the check that a model is
one of them), what it was trained with and how it validated."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from guardpaint.errors import ModelError
from guardpaint.models.base import Inpainter
from guardpaint.models.noise_generator.file_format import encode
from guardpaint.models.noise_generator.inputs import generator_inputs
from guardpaint.models.noise_generator.network import NoiseNetwork

#: What the command line's ``models list`` and the app's Model > Noise Generator say: none ships, and how to make one.
NONE_SHIPS = ("No noise generator ships with GuardPaint: one is trained against a model's own weights, and none has "
              "been trained against big-lama or anime-lama (their weights were not at hand where GuardPaint is "
              "built). To make one, on a GPU: guardpaint generator train --model big-lama --images PHOTOS -o "
              "big-lama.generator.safetensors --minutes 120 --val HELD_OUT (docs: The noise generator).")


@dataclass
class NoiseGenerator:
    """A generator network with what it was trained against, on its device."""

    network: NoiseNetwork
    trained_against: list[dict] = field(default_factory=list)  # {"name", "sha256"} of each model
    training: dict = field(default_factory=dict)  # the settings it was trained with
    validation: dict = field(default_factory=dict)  # its validation figures
    path: Path | None = None
    sha256: str | None = None  # of the file it was read from

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "noise generator"

    def noise(self, image: torch.Tensor, mask: torch.Tensor, budget: torch.Tensor,
              colour: torch.Tensor) -> torch.Tensor:
        """Noise for ``image`` (Bx3xHxW in [0, 1]) protecting ``mask`` (Bx1xHxW), at most ``budget`` (Bx1xHxW,
        on the [0, 1] scale) on each pixel, aimed at ``colour`` (Bx3x1x1 in [0, 1]): Bx3xHxW."""
        return self.network(generator_inputs(image, mask, budget, colour)) * budget

    def check_model(self, model: Inpainter) -> None:
        """A ModelError naming both when ``model`` is not one this generator was trained against."""
        if any(entry["sha256"] == model.sha256 for entry in self.trained_against):
            return
        names = ", ".join(f"{entry['name']} (sha256 {entry['sha256'][:12]}…)" for entry in self.trained_against)
        raise ModelError(f"{self.name} was trained against {names or 'no model'}, not {model.name} (sha256 "
                         f"{model.sha256[:12]}…): train one for it with `guardpaint generator train --model "
                         f"{model.name}`")

    def provenance(self) -> dict:
        """What a report says about the generator."""
        return {"file": str(self.path) if self.path else None, "sha256": self.sha256,
                "trained_against": self.trained_against, "editors": self.editors,
                "architecture": asdict(self.network.config)}

    @property
    def editors(self) -> list[str]:
        """The editors it was trained for (files made before editors were declared: IOPaint's)."""
        return list(self.training.get("editors", ["iopaint"]))

    def to_bytes(self) -> bytes:
        """The generator as a file (file_format.py)."""
        return encode(self.network.state_dict(), {"architecture": asdict(self.network.config),
                                                  "trained_against": self.trained_against,
                                                  "training": self.training, "validation": self.validation})
