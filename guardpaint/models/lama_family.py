"""The LaMa family as an :class:`~guardpaint.models.base.Inpainter`: big-lama, anime-lama, the demo model."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from guardpaint.models.base import Inpainter
from guardpaint.models.checkpoint import WeightFile, load_weights
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
        self.compute_dtype = next(self.generator.parameters()).dtype
        self._attack_copies: dict[tuple[bool, torch.dtype], LamaInpainter] = {}

    @property
    def network(self) -> FFCResNetGenerator:
        return self.generator

    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The fill in float32; a generator cast to another dtype computes in it (its FFTs in float32)."""
        x = torch.cat([image * (1 - mask), mask], dim=1)
        if x.dtype == self.compute_dtype:
            return self.generator(x)
        return self.generator(x.to(self.compute_dtype)).to(image.dtype)

    def for_attack(self, save_memory: bool = False, dtype: torch.dtype = torch.float32) -> LamaInpainter:
        """BatchNorm folded away (fewer kernels), the weights cast once to ``dtype`` (no per-call casts as
        autocast makes), residual blocks recomputed in the backward pass when ``save_memory``. The layout
        stays NCHW: on an H200, one iteration of big-lama at 512 px took 54 ms from a CUDA graph in NCHW
        against 78 ms channels-last, whose reflection pads and FFT branch convert layouts back and forth
        (docs/gpu-runs/2026-12-04-h200-issue32-baseline.log). Made once per kind and kept (the weights are
        frozen), so a batch or a second protection reuses it."""
        key = (save_memory, dtype)
        if key not in self._attack_copies:
            generator = fold_batchnorm(self.generator).to(dtype)
            generator.checkpoint_blocks = save_memory
            self._attack_copies[key] = self._share_identity(LamaInpainter(generator, self.name, self.device))
        return self._attack_copies[key]


def load_lama(path: str | os.PathLike, device: torch.device, name: str | None = None,
              file: WeightFile | None = None) -> LamaInpainter:
    """Load any supported LaMa weight file safely onto ``device`` (``file``: the file already read)."""
    path = Path(path)
    weights = load_weights(path, file)
    model = LamaInpainter(weights.generator, name or path.name, device, path)
    model.identify(weights.sha256)
    return model
