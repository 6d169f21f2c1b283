"""A protection request, made and checked once, at the door.

The command line, the app's document, the batch and the cluster worker each build one: the image, the mask,
the settings (validated, with the output format's JPEG quality), the output format and, when the protection
is written to a file, its path, every one checked before any work; then the models and the noise source,
the source checked against every model. Everything past the door (the loop, the judge, the verification)
takes the request and trusts it, so each check runs once per protection.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from guardpaint.core.editor.editors import describe_kind
from guardpaint.core.editor.inpaint import check_editors_run
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.io.files import check_output
from guardpaint.core.io.formats import PNG, OutputFormat, check_storable, estimated_output_bytes
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import OPTIMISER, NoiseSource
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.errors import InputError
from guardpaint.models.base import Inpainter
from guardpaint.models.kinds import LAMA


@dataclass(frozen=True)
class ProtectionRequest:
    """One protection, checked: build it with :meth:`checked`, then :meth:`for_models`."""

    image: LoadedImage
    mask: np.ndarray = field(repr=False)  # HxW bool
    settings: ProtectionSettings
    fmt: OutputFormat
    colour: tuple[int, int, int]  # the fill's target colour: the settings', else one chosen for the image
    extra_masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # benign edits to try
    output: Path | None = None  # where the protected file goes (checked writable); None: kept in memory
    models: tuple[Inpainter, ...] = ()
    source: NoiseSource = OPTIMISER

    @classmethod
    def checked(cls, image: LoadedImage, mask: np.ndarray, settings: ProtectionSettings, fmt: OutputFormat = PNG,
                *, extra_masks: dict[str, np.ndarray] | None = None, output: str | os.PathLike | None = None,
                inputs: tuple[str | os.PathLike, ...] = (), overwrite: bool = False,
                overwrite_hint: bool = True) -> ProtectionRequest:
        """The request, or an InputError of one line naming the first thing wrong: the settings, the format
        for this image, the masks, and (with ``output``) the output file: never one of ``inputs``, an
        existing file only with ``overwrite`` (``overwrite_hint`` names the option), a folder with room."""
        settings = replace(settings, jpeg_quality=fmt.quality if fmt.lossy else None).validated()
        check_storable(image, fmt)
        shape = image.rgb.shape
        mask = validate_mask(mask, shape)
        extra = {name: validate_mask(other, shape) for name, other in (extra_masks or {}).items()}
        path = None if output is None else check_output(output, inputs, overwrite, estimated_output_bytes(image),
                                                        overwrite_hint)
        colour = settings.target_colour or choose_target_colour(image.rgb)
        return cls(image, mask, settings, fmt, colour, extra, path)

    def for_models(self, models: Inpainter | list[Inpainter], source: NoiseSource = OPTIMISER) -> ProtectionRequest:
        """The request against ``models`` (an ensemble shares one device), starting its noise from ``source``,
        which must serve every model (a noise generator trained against each: else a ModelError naming both)."""
        models = (models,) if isinstance(models, Inpainter) else tuple(models)
        if not models:
            raise InputError("a protection needs at least one model")
        if any(model.device != models[0].device for model in models):
            raise InputError("the models of an ensemble must be on one device")
        check_editors_run(list(models), self.settings.editors)
        unbuilt = [model for model in models if model.kind != LAMA]
        if unbuilt and self.settings.level == "robust":
            raise InputError(f"the robust level is built for LaMa only, not for {unbuilt[0].name} "
                             f"({describe_kind(unbuilt[0].kind)}) yet; use the standard level")
        source.check(list(models))
        return replace(self, models=models, source=source)

    @property
    def fixed(self) -> np.ndarray | None:
        """The pixels that get no noise: the fully transparent ones."""
        return None if self.image.alpha is None else self.image.alpha == 0
