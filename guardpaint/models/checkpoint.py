"""Loading LaMa generator weights from every format users have, safely.

Formats: Lightning ``best.ckpt`` (keys under ``generator.``), TorchScript archives
such as lama-cleaner's ``big-lama.pt`` (read as data, never executed), plain
state_dicts in ``.pt``/``.pth``, and ``.safetensors``.
"""
from __future__ import annotations

import logging
import os
import pickle
import zipfile
from pathlib import Path

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
TensorDict = dict[str, torch.Tensor]


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
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


def _read_torchscript(path: Path) -> TensorDict:
    reader = torch._C.PyTorchFileReader(str(path))
    root = torch.serialization._load(reader, map_location="cpu", pickle_module=restricted_pickle)
    tensors: TensorDict = {}
    _collect_tensors(root, "", tensors, set())
    return tensors


def _read_pickle(path: Path) -> object:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # Lightning checkpoints carry config objects: load them as inert stubs instead.
        log.info("%s holds non-tensor objects; reading it with the restricted unpickler", path)
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=restricted_pickle)


def read_tensors(path: str | os.PathLike) -> TensorDict:
    """All tensors of a weight file as a flat name -> tensor dict (CPU). Never executes file code."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such weight file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device="cpu")
        if _is_torchscript(path):
            return _read_torchscript(path)
        obj = _read_pickle(path)
    except ModelError:
        raise
    except UNREADABLE as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot read weight file ({reason[:200]})") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]  # Lightning checkpoint
    if not isinstance(obj, dict):
        raise ModelError(f"{path}: holds a {type(obj).__name__}, not a state_dict")
    return {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}


def generator_state_dict(tensors: TensorDict, source: str = "weights") -> TensorDict:
    """The generator's tensors with their prefix (``generator.``, ``model.generator.`` ...) removed."""
    prefixes = sorted({k[: -len(ANCHOR_KEY)] for k in tensors if k.endswith(ANCHOR_KEY)},
                      key=lambda p: (not p.startswith("generator"), len(p)))
    if not prefixes:
        raise ModelError(f"{source}: no LaMa generator found (no tensor named *{ANCHOR_KEY})")
    prefix = prefixes[0]
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def _check_keys(model: torch.nn.Module, state: TensorDict, source: str) -> None:
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
        raise ModelError(f"{source}: not a LaMa generator this loader understands: {'; '.join(problems)}")


def build_generator(state: TensorDict, source: str = "weights") -> FFCResNetGenerator:
    """A generator of the architecture the tensors imply, loaded strictly, in eval mode."""
    try:
        config = infer_config(state)
    except ValueError as exc:
        raise ModelError(f"{source}: {exc}") from None
    model = FFCResNetGenerator(config)
    _check_keys(model, state, source)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=True)
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise ModelError(f"{source}: weights contain NaN or infinite values")
    return model.eval().requires_grad_(False)


def load_generator(path: str | os.PathLike) -> FFCResNetGenerator:
    """Load any supported weight file into a native, differentiable generator (CPU, eval mode)."""
    return build_generator(generator_state_dict(read_tensors(path), str(path)), str(path))
