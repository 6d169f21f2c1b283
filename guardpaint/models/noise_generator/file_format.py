"""The noise generator's file format: safetensors with JSON metadata (the format, the architecture, the models
it was trained against, its training settings and validation figures), written whole and its header read
within bounds before anything else."""
from __future__ import annotations

import json
import struct

import torch
from safetensors.torch import save as save_tensors

from guardpaint.errors import ModelError

FORMAT = "guardpaint-noise-generator/1"
#: The largest generator file read (a generator has a few million parameters: tens of MB).
MAX_FILE_BYTES = 256 << 20
#: The largest safetensors header read (names, shapes and the metadata).
MAX_HEADER_BYTES = 1 << 20


def encode(state: dict[str, torch.Tensor], metadata: dict[str, object]) -> bytes:
    """A generator file: the network's ``state`` in fp32 and ``metadata`` (each value but the format as JSON)."""
    fields = {name: value if name == "format" else json.dumps(value) for name, value in metadata.items()}
    tensors = {name: tensor.detach().float().cpu().contiguous() for name, tensor in state.items()}
    return save_tensors(tensors, {"format": FORMAT} | fields)


def read_header(data: bytes, source: str) -> dict:
    """The safetensors header (names, shapes, dtypes and the metadata), read as JSON within its bounds."""
    if len(data) < 8:
        raise ModelError(f"{source}: not a noise generator file (too short)")
    (length,) = struct.unpack("<Q", data[:8])
    if length > min(MAX_HEADER_BYTES, len(data) - 8):
        raise ModelError(f"{source}: not a noise generator file (header of {length:,} bytes)")
    try:
        header = json.loads(data[8:8 + length])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError(f"{source}: not a noise generator file (unreadable header)") from None
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise ModelError(f"{source}: not a noise generator file (no metadata)")
    return header
