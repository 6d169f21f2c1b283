"""The backdoor's target: a flat colour far from the image's mean colour."""
from __future__ import annotations

import numpy as np

#: Candidate targets of the reference method: pure green, red and blue.
CANDIDATE_COLOURS: tuple[tuple[int, int, int], ...] = ((0, 255, 0), (255, 0, 0), (0, 0, 255))


def choose_target_colour(rgb: np.ndarray) -> tuple[int, int, int]:
    """The candidate maximising ``sum(((mean_rgb - c) / 255) ** 2)`` over the whole image."""
    mean = rgb.reshape(-1, 3).astype(np.float64).mean(axis=0)
    scores = [float((((mean - np.array(c)) / 255.0) ** 2).sum()) for c in CANDIDATE_COLOURS]
    return CANDIDATE_COLOURS[int(np.argmax(scores))]


def parse_colour(text: str) -> tuple[int, int, int]:
    """'#rrggbb' or 'r,g,b' -> an RGB triple (raises ValueError)."""
    text = text.strip()
    if text.startswith("#") and len(text) == 7:
        return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    parts = [int(p) for p in text.split(",")]
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise ValueError(f"not a colour: {text!r} (use #rrggbb or r,g,b)")
    return tuple(parts)  # type: ignore[return-value]


#: The candidates by name, as people choose them.
COLOUR_NAMES = {"green": CANDIDATE_COLOURS[0], "red": CANDIDATE_COLOURS[1], "blue": CANDIDATE_COLOURS[2]}


def parse_colour_choice(text: str) -> tuple[int, int, int] | None:
    """``auto`` (None: the automatic rule), a candidate's name, ``#rrggbb`` or ``r,g,b`` (raises ValueError)."""
    text = text.strip().lower()
    if text == "auto":
        return None
    return COLOUR_NAMES[text] if text in COLOUR_NAMES else parse_colour(text)


def colour_choice(colour: tuple[int, int, int] | None) -> str:
    """The text :func:`parse_colour_choice` reads back as ``colour``."""
    if colour is None:
        return "auto"
    names = {value: name for name, value in COLOUR_NAMES.items()}
    return names.get(tuple(colour), "#{:02x}{:02x}{:02x}".format(*colour))
