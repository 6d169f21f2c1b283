"""An attacker's editor with a model, 8 bits in and out: it runs the model on each of the editor's views
(:func:`~guardpaint.core.editor.views.editor_views`) through the view's transfer and pastes the results
back at the views' mask pixels."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from guardpaint.core.editor.editors import EditorSpec, describe_kind, editor, labels, runs
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.views import View, editor_views
from guardpaint.errors import Cancelled, InputError
from guardpaint.models.base import Inpainter


class Editor:
    """What one attacker's editor (:mod:`~guardpaint.core.editor.editors`: ``iopaint``, ``comfyui``...) does
    with a model.

    ``should_cancel`` is asked before every run of the model (a mask of many parts is many runs) and
    stops the editor with :class:`~guardpaint.errors.Cancelled`.
    """

    def __init__(self, model: Inpainter, spec: EditorSpec | str = "iopaint",
                 should_cancel: Callable[[], bool] | None = None) -> None:
        self.model = model
        self.spec = editor(spec) if isinstance(spec, str) else spec
        if self.spec.geometry_for(model.kind) is None:
            raise InputError(f"{self.spec.label} does not run {model.name} ({describe_kind(model.kind)}); "
                             "IOPaint does")
        self.should_cancel = should_cancel

    @property
    def name(self) -> str:
        return self.spec.name

    def views(self, mask: np.ndarray) -> list[View]:
        """The editor's views for this mask (where it runs the model, and how)."""
        return editor_views(self.spec, mask, kind=self.model.kind)

    def view_boxes(self, mask: np.ndarray) -> list[Box]:
        """The parts of the image the editor runs the model on for this mask (for showing the edits)."""
        return [view.box for view in self.views(mask)]

    @torch.inference_mode()
    def inpaint(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Inpaint the True pixels of ``mask`` in the HxWx3 uint8 image as the editor would; uint8."""
        views = self.views(mask)
        results = []
        for view in views:  # every view from the original, then pasted
            if self.should_cancel is not None and self.should_cancel():
                raise Cancelled("cancelled")
            results.append(view.transfer.exact(self.model, rgb[view.box.slices], view.mask))
        out = rgb.copy()
        for view, result in zip(views, results, strict=True):
            out[view.box.slices][view.mask] = result[view.mask]
        return out


def editors_for(model: Inpainter, names: tuple[str, ...]) -> tuple[str, ...]:
    """The editors of ``names`` that run ``model`` (ComfyUI runs LaMa and MAT, the 512 px apps LaMa only)."""
    return tuple(name for name in names if runs(name, model.kind))


def check_editors_run(models: list[Inpainter], names: tuple[str, ...]) -> None:
    """An InputError unless each of ``models`` is run by at least one of the editors ``names``."""
    for model in models:
        if not editors_for(model, names):
            raise InputError(f"none of the editors chosen ({', '.join(labels(names))}) runs {model.name} "
                             f"({describe_kind(model.kind)}): protect against IOPaint (--against iopaint)")
