"""The LaMa family as an :class:`~guardpaint.models.base.Inpainter`: big-lama, anime-lama, the demo model."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from guardpaint.models.base import Inpainter
from guardpaint.models.checkpoint import load_weights
from guardpaint.models.fusion import fold_batchnorm
from guardpaint.models.lama import FFCResNetGenerator


class LamaInpainter(Inpainter):
    """A native LaMa generator: input ``cat(image * (1 - mask), mask)``, output the fill."""

    family = "lama"
    pad_multiple = 8

    def __init__(self, generator: FFCResNetGenerator, name: str, device: torch.device | str = "cpu",
                 path: Path | None = None) -> None:
        super().__init__(name, torch.device(device), path)
        self.generator = generator.to(self.device).eval().requires_grad_(False)

    @property
    def network(self) -> FFCResNetGenerator:
        return self.generator

    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.generator(torch.cat([image * (1 - mask), mask], dim=1))

    def for_attack(self, save_memory: bool = False) -> LamaInpainter:
        """BatchNorm folded away (fewer kernels), channels-last on CUDA where the 3x3 convolutions profit,
        residual blocks recomputed in the backward pass when ``save_memory``."""
        generator = fold_batchnorm(self.generator)
        generator.checkpoint_blocks = save_memory
        if self.device.type == "cuda":
            generator = generator.to(memory_format=torch.channels_last)
        return self._share_identity(LamaInpainter(generator, self.name, self.device))


def load_lama(path: str | os.PathLike, device: torch.device, name: str | None = None) -> LamaInpainter:
    """Load any supported LaMa weight file safely onto ``device``."""
    path = Path(path)
    weights = load_weights(path)
    model = LamaInpainter(weights.generator, name or path.name, device, path)
    model.identify(weights.sha256)
    return model
