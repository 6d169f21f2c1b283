"""How the attacker's editors tell networks apart (plain data, no torch: the command line reads it at once)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkKind:
    """What decides how an editor runs a network: its family (ComfyUI resizes LaMa to 256 px and MAT to 512 px; the
    512 px apps run LaMa only) and the one side it runs at (MI-GAN's 256 or 512), or None for a network of any
    size. Networks of one kind get the same views from every editor."""

    family: str
    fixed_side: int | None = None


#: The kind most editors were written for, and the default wherever a kind is not given.
LAMA = NetworkKind("lama")
