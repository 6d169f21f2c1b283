"""A pickle module for ``torch.load`` that never runs code from the file.

Tensors are rebuilt by torch's own functions; every other global a checkpoint
names (config objects of a Lightning checkpoint, TorchScript module classes)
becomes an inert :class:`Stub` that only records the state it was given.
"""
from __future__ import annotations

import collections
import pickle
import types

import torch

_ALLOWED = {
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("collections", "OrderedDict"),
}


class Stub:
    """Stand-in for a class the file names; accepts any construction, executes nothing."""

    qualified_name = "?"

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args = args
        self.state: object = None

    def __setstate__(self, state: object) -> None:
        self.state = state

    # list/dict-like pickle opcodes (APPENDS, SETITEMS) on stubbed containers
    def append(self, item: object) -> None:
        self.__dict__.setdefault("items", []).append(item)

    def extend(self, items: object) -> None:
        self.__dict__.setdefault("items", []).extend(items)  # type: ignore[arg-type]

    def __setitem__(self, key: object, value: object) -> None:
        self.__dict__.setdefault("entries", {})[key] = value


def _stub_class(module: str, name: str) -> type:
    return type(name, (Stub,), {"qualified_name": f"{module}.{name}"})


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` only returns tensor rebuilders or stubs."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _ALLOWED:
            return getattr(collections if module == "collections" else torch._utils, name)
        return _stub_class(module, name)


def _load(file: object, **kwargs: object) -> object:
    return RestrictedUnpickler(file, **kwargs).load()  # type: ignore[arg-type]


#: Pass as ``torch.load(..., pickle_module=restricted_pickle, weights_only=False)``.
restricted_pickle = types.ModuleType("guardpaint_restricted_pickle")
restricted_pickle.Unpickler = RestrictedUnpickler  # type: ignore[attr-defined]
restricted_pickle.load = _load  # type: ignore[attr-defined]
restricted_pickle.__dict__["UnpicklingError"] = pickle.UnpicklingError
