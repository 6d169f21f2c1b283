"""Native, differentiable LaMa generator (FFC ResNet), state_dict-compatible with the official code.

The module tree mirrors the official ``FFCResNetGenerator`` so that official
checkpoints load strictly: ``model.<index>`` entries of one ``nn.Sequential``.
Channel splits are stored as integers, so any LaMa-family width loads exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

Pair = tuple[torch.Tensor, torch.Tensor | None]


def split_channels(channels: int, global_ratio: float) -> tuple[int, int]:
    """(local, global) channel counts exactly as LaMa computes them."""
    n_global = int(channels * global_ratio)
    return channels - n_global, n_global


class FourierUnit(nn.Module):
    """1x1 conv + BN + ReLU in the 2-D real FFT domain (global receptive field)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv_layer = nn.Conv2d(channels * 2, channels * 2, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(channels * 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        in_dtype = x.dtype
        batch, _, height, width = x.shape
        # FFTs in float32 whatever the weights' dtype: half-precision cuFFT only takes power-of-two sizes.
        spec = torch.fft.rfftn(x.float(), dim=(-2, -1), norm="ortho")
        # channel 2c = real part of c, 2c+1 = imaginary part of c
        spec = torch.stack((spec.real, spec.imag), dim=2).reshape(batch, -1, height, spec.shape[-1])
        spec = self.relu(self.bn(self.conv_layer(spec.to(in_dtype))))
        spec = spec.float().reshape(batch, -1, 2, height, spec.shape[-1])
        spec = torch.complex(spec[:, :, 0], spec[:, :, 1])
        out = torch.fft.irfftn(spec, s=(height, width), dim=(-2, -1), norm="ortho")
        return out.to(in_dtype)


class SpectralTransform(nn.Module):
    """Global branch of an FFC: squeeze, Fourier unit, residual, expand."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        hidden = out_channels // 2
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, hidden, kernel_size=1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
        )
        self.fu = FourierUnit(hidden)
        self.conv2 = nn.Conv2d(hidden, out_channels, kernel_size=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(x + self.fu(x))


def _conv_or_none(in_ch: int, out_ch: int, kernel: int, stride: int, padding: int) -> nn.Module | None:
    if in_ch == 0 or out_ch == 0:
        return None
    return nn.Conv2d(in_ch, out_ch, kernel, stride, padding, bias=False, padding_mode="reflect")


class FFC(nn.Module):
    """Fast Fourier Convolution: local/global split with four cross paths."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int,
        ratio_gin: float, ratio_gout: float, stride: int = 1, padding: int = 0,
    ) -> None:
        super().__init__()
        in_l, in_g = split_channels(in_channels, ratio_gin)
        out_l, out_g = split_channels(out_channels, ratio_gout)
        self.convl2l = _conv_or_none(in_l, out_l, kernel_size, stride, padding)
        self.convl2g = _conv_or_none(in_l, out_g, kernel_size, stride, padding)
        self.convg2l = _conv_or_none(in_g, out_l, kernel_size, stride, padding)
        self.convg2g = SpectralTransform(in_g, out_g) if in_g and out_g else None
        if stride != 1 and self.convg2g is not None:
            raise ValueError("strided global branch is not part of the LaMa family")
        self.has_local_out = out_l > 0
        self.has_global_out = out_g > 0

    @staticmethod
    def _sum(*terms: torch.Tensor | None) -> torch.Tensor | None:
        present = [t for t in terms if t is not None]
        if not present:
            return None
        total = present[0]
        for t in present[1:]:
            total = total + t
        return total

    @staticmethod
    def _branch(layer: nn.Module | None, x: torch.Tensor | None) -> torch.Tensor | None:
        return None if layer is None or x is None else layer(x)

    def forward(self, x: Pair) -> Pair:
        x_l, x_g = x
        out_l = out_g = None
        if self.has_local_out:
            out_l = self._sum(self._branch(self.convl2l, x_l), self._branch(self.convg2l, x_g))
        if self.has_global_out:
            out_g = self._sum(self._branch(self.convl2g, x_l), self._branch(self.convg2g, x_g))
        return out_l, out_g


class FFC_BN_ACT(nn.Module):  # noqa: N801 - official name, kept for recognisability
    """FFC followed by BatchNorm and ReLU on each non-empty branch."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int,
        ratio_gin: float, ratio_gout: float, stride: int = 1, padding: int = 0,
    ) -> None:
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, ratio_gin, ratio_gout, stride, padding)
        out_l, out_g = split_channels(out_channels, ratio_gout)
        self.bn_l = nn.BatchNorm2d(out_l) if out_l else nn.Identity()
        self.bn_g = nn.BatchNorm2d(out_g) if out_g else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Pair) -> Pair:
        x_l, x_g = self.ffc(x)
        if x_l is not None:
            x_l = self.act(self.bn_l(x_l))
        if x_g is not None:
            x_g = self.act(self.bn_g(x_g))
        return x_l, x_g


class FFCResnetBlock(nn.Module):
    """Two 3x3 FFC_BN_ACT layers with residual connections on both branches."""

    def __init__(self, dim: int, ratio: float) -> None:
        super().__init__()
        self.conv1 = FFC_BN_ACT(dim, dim, 3, ratio, ratio, padding=1)
        self.conv2 = FFC_BN_ACT(dim, dim, 3, ratio, ratio, padding=1)

    def forward(self, x: Pair) -> Pair:
        x_l, x_g = self.conv2(self.conv1(x))
        id_l, id_g = x
        return id_l + x_l, (id_g + x_g) if id_g is not None else x_g


class ConcatTupleLayer(nn.Module):
    """Joins the local and global branches back into one tensor."""

    def forward(self, x: Pair) -> torch.Tensor:
        x_l, x_g = x
        return x_l if x_g is None else torch.cat((x_l, x_g), dim=1)


@dataclass(frozen=True)
class LamaConfig:
    """Hyper-parameters of one LaMa-family generator (big-lama by default)."""

    input_nc: int = 4
    output_nc: int = 3
    ngf: int = 64
    n_downsampling: int = 3
    n_blocks: int = 18
    max_features: int = 1024
    global_ratio: float = 0.75

    def width(self, level: int) -> int:
        """Channel count after ``level`` downsamplings."""
        return min(self.max_features, self.ngf * 2**level)


class FFCResNetGenerator(nn.Module):
    """LaMa generator: input ``cat(image * (1 - mask), mask)``, output RGB in [0, 1]."""

    def __init__(self, config: LamaConfig = LamaConfig()) -> None:
        super().__init__()
        self.config = config
        c = config
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            FFC_BN_ACT(c.input_nc, c.ngf, 7, 0.0, 0.0),
        ]
        for level in range(c.n_downsampling):
            last = level == c.n_downsampling - 1
            layers.append(FFC_BN_ACT(
                c.width(level), c.width(level + 1), 3, 0.0, c.global_ratio if last else 0.0,
                stride=2, padding=1,
            ))
        layers += [FFCResnetBlock(c.width(c.n_downsampling), c.global_ratio) for _ in range(c.n_blocks)]
        layers.append(ConcatTupleLayer())
        for level in range(c.n_downsampling, 0, -1):
            layers += [
                nn.ConvTranspose2d(c.width(level), c.width(level - 1), 3, stride=2, padding=1, output_padding=1),
                nn.BatchNorm2d(c.width(level - 1)),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c.ngf, c.output_nc, 7), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)
        #: Recompute residual blocks in the backward pass instead of storing their activations
        #: (about a third more compute, a fraction of the memory): for large images.
        self.checkpoint_blocks = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = (self.model[0](x), None)
        recompute = self.checkpoint_blocks and torch.is_grad_enabled()
        for layer in self.model[1:]:
            if recompute and isinstance(layer, FFCResnetBlock):
                out = checkpoint(layer, out, use_reentrant=False)
            else:
                out = layer(out)
        return out


def infer_config(state_dict: dict[str, torch.Tensor]) -> LamaConfig:
    """Read a generator's hyper-parameters off its tensor shapes (prefix already stripped)."""
    try:
        first = state_dict["model.1.ffc.convl2l.weight"]
        ngf, input_nc = int(first.shape[0]), int(first.shape[1])
        index = 2
        widths = [ngf]
        while f"model.{index}.ffc.convl2l.weight" in state_dict:
            down = state_dict[f"model.{index}.ffc.convl2l.weight"]
            out_g = state_dict.get(f"model.{index}.bn_g.weight")
            widths.append(int(down.shape[0]) + (int(out_g.shape[0]) if out_g is not None else 0))
            index += 1
        n_down = index - 2
        n_blocks = 0
        while f"model.{index}.conv1.ffc.convl2l.weight" in state_dict:
            n_blocks += 1
            index += 1
        dim = widths[-1]
        out_conv = state_dict[f"model.{index + 3 * n_down + 2}.weight"]
    except KeyError as exc:
        raise ValueError(f"not a LaMa generator: missing tensor {exc.args[0]}") from None
    if n_down == 0:
        raise ValueError("not a LaMa generator: no downsampling layers found")
    if n_blocks:
        n_global = int(state_dict[f"model.{2 + n_down}.conv1.ffc.convg2g.conv1.0.weight"].shape[1]) \
            if f"model.{2 + n_down}.conv1.ffc.convg2g.conv1.0.weight" in state_dict else 0
    else:
        bn_g = state_dict.get(f"model.{1 + n_down}.bn_g.weight")
        n_global = int(bn_g.shape[0]) if bn_g is not None else 0
    ratio = n_global / dim
    if split_channels(dim, ratio)[1] != n_global:  # guard against float truncation
        ratio = (n_global + 0.5) / dim
    expected_full = [ngf * 2**i for i in range(n_down + 1)]
    max_features = dim if widths != expected_full else max(1024, dim)
    config = LamaConfig(
        input_nc=input_nc, output_nc=int(out_conv.shape[0]), ngf=ngf, n_downsampling=n_down,
        n_blocks=n_blocks, max_features=max_features, global_ratio=ratio,
    )
    if [config.width(i) for i in range(n_down + 1)] != widths:
        raise ValueError(f"not a LaMa generator: unexpected channel widths {widths}")
    return check_bounds(config)


#: The largest LaMa-family architecture accepted: big-lama (ngf 64, 3 downsamplings, 18 blocks, 1024
#: features) and its relatives with ample margin, far below what would exhaust a machine.
LIMITS = {"ngf": 128, "n_downsampling": 5, "n_blocks": 36, "max_features": 2048}


def check_bounds(config: LamaConfig) -> LamaConfig:
    """``config``, or a ValueError when it is no LaMa-family generator anyone ships (a crafted file can
    declare any shape; building it would allocate it)."""
    if (config.input_nc, config.output_nc) != (4, 3):
        raise ValueError(f"not an inpainting LaMa: {config.input_nc} input and {config.output_nc} output channels "
                         "(LaMa has 4 and 3)")
    for name, limit in LIMITS.items():
        if getattr(config, name) > limit:
            raise ValueError(f"{name} {getattr(config, name)} is beyond any LaMa model (at most {limit})")
    return config
