"""The MAT family as an :class:`~guardpaint.models.base.Inpainter`: the released ``Places_512_FullData_G.pth``
(a plain state dict, or its fp16 safetensors copy) and any generator of that key layout.

MAT's output is not a function of the image and mask alone: its generator maps a latent ``z`` to styles, and
drops half of the tokens of two feature maps at random (``F.dropout(..., training=True)`` at inference) for a
learnt substitute. What the editors draw (IOPaint 1.6 ``iopaint/model/mat.py``; comfyui-inpaint-nodes 1.4.2
``nodes.py``):

* **the latent**: IOPaint seeds numpy with 240 once, when the model loads, and draws ``z`` from it, so every
  IOPaint user gets the same ``z`` (:func:`iopaint_latent`); ComfyUI draws ``z`` unseeded at load.
* **the dropout masks**: IOPaint draws them from torch's global generator at every edit (seeded 240 once at
  load: each edit differs); ComfyUI seeds torch with the node's seed before each edit.

So this model edits as IOPaint does given one draw: IOPaint's latent, and masks drawn from a generator seeded 240
before every call (IOPaint's own masks depend on all its process drew before; the draws differ between a CPU and
a CUDA generator). That makes a verdict repeatable on one kind of device. The copy the protection loop
optimises against (:meth:`MatInpainter.for_attack`) draws a new latent and new masks at every call that takes a
gradient, so that the noise is optimised over draws rather than for one; without a gradient (the clean edits
the objective aims at, the scoring of iterates) it is the judged function.

Its padding rule (IOPaint: ``pad_mod`` 512, ``pad_to_square``, ``min_size`` 512) is declared here as LaMa's
multiple of 8 is: the editor's padding serves every family.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import torch

from guardpaint.models.base import Inpainter
from guardpaint.models.checkpoint import TensorDict, WeightFile, anchored_state_dict, load_strictly, read_weight_file
from guardpaint.models.mat import MatGenerator, infer_config

#: A tensor every MAT generator holds; what ComfyUI's nodes and spandrel recognise MAT by.
ANCHOR_KEY = "synthesis.first_stage.conv_first.conv.resample_filter"
#: IOPaint's seed for MAT (``init_model``: "pick up a random number"), and ours for every deterministic draw.
IOPAINT_SEED = 240


def iopaint_latent(z_dim: int = 512) -> np.ndarray:
    """The latent IOPaint's MAT uses (1 x ``z_dim``, float64): numpy seeded with 240, then ``randn(1, z_dim)``,
    drawn here without touching numpy's global state."""
    return np.random.RandomState(IOPAINT_SEED).randn(1, z_dim)


class MatInpainter(Inpainter):
    """A native MAT generator fed as IOPaint feeds it: the image in [-1, 1], ``known`` 1 outside the hole.

    ``fresh_draws``: a new latent and new dropout masks at every call that takes a gradient (the attack copy),
    else IOPaint's latent and masks drawn from a generator seeded 240 for every call.
    """

    family = "mat"
    pad_square = True
    reach = None  # global attention and styles: every input pixel can reach every output pixel
    random = True

    def __init__(self, generator: MatGenerator, name: str, device: torch.device | str = "cpu",
                 path: Path | None = None, fresh_draws: bool = False) -> None:
        super().__init__(name, torch.device(device), path)
        self.generator = generator.to(self.device).eval().requires_grad_(False)
        self.pad_multiple = self.min_side = generator.config.resolution  # IOPaint: 512 and at least 512, square
        self.compute_dtype = next(self.generator.parameters()).dtype
        self.fresh_draws = fresh_draws
        self.latent = torch.from_numpy(iopaint_latent(generator.config.z_dim)).float().to(self.device)
        self._draws = torch.Generator(self.device).manual_seed(IOPAINT_SEED)
        self._attack_generators: dict[torch.dtype, MatGenerator] = {self.compute_dtype: self.generator}

    @property
    def network(self) -> MatGenerator:
        return self.generator

    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The fill in [0, 1] (float32) for a padded batch (a square, a multiple of the generator's side)."""
        if self.fresh_draws and torch.is_grad_enabled():
            latent, draws = torch.randn(self.latent.shape, generator=self._draws, device=self.device), self._draws
        else:
            latent, draws = self.latent, torch.Generator(self.device).manual_seed(IOPAINT_SEED)
        dtype = self.compute_dtype
        out = self.generator((image * 2 - 1).to(dtype), (1 - mask).to(dtype),
                             latent.expand(image.shape[0], -1).to(dtype), draws)
        return out.to(image.dtype) * 0.5 + 0.5

    def for_attack(self, save_memory: bool = False, dtype: torch.dtype = torch.float32) -> MatInpainter:
        """A copy that draws anew at every call taking a gradient, its draws seeded afresh for every protection (so
        that a protection repeats), its weights cast once per ``dtype`` for the model and all its copies.
        ``save_memory`` changes nothing: no recomputation is built for MAT (a whole protection at 512 px peaked at
        7.4 GB on the CPU, LaMa's at 3.9 GB; docs/contributing/model-family.md)."""
        if dtype not in self._attack_generators:
            self._attack_generators[dtype] = copy.deepcopy(self.generator).to(dtype)
        copy_ = MatInpainter(self._attack_generators[dtype], self.name, self.device, fresh_draws=True)
        copy_._attack_generators = self._attack_generators  # one cast per precision, whichever copy asks
        return self._share_identity(copy_)


def build_mat(state: TensorDict, source: str = "weights") -> MatGenerator:
    """A generator of the configuration the tensors imply, loaded strictly (checked on the meta device first),
    drawing its masks as IOPaint's and ComfyUI's copies of the official code do."""
    return load_strictly(lambda tensors: MatGenerator(infer_config(tensors), masks_like="iopaint"), state, source,
                         "MAT")


def load_mat(path: str | os.PathLike, device: torch.device, name: str | None = None,
             file: WeightFile | None = None) -> MatInpainter:
    """Load a MAT weight file safely onto ``device`` (``file``: the file already read)."""
    path = Path(path)
    file = file or read_weight_file(path)
    generator = build_mat(anchored_state_dict(file.tensors, ANCHOR_KEY, str(path), "MAT"), str(path))
    model = MatInpainter(generator, name or path.name, device, path)
    model.identify(file.sha256)
    return model
