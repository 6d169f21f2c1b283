"""Reading a noise generator file as strictly as LaMa weights: the size is bounded before anything is read, the
metadata is JSON, the architecture is bounded, and every tensor's name, shape and dtype must be the
architecture's; nothing in it runs."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors

from guardpaint.errors import ModelError
from guardpaint.models.noise_generator.file_format import FORMAT, MAX_FILE_BYTES, read_header
from guardpaint.models.noise_generator.generator import NoiseGenerator
from guardpaint.models.noise_generator.network import GeneratorConfig, NoiseNetwork


def read_generator(path: str | Path, device: torch.device | str = "cpu") -> NoiseGenerator:
    """Read a generator file safely (see the module's docstring); a ModelError of one line otherwise."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ModelError(f"{path}: {size:,} bytes, larger than any noise generator")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the noise generator ({exc.strerror or exc})") from None
    header = read_header(data, str(path))
    metadata = header["__metadata__"]
    if metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a GuardPaint noise generator (format {metadata.get('format')!r})")
    try:
        config = GeneratorConfig(**json.loads(metadata["architecture"]))
        trained_against = json.loads(metadata["trained_against"])
        training, validation = json.loads(metadata.get("training", "{}")), json.loads(metadata.get("validation", "{}"))
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"{path}: its metadata is incomplete or malformed") from None
    if not isinstance(trained_against, list) or not all(
            isinstance(e, dict) and isinstance(e.get("sha256"), str) and isinstance(e.get("name"), str)
            for e in trained_against):
        raise ModelError(f"{path}: its list of models trained against is malformed")
    try:
        config.checked()
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    with torch.device("meta"):  # the shapes, without allocating what a crafted architecture declares
        expected = NoiseNetwork(config).state_dict()
    declared_bytes = 4 * sum(tensor.numel() for tensor in expected.values())
    if declared_bytes > len(data):
        raise ModelError(f"{path}: its architecture declares {declared_bytes:,} bytes of weights, more than the "
                         f"file's {len(data):,}: a crafted file, not a noise generator")
    declared = {name: entry for name, entry in header.items() if name != "__metadata__"}
    if set(declared) != set(expected):
        raise ModelError(f"{path}: its tensors are not this architecture's ({len(declared)} against {len(expected)})")
    for name, entry in declared.items():
        if entry.get("dtype") != "F32" or list(entry.get("shape", [])) != list(expected[name].shape):
            raise ModelError(f"{path}: tensor {name} is {entry.get('dtype')} {entry.get('shape')}, "
                             f"not F32 {list(expected[name].shape)}")
    try:
        tensors = load_tensors(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: unreadable tensors ({str(exc).splitlines()[0]})") from None
    network = NoiseNetwork(config)
    network.load_state_dict(tensors, strict=True)
    return NoiseGenerator(network.to(device).eval().requires_grad_(False), trained_against, training, validation,
                          path, hashlib.sha256(data).hexdigest())
