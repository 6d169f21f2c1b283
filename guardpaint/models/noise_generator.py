"""The noise generator: a small fully convolutional network that, given the editor's view of a window (the
image, the protection mask, the noise budget and the target colour), returns protective noise within the
budget in one pass. Trained against one or more inpainting models (``guardpaint generator train``); it
protects only against those.

Files are safetensors with metadata: the format, the architecture, the sha256 of every model it was
trained against, the training settings and the validation figures. Reading one is as strict as reading
LaMa weights: the size is bounded before anything is read, the metadata is JSON, the architecture is
bounded, and every tensor's name, shape and dtype must be the architecture's; nothing in it runs.
"""
from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

from guardpaint.errors import ModelError
from guardpaint.models.base import Inpainter

FORMAT = "guardpaint-noise-generator/1"
#: The largest generator file read (a generator has a few million parameters: tens of MB).
MAX_FILE_BYTES = 256 << 20
#: The largest safetensors header read (names, shapes and the metadata).
MAX_HEADER_BYTES = 1 << 20
#: Input channels: RGB, the protection mask, the budget map (its own maximum as 1), the strength (that
#: maximum in units of :data:`STRENGTH_UNIT`, a constant plane), the target colour's three planes.
INPUTS = 9
#: The strength plane's unit, on the [0, 1] scale: 10 levels of 255.
STRENGTH_UNIT = 10 / 255
#: Periods (px) of the grid phase the network is told: LaMa downsamples three times by 2, so the noise that
#: moves it is aligned to a grid of 8 px, and pixel-level patterns (a checkerboard) need the parity.
PHASE_PERIODS = (2, 4, 8)
#: The phase planes: cos and sin of x and y per period (no sin at period 2), and the checkerboard.
PHASE_CHANNELS = sum(2 if period == 2 else 4 for period in PHASE_PERIODS) + 1
#: Bounds of the architecture a file may declare (a crafted one could declare anything).
LIMITS = {"width": 128, "depth": 5, "blocks": 8}


#: What the command line's ``models list`` and the app's Model > Noise Generator say: none ships, and how to make one.
NONE_SHIPS = ("No noise generator ships with GuardPaint: one is trained against a model's own weights, and none has "
              "been trained against big-lama or anime-lama (their weights were not at hand where GuardPaint is "
              "built). To make one, on a GPU: guardpaint generator train --model big-lama --images PHOTOS -o "
              "big-lama.generator.safetensors --minutes 120 --val HELD_OUT (docs: The noise generator).")

@dataclass(frozen=True)
class GeneratorConfig:
    """The architecture: ``width`` channels at full resolution, doubled at each of ``depth`` downsamplings,
    ``blocks`` residual blocks at the bottom."""

    width: int = 32
    depth: int = 3
    blocks: int = 2

    def checked(self) -> GeneratorConfig:
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= limit:
                raise ModelError(f"noise generator {name} {value!r} is outside 1-{limit}")
        return self


def _conv(inputs: int, outputs: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, stride, 1, padding_mode="reflect"), nn.LeakyReLU(0.2))


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv(channels, channels), nn.Conv2d(channels, channels, 3, 1, 1,
                                                                       padding_mode="reflect"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class NoiseNetwork(nn.Module):
    """A U-Net: encoder, residual bottom, decoder with skips. Its head gives, per colour channel and pixel, a
    coefficient for a constant plane and for each phase plane; their sum, through tanh, scales the budget.
    The noise is thus a locally modulated mixture of the model's grid patterns (any noise at all, through
    the constant plane's coefficient): turning a grid pattern on with a sign the content decides is one
    product, which a stack of convolutions and LeakyReLUs would otherwise have to learn to approximate."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig()) -> None:
        super().__init__()
        self.config = config.checked()
        widths = [config.width * 2**level for level in range(config.depth + 1)]
        self.stem = _conv(INPUTS + PHASE_CHANNELS, widths[0])
        self.down = nn.ModuleList(nn.Sequential(_conv(widths[i], widths[i + 1], 2), _conv(widths[i + 1], widths[i + 1]))
                                  for i in range(config.depth))
        self.bottom = nn.Sequential(*(_Residual(widths[-1]) for _ in range(config.blocks)))
        self.up = nn.ModuleList(_conv(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(config.depth)))
        # per colour channel, one coefficient map for a constant plane and one for each phase plane
        self.head = nn.Conv2d(widths[0], 3 * (1 + PHASE_CHANNELS), 3, 1, 1, padding_mode="reflect")
        # channels-last: the same values, 1.3x faster on a CPU at 512 px (loading and moving keep the layout)
        self.to(memory_format=torch.channels_last)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        height, width = features.shape[-2:]
        multiple = 2**self.config.depth
        x = F.pad(features, (0, -width % multiple, 0, -height % multiple), mode="replicate")
        phase = _phase_channels(*x.shape[-2:], x.device, x.dtype)
        x = torch.cat([x, phase.expand(x.shape[0], -1, -1, -1)], dim=1).contiguous(memory_format=torch.channels_last)
        skips = [self.stem(x)]
        for layer in self.down:
            skips.append(layer(skips[-1]))
        x = self.bottom(skips.pop())
        for layer in self.up:
            skip = skips.pop()
            x = layer(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        coefficients = self.head(x).unflatten(1, (3, 1 + PHASE_CHANNELS))
        planes = torch.cat([torch.ones_like(phase[:, :1]), phase], dim=1).unsqueeze(1)
        return torch.tanh((coefficients * planes).sum(dim=2))[..., :height, :width]


def _phase_channels(height: int, width: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """1xCxHxW: where each pixel sits on the grids of :data:`PHASE_PERIODS`, counted from the window's
    top-left pixel, which is the model's (the editor's view starts there): cos and sin of x and y for each
    period (sin is 0 at period 2, so left out), and the checkerboard (-1)^(x+y). A convolution sees the same
    thing at every position; without these the network could not place a pattern on the model's grid."""
    y = torch.arange(height, device=device, dtype=torch.float32).view(-1, 1).expand(height, width)
    x = torch.arange(width, device=device, dtype=torch.float32).view(1, -1).expand(height, width)
    planes = []
    for period in PHASE_PERIODS:
        for coordinate in (x, y):
            angle = coordinate * (2 * torch.pi / period)
            planes.append(torch.cos(angle))
            if period > 2:
                planes.append(torch.sin(angle))
    planes.append(1 - 2 * ((x + y) % 2))
    return torch.stack(planes).unsqueeze(0).to(dtype)


def generator_inputs(image: torch.Tensor, mask: torch.Tensor, budget: torch.Tensor,
                     colour: torch.Tensor) -> torch.Tensor:
    """The network's input (Bx:data:`INPUTS`xHxW) for :meth:`NoiseGenerator.noise`'s arguments. The budget comes
    as its shape (scaled to a maximum of 1) and its strength apart: how hard the noise must push depends
    on the strength, which a map scaled to 1 would hide."""
    strength = budget.amax(dim=(1, 2, 3), keepdim=True)
    return torch.cat([image, mask, budget / strength.clamp_min(1e-8), (strength / STRENGTH_UNIT).expand_as(mask),
                      colour.expand(-1, -1, *image.shape[-2:])], dim=1)


@dataclass
class NoiseGenerator:
    """A generator network with what it was trained against, on its device."""

    network: NoiseNetwork
    trained_against: list[dict] = field(default_factory=list)  # {"name", "sha256"} of each model
    training: dict = field(default_factory=dict)  # the settings it was trained with
    validation: dict = field(default_factory=dict)  # its validation figures
    path: Path | None = None
    sha256: str | None = None  # of the file it was read from

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "noise generator"

    def noise(self, image: torch.Tensor, mask: torch.Tensor, budget: torch.Tensor,
              colour: torch.Tensor) -> torch.Tensor:
        """Noise for ``image`` (Bx3xHxW in [0, 1]) protecting ``mask`` (Bx1xHxW), at most ``budget`` (Bx1xHxW,
        on the [0, 1] scale) on each pixel, aimed at ``colour`` (Bx3x1x1 in [0, 1]): Bx3xHxW."""
        return self.network(generator_inputs(image, mask, budget, colour)) * budget

    def check_model(self, model: Inpainter) -> None:
        """A ModelError naming both when ``model`` is not one this generator was trained against."""
        if any(entry["sha256"] == model.sha256 for entry in self.trained_against):
            return
        names = ", ".join(f"{entry['name']} (sha256 {entry['sha256'][:12]}…)" for entry in self.trained_against)
        raise ModelError(f"{self.name} was trained against {names or 'no model'}, not {model.name} (sha256 "
                         f"{model.sha256[:12]}…): train one for it with `guardpaint generator train --model "
                         f"{model.name}`")

    def provenance(self) -> dict:
        """What a report says about the generator."""
        return {"file": str(self.path) if self.path else None, "sha256": self.sha256,
                "trained_against": self.trained_against, "editors": self.editors,
                "architecture": asdict(self.network.config)}

    @property
    def editors(self) -> list[str]:
        """The editors it was trained for (files made before editors were declared: IOPaint's)."""
        return list(self.training.get("editors", ["iopaint"]))

    def to_bytes(self) -> bytes:
        """The generator as a safetensors file with its metadata."""
        metadata = {"format": FORMAT, "architecture": json.dumps(asdict(self.network.config)),
                    "trained_against": json.dumps(self.trained_against), "training": json.dumps(self.training),
                    "validation": json.dumps(self.validation)}
        state = {name: tensor.detach().float().cpu().contiguous() for name, tensor in self.network.state_dict().items()}
        return save_tensors(state, metadata)


def _header(data: bytes, source: str) -> dict:
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
    header = _header(data, str(path))
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
