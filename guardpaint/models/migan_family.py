"""The MI-GAN family as an :class:`~guardpaint.models.base.Inpainter`: the released 256 and 512 px generators
and IOPaint's traced ``migan_traced.pt``.

IOPaint 1.6 (``iopaint/model/mi_gan.py``) runs MI-GAN on a square of the generator's side: its padding rule
(``pad_mod`` 512, ``pad_to_square``, ``min_size`` 512) is declared here as LaMa's multiple of 8 is, so the
editor's padding serves both families. IOPaint runs only its 512 px generator; a 256 px one (the official
256 releases) is run the same way at its own side, which models that editor rather than reproduces it.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import torch

from guardpaint.errors import ModelError
from guardpaint.models.base import Inpainter
from guardpaint.models.checkpoint import TensorDict, WeightFile, anchored_state_dict, load_strictly, read_weight_file
from guardpaint.models.migan import MiganGenerator, infer_side

#: A tensor every MI-GAN generator holds (its last RGB layer), found under any prefix a file adds.
ANCHOR_KEY = "synthesis.b4.torgb.weight"


class MiganInpainter(Inpainter):
    """A native MI-GAN generator: input ``cat(0.5 - mask, image * (1 - mask))`` with the image in [-1, 1] (as
    IOPaint feeds it), output the fill."""

    family = "migan"
    pad_square = True
    reach = None  # a 4 px bottleneck: every input pixel can reach every output pixel

    def __init__(self, generator: MiganGenerator, name: str, device: torch.device | str = "cpu",
                 path: Path | None = None) -> None:
        super().__init__(name, torch.device(device), path)
        self.generator = generator.to(self.device).eval().requires_grad_(False)
        self.pad_multiple = self.min_side = self.fixed_side = generator.side  # the one side it runs at
        self.compute_dtype = next(self.generator.parameters()).dtype
        self._attack_copies: dict[torch.dtype, MiganInpainter] = {}

    @property
    def network(self) -> MiganGenerator:
        return self.generator

    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The fill in [0, 1] (float32) for a batch at the generator's side."""
        side = self.generator.side
        if tuple(image.shape[-2:]) != (side, side):
            raise ModelError(f"MI-GAN ({self.name}) runs at {side} x {side} px only, not "
                             f"{image.shape[-1]} x {image.shape[-2]}")
        signed = image * 2 - 1
        x = torch.cat([0.5 - mask, signed * (1 - mask)], dim=1)
        out = self.generator(x.to(self.compute_dtype)).to(image.dtype)
        return out * 0.5 + 0.5

    def for_attack(self, save_memory: bool = False, dtype: torch.dtype = torch.float32) -> MiganInpainter:
        """The weights cast once to ``dtype``; made once per dtype and kept. There is nothing to fold (no
        normalisation layers) and its activations are small (an eighth of LaMa's parameters), so
        ``save_memory`` changes nothing."""
        if dtype not in self._attack_copies:
            generator = copy.deepcopy(self.generator).to(dtype)
            self._attack_copies[dtype] = self._share_identity(MiganInpainter(generator, self.name, self.device))
        return self._attack_copies[dtype]


def build_migan(state: TensorDict, source: str = "weights") -> MiganGenerator:
    """A generator of the side the tensors imply, loaded strictly (checked on the meta device first)."""
    return load_strictly(lambda tensors: MiganGenerator(infer_side(tensors)), state, source, "MI-GAN")


def load_migan(path: str | os.PathLike, device: torch.device, name: str | None = None,
               file: WeightFile | None = None) -> MiganInpainter:
    """Load a MI-GAN weight file safely onto ``device`` (``file``: the file already read)."""
    path = Path(path)
    file = file or read_weight_file(path)
    generator = build_migan(anchored_state_dict(file.tensors, ANCHOR_KEY, str(path), "MI-GAN"), str(path))
    model = MiganInpainter(generator, name or path.name, device, path)
    model.identify(file.sha256)
    return model
