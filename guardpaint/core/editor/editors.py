"""The attacker's editors, declared once: each program that runs an inpainting model on someone's image,
what it feeds the model and where that was read (plain data: the command line names them without torch).

The same weights fill a region differently in each editor, because each one feeds the model another
image: IOPaint at the photo's own resolution (or a crop, or its resize), ComfyUI's inpaint node a
square at 256 px (MAT: 512 px), the apps that run LaMa as a fixed 512 x 512 ONNX model a stretched image or a patch.
A protection is optimised for the editors chosen (``--against``) and judged under each of them; the
attacker suite runs them all. How each one runs the model is implemented once in
:mod:`~guardpaint.core.editor.views` (where) and :mod:`~guardpaint.core.editor.transfers` (how).
"""
from __future__ import annotations

from dataclasses import dataclass

from guardpaint.core.editor.pipelines import CROP_TRIGGER, RESIZE_LIMIT
from guardpaint.errors import InputError
from guardpaint.models.kinds import NetworkKind

#: ComfyUI's inpaint node resizes LaMa's input to this square and MAT's to the other (comfyui-inpaint-nodes
#: ``required_size``); it runs no other family.
COMFY_LAMA_SIDE = 256
COMFY_MAT_SIDE = 512
#: How IOPaint's forward of each family reads a mask it has resized and returns the fill: the mask's 0-255 values
#: above this are the hole (model/lama.py: > 0; model/mat.py: > 127; model/mi_gan.py: > 120) ...
IOPAINT_HOLE_ABOVE = {"lama": 0, "mat": 127, "migan": 120}
#: ... and these families' fill is rounded to 8 bits (``(x * 127.5 + 127.5).round()``), LaMa's truncated.
IOPAINT_ROUNDS = frozenset({"mat", "migan"})
#: How tables and sentences name each family.
FAMILY_NAMES = {"lama": "LaMa", "migan": "MI-GAN", "mat": "MAT"}
#: The fixed input of LaMa's ONNX exports (Carve's ``lama_fp32.onnx``).
ONNX_SIDE = 512
#: The context a patch app keeps around the mask's box on every side, at least (its patch is then at
#: least 512 px): our choice, as the apps differ; see docs/editors.md.
PATCH_MARGIN = 64
#: Where IOPaint's editors were read; a fixed-side network (MI-GAN) it runs its own way whatever the strategy.
IOPAINT_SOURCE = ("IOPaint 1.6.0: iopaint/model/base.py (_pad_forward, _crop_box, _run_box), iopaint/helper.py; "
                  "for MI-GAN iopaint/model/mi_gan.py (MIGAN.__call__, forward), for MAT iopaint/model/mat.py (MAT: "
                  "pad_mod, pad_to_square, min_size, forward)")


@dataclass(frozen=True)
class EditorSpec:
    """One editor: its name (for ``--against`` and the reports), how people read it, what it does to the image,
    mask and model output, where that was read, and which geometry implements it (views.py)."""

    name: str
    label: str  # in sentences and tables: "IOPaint (crop)"
    summary: str  # what it feeds the model and how the fill comes back
    source: str  # the code and version this was read from
    geometry: str  # views.py: "iopaint-auto", "iopaint-full", "iopaint-crop", "iopaint-resize" (any family at its
    #               own resolution), "square", "stretch" (the whole image) or "patch" (a square around the mask)
    sides: tuple[tuple[str, int], ...] = ()  # "square", "stretch", "patch": (family, model side) of each family run
    aliases: tuple[str, ...] = ()  # older names that still work (``--against auto``)
    fixed_geometry: str | None = None  # how it runs a fixed-side network (MI-GAN): "iopaint-fixed", or None: never

    def geometry_for(self, kind: NetworkKind) -> tuple[str, int] | None:
        """The geometry and model side (0: the image's own) this editor runs a network of ``kind`` with, or None
        when it does not run such a network."""
        if kind.fixed_side is not None:
            return None if self.fixed_geometry is None else (self.fixed_geometry, kind.fixed_side)
        if self.geometry.startswith("iopaint-"):
            return self.geometry, 0
        side = dict(self.sides).get(kind.family)
        return None if side is None else (self.geometry, side)

    def families(self) -> str:
        """The families this editor runs, for a table: "every family", or e.g. "LaMa (256 px), MAT (512 px)"."""
        if not self.sides:
            return "every family"
        return ", ".join(f"{FAMILY_NAMES.get(family, family)} ({side} px)" for family, side in self.sides)


EDITORS: dict[str, EditorSpec] = {spec.name: spec for spec in (
    EditorSpec(
        "iopaint", "IOPaint",
        f"IOPaint's default (its web UI's only choice): the whole image up to {CROP_TRIGGER} px, else a crop of "
        "128 px around each part of the mask; padded by symmetric reflection (LaMa: to a multiple of 8; MAT: to a "
        "square, a multiple of 512 px), at the image's own resolution; the fill truncated to 8 bits (MAT: rounded) "
        "and pasted at the mask's pixels. MI-GAN, whatever the strategy: a "
        "crop of 128 px around each part of the mask, shrunk to the network's 512 px when larger, padded to its "
        "square, the fill rounded",
        IOPAINT_SOURCE, "iopaint-auto", aliases=("auto",), fixed_geometry="iopaint-fixed"),
    EditorSpec(
        "iopaint:full", "IOPaint (whole image)",
        "IOPaint's Original strategy: the whole image at any size, at its own resolution",
        IOPAINT_SOURCE, "iopaint-full", aliases=("full",), fixed_geometry="iopaint-fixed"),
    EditorSpec(
        "iopaint:crop", "IOPaint (crop)",
        "IOPaint's Crop strategy at any size: a crop of 128 px around each part of the mask (on a small image, what "
        "a user who crops by hand does)",
        IOPAINT_SOURCE, "iopaint-crop", aliases=("crop",), fixed_geometry="iopaint-fixed"),
    EditorSpec(
        "iopaint:resize", "IOPaint (resize)",
        f"IOPaint's Resize strategy (API only): above {RESIZE_LIMIT} px the image and mask are shrunk to "
        f"{RESIZE_LIMIT} px with OpenCV's cubic filter, the fill blended with the soft mask, enlarged the same way "
        "and pasted at the mask's pixels; smaller images whole",
        IOPAINT_SOURCE, "iopaint-resize", aliases=("resize",), fixed_geometry="iopaint-fixed"),
    EditorSpec(
        "comfyui", "ComfyUI",
        f"ComfyUI's Inpaint (using Model) node with LaMa loaded by spandrel or MAT: the image reflect-padded on the "
        f"right or bottom to a square, image and mask resized with nearest-exact to {COMFY_LAMA_SIDE} x "
        f"{COMFY_LAMA_SIDE} for LaMa, {COMFY_MAT_SIDE} x {COMFY_MAT_SIDE} for MAT, "
        "the mask floored at 0.99, the output resized back bilinearly, cropped and blended by the mask in float; "
        "the saved image truncated to 8 bits",
        "comfyui-inpaint-nodes 1.4.2: nodes.py (InpaintWithModel), util.py (resize_square, undo_resize_square, "
        "mask_floor), mat/arch/MAT.py (MAT's forward); spandrel 0.4.2 (LaMa's forward); ComfyUI's SaveImage",
        "square", (("lama", COMFY_LAMA_SIDE), ("mat", COMFY_MAT_SIDE))),
    EditorSpec(
        "lama-512-resize", f"{ONNX_SIDE} px apps (resize)",
        f"Apps that run LaMa as a fixed {ONNX_SIDE} x {ONNX_SIDE} ONNX model on the whole image: image and mask "
        f"stretched to {ONNX_SIDE} x {ONNX_SIDE} with Pillow's bicubic filter (mask > 0 is the hole), the output "
        "truncated to 8 bits, stretched back with the same filter and pasted at the mask's pixels",
        "Carve/LaMa-ONNX (lama_fp32.onnx): its model card's example resizes image and mask to 512 x 512 with Pillow "
        "and thresholds the mask at > 0; the paste-back is what the apps built on it add",
        "stretch", (("lama", ONNX_SIDE),)),
    EditorSpec(
        "lama-512-crop", f"{ONNX_SIDE} px apps (patch)",
        f"Apps that cut a square patch around the mask for a fixed {ONNX_SIDE} px ONNX model: the mask's bounding box "
        f"plus {PATCH_MARGIN} px on every side, at least {ONNX_SIDE} x {ONNX_SIDE}, centred, shifted inside the "
        f"image; stretched to {ONNX_SIDE} x {ONNX_SIDE} when it is another size, then as the resize apps",
        "the Carve/LaMa-ONNX model's fixed input; the patch rule (size, margin, centring) is GuardPaint's "
        "representative of the patch apps, which differ",
        "patch", (("lama", ONNX_SIDE),)),
)}
#: Every name and alias that ``--against`` and ``--editor`` take, to the editor it names.
NAMES = {name: spec.name for spec in EDITORS.values() for name in (spec.name, *spec.aliases)}
#: What a protection is made for when nobody chooses (docs/editors.md, *The default*): ComfyUI adds 21-30 % to an
#: iteration at 512 px and turns a protection that failed there on every pair into one that held on every pair
#: (high-gain test model); the 512 px apps more than double the time for what the test model cannot show.
DEFAULT_EDITORS = ("iopaint", "comfyui")


def editor(name: str) -> EditorSpec:
    """The editor called ``name`` (or one of its aliases), or an InputError listing the editors there are."""
    if name not in NAMES:
        raise InputError(f"unknown editor {name!r} (use {', '.join(EDITORS)})")
    return EDITORS[NAMES[name]]


def parse_editors(text: str) -> tuple[str, ...]:
    """``"iopaint,comfyui"`` -> the editors' names, in the order given, each once; an InputError for an unknown
    name or an empty list."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise InputError("name at least one editor")
    return tuple(dict.fromkeys(editor(name).name for name in names))


def show_editors(names: tuple[str, ...]) -> str:
    """The inverse of :func:`parse_editors`."""
    return ",".join(names)


def check_editors(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` as canonical editor names (at least one), or an InputError."""
    return parse_editors(show_editors(tuple(names)))


def runs(name: str, kind: NetworkKind) -> bool:
    """Whether the editor ``name`` runs a network of ``kind``."""
    return editor(name).geometry_for(kind) is not None


def describe_kind(kind: NetworkKind) -> str:
    """A network kind in words: "a MI-GAN network of one 512 px side", "a MAT network"."""
    family = FAMILY_NAMES.get(kind.family, kind.family)
    return f"a {family} network" + ("" if kind.fixed_side is None else f" of one {kind.fixed_side} px side")


def describe(name: str) -> tuple[str, str]:
    """How a list of choices shows the editor ``name``: its label and what it does."""
    spec = editor(name)
    return spec.label, spec.summary


def labels(names: tuple[str, ...]) -> list[str]:
    """How people read each editor of ``names``."""
    return [editor(name).label for name in names]
