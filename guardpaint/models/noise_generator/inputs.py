"""The noise generator's input planes: what the network is told about a window (the image, the protection
mask, the budget's shape and strength, the target colour) and where each pixel sits on the model's grid."""
from __future__ import annotations

import torch

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


def phase_channels(height: int, width: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
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
    """The network's input (Bx:data:`INPUTS`xHxW) for the arguments of
    :meth:`~guardpaint.models.noise_generator.generator.NoiseGenerator.noise`. The budget comes
    as its shape (scaled to a maximum of 1) and its strength apart: how hard the noise must push depends
    on the strength, which a map scaled to 1 would hide."""
    strength = budget.amax(dim=(1, 2, 3), keepdim=True)
    return torch.cat([image, mask, budget / strength.clamp_min(1e-8), (strength / STRENGTH_UNIT).expand_as(mask),
                      colour.expand(-1, -1, *image.shape[-2:])], dim=1)
