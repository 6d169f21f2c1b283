"""Inpainting models: the model protocol, the LaMa family, weight loading, registry and devices (no Qt).

Importing this package is light: the registry and hashing need no torch, so ``guardpaint --help`` and
``guardpaint models list`` answer at once; :func:`load_model`, :class:`Inpainter` and :data:`LOADERS`
import torch when first used.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"Inpainter": "guardpaint.models.base", "LOADERS": "guardpaint.models.loading",
         "load_model": "guardpaint.models.loading"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LOADERS", "Inpainter", "load_model"]
