"""Loading generator weights (LaMa's; MI-GAN's and MAT's through the same reader) from every format users have, safely.

Formats: Lightning ``best.ckpt`` (keys under ``generator.``), TorchScript archives
such as lama-cleaner's ``big-lama.pt`` (read as data, never executed), plain
state_dicts in ``.pt``/``.pth``, and ``.safetensors``.

A weight file may come from anywhere, so it is treated as hostile: the file is read once and its
sha256 taken of exactly those bytes; no code in it runs (restricted unpickler, TorchScript never
compiled); a zip may not expand beyond its size, and a pickle must be a zip archive (legacy ones
declare storage sizes that are allocated before anything can be checked); every tensor must fit in
the bytes behind it without overlapping itself (a zero-stride view can declare gigabytes in a few
bytes); the architecture the shapes imply is bounded to what LaMa files use; and the model is built
on the meta device and its keys and shapes checked before any weight is allocated.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch
from safetensors import SafetensorError

from guardpaint.errors import ModelError
from guardpaint.models.lama import FFCResNetGenerator, infer_config
from guardpaint.models.safe_unpickle import Stub, restricted_pickle

log = logging.getLogger(__name__)

ANCHOR_KEY = "model.1.ffc.convl2l.weight"
#: How corrupt, truncated or foreign weight files fail while being read.
UNREADABLE = (OSError, EOFError, RuntimeError, ValueError, TypeError, KeyError, IndexError, AttributeError,
              UnicodeDecodeError, pickle.UnpicklingError, zipfile.BadZipFile, SafetensorError)
#: A zip archive may hold at most this much more than its own size (PyTorch stores entries uncompressed).
ZIP_SLACK = 1 << 20
#: Tensor types a generator holds (weights, buffers; BatchNorm's step counter).
TENSOR_TYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int64)
TensorDict = dict[str, torch.Tensor]
ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)


@dataclass(frozen=True)
class LoadedWeights:
    """A generator and the sha256 of the exact bytes it was read from."""

    generator: FFCResNetGenerator
    sha256: str


def _check_zip(data: bytes, source: str) -> None:
    """Refuse an archive whose entries expand beyond the file (a zip bomb), or that PyTorch did not write."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    expanded = sum(info.file_size for info in infos)
    if expanded > len(data) + ZIP_SLACK:
        raise ModelError(f"{source}: its archive expands to {expanded:,} bytes from {len(data):,}; "
                         "not a PyTorch weight file")
    if not any(info.filename.endswith(("/data.pkl", "/constants.pkl")) for info in infos):
        raise ModelError(f"{source}: a zip archive, but not a PyTorch or TorchScript file")


def _is_torchscript(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(n.endswith("/constants.pkl") or "/code/" in n for n in archive.namelist())


def _collect_tensors(obj: object, prefix: str, out: TensorDict, seen: set[int]) -> None:
    """Walk the attribute dicts of stubbed TorchScript modules, recording tensors by dotted name."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        out[prefix.rstrip(".")] = obj
    elif isinstance(obj, Stub):
        _collect_tensors(obj.state, prefix, out, seen)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and not key.startswith("_"):
                _collect_tensors(value, f"{prefix}{key}.", out, seen)


def _read_torchscript(data: bytes) -> TensorDict:
    reader = torch._C.PyTorchFileReader(io.BytesIO(data))
    root = torch.serialization._load(reader, map_location="cpu", pickle_module=restricted_pickle)
    tensors: TensorDict = {}
    _collect_tensors(root, "", tensors, set())
    return tensors


def _read_pickle(data: bytes, source: str) -> object:
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # Lightning checkpoints carry config objects: load them as inert stubs instead.
        log.info("%s holds non-tensor objects; reading it with the restricted unpickler", source)
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False, pickle_module=restricted_pickle)


def read_tensors(data: bytes, source: str, safetensors: bool = False) -> TensorDict:
    """All tensors of a weight file's bytes as a flat name -> tensor dict (CPU). Never executes file code."""
    try:
        if safetensors:
            from safetensors.torch import load

            return load(data)
        if not zipfile.is_zipfile(io.BytesIO(data)):
            if data[:1] == b"\x80":
                raise ModelError(f"{source}: a legacy (before PyTorch 1.6) pickle, which GuardPaint does not "
                                 "read; save it again with a current PyTorch")
            raise ModelError(f"{source}: cannot read weight file (not a PyTorch, TorchScript or safetensors file)")
        _check_zip(data, source)
        obj = _read_torchscript(data) if _is_torchscript(data) else _read_pickle(data, source)
    except ModelError:
        raise
    except UNREADABLE as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{source}: cannot read weight file ({reason[:200]})") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]  # Lightning checkpoint
    if not isinstance(obj, dict):
        raise ModelError(f"{source}: holds a {type(obj).__name__}, not a state_dict")
    return {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}


def check_tensor(name: str, tensor: torch.Tensor, source: str) -> None:
    """Refuse a tensor that is not plain, dense data which its own bytes hold, each element once."""
    if tensor.layout != torch.strided or tensor.dtype not in TENSOR_TYPES:
        raise ModelError(f"{source}: tensor {name} is a {tensor.dtype} {tensor.layout} tensor, not model weights")
    if tensor.numel() == 0:
        return
    span = 1  # elements covered by the dimensions seen so far, smallest stride first
    for stride, size in sorted((t, s) for s, t in zip(tensor.shape, tensor.stride(), strict=True) if s > 1):
        if stride < span:
            raise ModelError(f"{source}: tensor {name} reuses its own elements (stride {stride} in shape "
                             f"{tuple(tensor.shape)}): a crafted file, not weights")
        span += stride * (size - 1)
    needed = (tensor.storage_offset() + span) * tensor.element_size()
    available = tensor.untyped_storage().nbytes()
    if needed > available:
        raise ModelError(f"{source}: tensor {name} claims {needed:,} bytes but the file holds {available:,} for "
                         "it: a truncated or crafted file")


def generator_state_dict(tensors: TensorDict, source: str = "weights") -> TensorDict:
    """The generator's tensors with their prefix (``generator.``, ``model.generator.`` ...) removed."""
    prefixes = sorted({k[: -len(ANCHOR_KEY)] for k in tensors if k.endswith(ANCHOR_KEY)},
                      key=lambda p: (not p.startswith("generator"), len(p)))
    if not prefixes:
        raise ModelError(f"{source}: no LaMa generator found (no tensor named *{ANCHOR_KEY})")
    prefix = prefixes[0]
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def _check_keys(model: torch.nn.Module, state: TensorDict, source: str, family: str) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing tensor(s), e.g. {missing[0]}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s), e.g. {unexpected[0]}")
    if wrong:
        problems.append(f"{len(wrong)} wrong shape(s), e.g. {wrong[0]}")
    if problems:
        raise ModelError(f"{source}: not a {family} generator this loader understands: {'; '.join(problems)}")


def build_generator(state: TensorDict, source: str = "weights") -> FFCResNetGenerator:
    """A generator of the architecture the tensors imply, loaded strictly, in eval mode.

    The architecture is built on the meta device (no memory) and checked against the tensors' names and
    shapes, and every tensor against its storage, before a single weight is allocated."""
    return load_strictly(lambda tensors: FFCResNetGenerator(infer_config(tensors)), state, source, "LaMa")


def load_strictly(build: Callable[[TensorDict], ModuleT], state: TensorDict, source: str, family: str) -> ModuleT:
    """The network ``build`` makes for ``state`` (its architecture read off the tensors; a ValueError when they
    imply none), built on the meta device, with ``state`` loaded strictly, in eval mode and frozen: its keys and
    shapes, then every tensor against its storage, checked before a single weight is allocated; float32."""
    try:
        with torch.device("meta"):
            model = build(state)
    except ValueError as exc:
        raise ModelError(f"{source}: {exc}") from None
    _check_keys(model, state, source, family)
    for name, tensor in state.items():
        check_tensor(name, tensor, source)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=True,
                          assign=True)
    if not all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()):
        raise ModelError(f"{source}: weights contain NaN or infinite values")
    return model.eval().requires_grad_(False)


def anchored_state_dict(tensors: TensorDict, anchor: str, source: str, family: str) -> TensorDict:
    """A network's tensors, found by ``anchor`` (a tensor every network of the family holds) under any prefix a
    file adds (a wrapper module's ``model.``), with that prefix removed; a ModelError when none holds it."""
    prefixes = sorted((key[: -len(anchor)] for key in tensors if key.endswith(anchor)), key=len)
    if not prefixes:
        raise ModelError(f"{source}: no {family} network found (no tensor named *{anchor})")
    return {key[len(prefixes[0]):]: value for key, value in tensors.items() if key.startswith(prefixes[0])}


@dataclass(frozen=True)
class WeightFile:
    """Every tensor of a weight file, and the sha256 of the exact bytes they were read from."""

    tensors: TensorDict
    sha256: str


def read_weight_file(path: str | os.PathLike) -> WeightFile:
    """Read a weight file once (any supported format, never running its code) and hash those bytes."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such weight file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read weight file ({exc.strerror or exc})") from None
    tensors = read_tensors(data, str(path), safetensors=path.suffix == ".safetensors")
    return WeightFile(tensors, hashlib.sha256(data).hexdigest())


def load_weights(path: str | os.PathLike, weights: WeightFile | None = None) -> LoadedWeights:
    """Build the LaMa generator of a weight file (read here unless ``weights`` holds it already), CPU, eval mode."""
    weights = weights or read_weight_file(path)
    generator = build_generator(generator_state_dict(weights.tensors, str(path)), str(path))
    return LoadedWeights(generator, weights.sha256)
