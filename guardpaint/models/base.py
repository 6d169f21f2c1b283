"""What GuardPaint needs from an inpainting model, whatever its family.

A family (LaMa, MI-GAN, MAT: a module each) subclasses
:class:`Inpainter`: it says how the editor pads (and whether the network runs at one side), how the network
turns an image and a mask into a fill (differentiably), and how to make a fast,
frozen copy for the protection loop. Padding, blending, editor pipelines and the
loop itself live once, in ``guardpaint.core``.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from guardpaint.models.hashing import file_sha256
from guardpaint.models.kinds import NetworkKind


def tensors_sha256(module: nn.Module) -> str:
    """Hex sha256 over a module's state (names, shapes and float32 values): for weights not from a file."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(f"{name}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class Inpainter(ABC):
    """A loaded inpainting network on its device, and where its weights came from."""

    #: Model family, e.g. "lama"; the registry and reports name it.
    family: ClassVar[str]
    #: The editor pads images to a multiple of this before running the network (IOPaint's ``pad_mod``)...
    pad_multiple: ClassVar[int] = 8
    #: ... to a square (``pad_to_square``) ...
    pad_square: ClassVar[bool] = False
    #: ... of at least this side (``min_size``; 0: none).
    min_side: ClassVar[int] = 0
    #: The one square side the network runs at (MI-GAN), or None for a network of any size (LaMa, MAT). Editors
    #: run the two kinds differently: IOPaint crops and shrinks for a fixed-side network, and ComfyUI and the
    #: 512 px apps run only some families (:attr:`kind`, :mod:`guardpaint.core.editor.editors`).
    fixed_side: ClassVar[int | None] = None
    #: How far (px at the network's input) a context pixel can change the fill: None for a receptive field
    #: that spans the whole input (LaMa's Fourier units). The report's reach of a region is narrowed by it.
    reach: ClassVar[int | None] = None
    #: Whether the network's output depends on random draws as well as on its input (MAT): its attack copy then
    #: draws anew for every gradient, and an iteration cannot be captured once and replayed.
    random: ClassVar[bool] = False

    def __init__(self, name: str, device: torch.device, path: Path | None = None) -> None:
        self.name = name  # registry name, or the weight file's name
        self.device = torch.device(device)
        self.path = path
        self._sha256: str | None = None
        self._stat: tuple[int, int] | None = None  # (size, mtime_ns) of the weight file when it was read

    @property
    def kind(self) -> NetworkKind:
        """What the editors need to know to run this network (:mod:`guardpaint.core.editor.editors`)."""
        return NetworkKind(self.family, self.fixed_side)

    def padded_shape(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) the editor pads an image of this size to (IOPaint's ``pad_img_to_modulo``)."""
        height, width = (max(self.min_side, -(-side // self.pad_multiple) * self.pad_multiple)
                         for side in (height, width))
        return (max(height, width),) * 2 if self.pad_square else (height, width)

    @property
    @abstractmethod
    def network(self) -> nn.Module:
        """The underlying torch module (frozen, eval mode)."""

    @abstractmethod
    def predict(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The network's fill for padded ``image`` (Bx3xHxW in [0, 1]) and ``mask`` (Bx1xHxW in {0, 1}).

        Differentiable with respect to ``image``; pixels outside the mask are not used by callers.
        """

    @abstractmethod
    def for_attack(self, save_memory: bool = False, dtype: torch.dtype = torch.float32) -> Inpainter:
        """A copy tuned for the protection loop (the same function; for a :attr:`random` network, the same function
        without a gradient and fresh draws with one): frozen, fused where possible, its weights
        cast once to ``dtype`` (the compute precision; inputs and outputs stay float32), and recomputing
        activations in the backward pass when ``save_memory``."""

    def identify(self, sha256: str) -> None:
        """Record the sha256 of the bytes the weights were read from (the loader hashes what it parsed) and
        the file's size and modification time, to notice a change later (:meth:`source_change`)."""
        self._sha256 = sha256
        self._stat = _file_stat(self.path)

    def source_change(self) -> str | None:
        """How the weight file differs from the bytes loaded (removed, or rewritten with other bytes), in one
        sentence; None while it is the same file, or for weights that came from no file. The size and
        modification time are compared first; the file is hashed again only when they moved."""
        if self.path is None or self._sha256 is None:
            return None
        stat = _file_stat(self.path)
        loaded = f"the weights as loaded (sha256 {self._sha256[:12]}…)"
        if stat is None:
            return f"the weight file {self.path} was removed or became unreadable after it was loaded; " \
                   f"this protection is for {loaded}"
        if stat == self._stat:
            return None
        now = file_sha256(self.path)
        if now == self._sha256:
            self._stat = stat  # touched, same bytes
            return None
        return (f"the weight file {self.path.name} changed on disk after it was loaded (sha256 now {now[:12]}…); "
                f"this protection is for {loaded}: load the model again to protect against the new file")

    @property
    def sha256(self) -> str:
        """Hex sha256 of the weight file's bytes as read (or of the tensors, for weights made in memory)."""
        if self._sha256 is None:
            self._sha256 = file_sha256(self.path) if self.path is not None else tensors_sha256(self.network)
        return self._sha256

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.network.parameters())

    def provenance(self) -> dict:
        """What a report says about this model."""
        return {"name": self.name, "family": self.family, "sha256": self.sha256, "parameters": self.parameter_count,
                "path": str(self.path) if self.path is not None else None}

    def _share_identity(self, copy: Inpainter) -> Inpainter:
        """``copy`` reports the same name, file and hash as this model."""
        copy.path, copy._sha256, copy._stat = self.path, self.sha256, self._stat
        return copy


def _file_stat(path: Path | None) -> tuple[int, int] | None:
    """(size, modification time in ns) of a file, or None when it cannot be read."""
    try:
        status = path.stat() if path is not None else None
    except OSError:
        return None
    return None if status is None else (status.st_size, status.st_mtime_ns)
