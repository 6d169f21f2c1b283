"""Where an editor runs the model for a mask: *views*, and IOPaint 1.6's HD strategies as views, once.

A :class:`View` is one run of the model: the box of the image the editor cuts out, the mask inside
it, and the :mod:`transfer <guardpaint.core.editor.transfers>` that takes the box to the model and
back (its own size, or a resize); after the run the view's result replaces the image at the view's
mask pixels (the paste rule). Every consumer reads its geometry from an editor's views
(:mod:`guardpaint.core.editor.editors`): the 8-bit editor, the differentiable objective, the robust
level's random attacks, the attacker suite, the preview.

Facts from IOPaint's source (``iopaint/schema.py``, ``model/base.py``, ``helper.py``; docs/method.md):

* **auto** is IOPaint's default, CROP: an image whose long side is at most 800 px is inpainted
  whole; above that, one crop per external contour of the mask (:func:`~guardpaint.core.editor.geometry.crop_box`),
  inpainted at native resolution with every mask pixel inside it; all crops are computed from
  the original image and then pasted back in contour order.
* **crop** is that per-component crop at any size: on a small image it is what a user who crops by
  hand does, a fair attack too.
* **resize** (API only) acts when the long side exceeds 1280: image and mask are downscaled with
  cubic interpolation to ``int(side * ratio + 0.5)`` (:class:`~guardpaint.core.editor.transfers.CubicResize`).
  Smaller images are inpainted whole.
* **full** runs the model on the whole frame at any size.

LaMa's output is truncated to 8 bits (not rounded), and so is every blend after it; MAT's and MI-GAN's
forward rounds it (``IOPAINT_ROUNDS``), and reads a resized mask with its own threshold (``IOPAINT_HOLE_ABOVE``).

A network of one fixed side (MI-GAN) IOPaint runs otherwise, whatever the strategy (``model/mi_gan.py``):
**fixed** is a crop of 128 px around each part of the mask (the whole image when it is the network's
square already), shrunk with the resize strategy's cubic filter to at most the network's side, padded to
its square by the model's padding rule; the hole is the shrunk mask above 120 of 255 and the fill is
rounded to 8 bits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from guardpaint.core.editor.editors import IOPAINT_HOLE_ABOVE, IOPAINT_ROUNDS, PATCH_MARGIN, EditorSpec, editor
from guardpaint.core.editor.geometry import Box, component_boxes, crop_box, place, square_around
from guardpaint.core.editor.pipelines import check_pipeline, resized_size, uses_crops, uses_resize
from guardpaint.core.editor.transfers import CubicResize, Native, SquareNearest, Stretch, Transfer
from guardpaint.models.kinds import LAMA, NetworkKind


@dataclass(frozen=True)
class View:
    """One run of the model by the editor.

    ``mask`` is the editor's mask inside ``box`` (bool, box-sized): after the run the view's result
    replaces the image at exactly these pixels (the paste rule). ``transfer`` takes the box to the model
    and back: :class:`~guardpaint.core.editor.transfers.Native` at the box's own size.
    """

    box: Box
    mask: np.ndarray = field(compare=False, repr=False)
    transfer: Transfer = Native()

    @property
    def model_shape(self) -> tuple[int, int]:
        """(height, width) of what the model sees."""
        return self.transfer.model_shape(self.box.height, self.box.width)


def iopaint_views(mask: np.ndarray, pipeline: str = "auto", shape: tuple[int, ...] | None = None,
                  origin: tuple[int, int] = (0, 0), family: str = "lama") -> list[View]:
    """The model runs IOPaint makes for ``mask`` (HxW bool) under ``pipeline`` with a network of ``family`` (of
    any size), in paste order.

    ``mask`` may be the part at ``origin`` of the mask of a larger image of ``shape`` (empty elsewhere):
    the views are then those of that image, in its coordinates.
    """
    rounds = family in IOPAINT_ROUNDS
    shape = tuple(shape or mask.shape)[:2]
    frame = Box(0, 0, *shape)
    placed = Box(origin[0], origin[1], origin[0] + mask.shape[0], origin[1] + mask.shape[1])
    if uses_resize(shape, check_pipeline(pipeline)):
        transfer = CubicResize(resized_size(shape), IOPAINT_HOLE_ABOVE.get(family, 0), rounds)
        return [View(frame, place(mask, placed, frame), transfer)]
    if not uses_crops(shape, pipeline):
        return [View(frame, place(mask, placed, frame), Native(rounds))]
    boxes = [crop_box(component.shifted(*origin), shape) for component in component_boxes(mask)]
    return [View(box, place(mask, placed, box), Native(rounds)) for box in boxes]


def fixed_side_views(mask: np.ndarray, side: int, shape: tuple[int, ...] | None = None,
                     origin: tuple[int, int] = (0, 0)) -> list[View]:
    """The model runs IOPaint makes for ``mask`` with a network of one ``side`` (MI-GAN), in paste order; ``mask``
    may be a part of a larger image as in :func:`iopaint_views`."""
    shape = tuple(shape or mask.shape)[:2]
    frame = Box(0, 0, *shape)
    placed = Box(origin[0], origin[1], origin[0] + mask.shape[0], origin[1] + mask.shape[1])
    if shape == (side, side):
        return [View(frame, place(mask, placed, frame), Native(rounds=True))]
    views = []
    for component in component_boxes(mask):
        box = crop_box(component.shifted(*origin), shape)
        transfer = Native(rounds=True) if max(box.height, box.width) <= side else CubicResize(
            resized_size((box.height, box.width), side), IOPAINT_HOLE_ABOVE["migan"], rounds=True)
        views.append(View(box, place(mask, placed, box), transfer))
    return views


def _squared(box: Box, side: int) -> Transfer:
    """ComfyUI's square at ``side``; a box that is already that square goes to the model as it is."""
    return Native() if box.height == box.width == side else SquareNearest(side)


def _stretched(box: Box, side: int) -> Transfer:
    """A fixed ``side`` x ``side`` model's stretch; a box of that size goes to the model as it is."""
    return Native() if box.height == box.width == side else Stretch((side, side))


def editor_views(spec: EditorSpec | str, mask: np.ndarray, shape: tuple[int, ...] | None = None,
                 origin: tuple[int, int] = (0, 0), kind: NetworkKind = LAMA) -> list[View]:
    """The model runs the editor ``spec`` (or its name) makes for ``mask`` (HxW bool), in paste order, for a
    network of ``kind`` (``Inpainter.kind``: LaMa unless given).

    ``mask`` may be the part at ``origin`` of the mask of a larger image of ``shape`` (empty elsewhere):
    the views are then those of that image, in its coordinates. A transfer that would not change the box
    (a square of ComfyUI's side, a 512 px square for the ONNX apps) is the native one, so that editors
    computing the same edit share it. An editor that does not run a network of ``kind`` has none.
    """
    spec = editor(spec) if isinstance(spec, str) else spec
    how = spec.geometry_for(kind)
    if how is None:
        return []
    geometry, side = how
    if geometry == "iopaint-fixed":
        return fixed_side_views(mask, side, shape, origin)
    if geometry.startswith("iopaint-"):
        return iopaint_views(mask, geometry.removeprefix("iopaint-"), shape, origin, kind.family)
    shape = tuple(shape or mask.shape)[:2]
    frame = Box(0, 0, *shape)
    placed = Box(origin[0], origin[1], origin[0] + mask.shape[0], origin[1] + mask.shape[1])
    if geometry == "square":
        return [View(frame, place(mask, placed, frame), _squared(frame, side))]
    if geometry == "stretch":
        return [View(frame, place(mask, placed, frame), _stretched(frame, side))]
    parts = component_boxes(mask)
    extent = parts[0]
    for part in parts[1:]:
        extent = extent.union(part)
    extent = extent.shifted(*origin)
    patch = square_around(extent, max(side, extent.height + 2 * PATCH_MARGIN, extent.width + 2 * PATCH_MARGIN),
                          shape)
    return [View(patch, place(mask, placed, patch), _stretched(patch, side))]
