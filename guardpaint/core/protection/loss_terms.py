"""The objective's loss terms, declared once: every consumer (the loop, its reports, the settings, the plot,
the command line and the report file) reads this list.

``L = sum over terms of weight * term`` (docs/method.md, section 3). A new standard term is one more
:class:`TermSpec` here, one weight field in :class:`~guardpaint.core.protection.settings.ProtectionSettings`
and, if it edits a new mask, one entry in :func:`~guardpaint.core.protection.windows.term_masks`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TermSpec:
    """One standard term: what it edits, what the fill should become, and the setting that weighs it."""

    name: str  # the key in reports and the JSON
    label: str  # how people read it (plot legend, CLI)
    mask: str  # the mask it edits: "region" (m), "dilation" (E(m)) or "ring" (R)
    target: str  # what the fill is pulled towards: "colour" (the target colour) or "clean" (the clean edit)
    weight: str  # the ProtectionSettings field holding its weight
    description: str


STANDARD_TERMS = (
    TermSpec("attack", "Region fills flat", "region", "colour", "attack_weight",
             "the editor's fill of the region is pulled towards the target colour"),
    TermSpec("incomplete", "Larger brush fills flat", "dilation", "colour", "incomplete_weight",
             "a brush larger than the region still triggers the target colour"),
    TermSpec("hide", "Edits around stay normal", "ring", "clean", "hide_weight",
             "an edit of the ring around the region fills as it would without the noise"),
)
#: The standard terms' names, in the order every report gives them.
TERM_NAMES = tuple(term.name for term in STANDARD_TERMS)


def weights(settings: object) -> dict[str, float]:
    """Each standard term's weight in ``settings``."""
    return {term.name: getattr(settings, term.weight) for term in STANDARD_TERMS}


#: The robust level's random editor attacks: one term per attack (core/protection/robust.py), reported together.
ROBUST_TERM = TermSpec("robust", "Imprecise brushes and re-saves", "variation", "colour", "robust_weight",
                       "an imprecise brush, after a re-save or a purification, still fills with the target colour")
