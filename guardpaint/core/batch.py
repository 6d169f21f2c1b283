"""Protecting a folder: which images, with which masks, to which outputs, and one report per image.

A mask is found by the image's stem: ``MASK_DIR/photo.png`` for ``photo.jpg``, or without a mask
folder ``photo.mask.png`` beside the image (the name the app's Save Mask suggests). An output that
is already there and complete is skipped unless asked to redo it, so an interrupted batch resumes.
Every output is written atomically, so none is ever partial. Used by ``guardpaint batch`` and the
app's Protect Folder.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from guardpaint.core.evaluation.report import item_report, protection_report
from guardpaint.core.io.conventions import IMAGE_SUFFIXES, MASK_SUFFIXES, PROTECTION
from guardpaint.core.io.files import FileKey, claimed, file_key
from guardpaint.core.io.formats import OutputFormat
from guardpaint.core.io.images import load_image, load_protection_mask, open_image
from guardpaint.core.protection.loop import IterationReport
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import OPTIMISER, NoiseSource
from guardpaint.core.workflow import protect_to_file
from guardpaint.errors import Cancelled, GuardPaintError, InputError, OutOfSpace
from guardpaint.models import registry
from guardpaint.models.base import Inpainter
from guardpaint.models.device import empty_device_cache, out_of_memory_message

MASK_SUFFIX = MASK_SUFFIXES[PROTECTION]
DONE, SKIPPED, FAILED = "done", "skipped", "failed"


@dataclass(frozen=True)
class BatchItem:
    """One image of the folder, its mask (None when none was found) and its output."""

    image: Path
    mask: Path | None
    output: Path
    expected_mask: Path  # where the mask was looked for


def is_batch_image(name: str) -> bool:
    """Whether a file of the input folder is one of the batch's images (not a mask saved beside one)."""
    lower = name.lower()
    return Path(lower).suffix in IMAGE_SUFFIXES and not lower.endswith(tuple(MASK_SUFFIXES.values()))


def plan_names(names: Iterable[str], fmt: OutputFormat, mask_folder: bool) -> Iterator[tuple[str, str, str]]:
    """The batch's images among the input folder's file ``names``, in name order, each with the name its
    mask is looked for under (``photo.png`` in the mask folder, else ``photo.mask.png`` beside it) and
    its output's name. The one naming rule of ``batch``, Protect Folder and the cluster."""
    for name in sorted(n for n in names if is_batch_image(n)):
        stem = Path(name).stem
        yield name, f"{stem}.png" if mask_folder else f"{stem}{MASK_SUFFIX}", f"{stem}{fmt.suffix}"


def find_items(input_dir: str | os.PathLike, output_dir: str | os.PathLike, fmt: OutputFormat,
               mask_dir: str | os.PathLike | None = None) -> list[BatchItem]:
    """The folder's images in name order, each with its mask and output path (the output folder need not
    exist yet: :func:`prepare_output_folder` creates it when the batch starts)."""
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    for folder in (input_dir, *([Path(mask_dir)] if mask_dir else [])):
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder")
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError(f"{output_dir}: is a file, not a folder for the protected images")
    masks = Path(mask_dir) if mask_dir else input_dir
    items = []
    for image, mask, output in plan_names((p.name for p in input_dir.iterdir() if p.is_file()), fmt,
                                          mask_dir is not None):
        expected = masks / mask
        items.append(BatchItem(input_dir / image, expected if expected.is_file() else None, output_dir / output,
                               expected))
    return items


def prepare_output_folder(folder: str | os.PathLike) -> Path:
    """The output folder, created (with its parents) when it is not there yet, as batch tools do."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the output folder ({exc.strerror or exc})") from None
    return folder


@dataclass
class BatchTally:
    """What a batch has done so far: written (and of those, not holding), skipped, failed."""

    done: int = 0
    not_protected: int = 0
    skipped: int = 0
    failed: int = 0
    demo: bool = False  # made with the demo model, which no noise moves

    def add(self, report: dict) -> None:
        """Count one image's report."""
        status = report["status"]
        setattr(self, status, getattr(self, status) + 1)
        self.not_protected += status == DONE and not report["protected"]

    def summary(self, total: int | None = None) -> str:
        """One line: what was written, how much of it holds, what was skipped and what failed."""
        total = self.done + self.skipped + self.failed if total is None else total
        held = f"{self.done - self.not_protected} protected, {self.not_protected} not holding" if self.done else "none"
        why = f"; made with the demo model, which no noise can move: download {registry.REAL_MODEL} and run again" \
            if self.demo and self.not_protected else ""
        return (f"{self.done} written ({held}), {self.skipped} skipped, {self.failed} failed, of {total} "
                f"image{'s' if total != 1 else ''}{why}")


def is_complete(path: Path) -> bool:
    """An output that exists and decodes to the end (atomic writes make partial ones rare, not impossible)."""
    try:
        with open_image(path) as img:
            img.load()
    except InputError:
        return False
    return True


def pending(items: list[BatchItem]) -> list[BatchItem]:
    """The items with a mask whose output is not written whole yet: what a batch without --overwrite will do."""
    return [item for item in items if item.mask is not None and not (item.output.exists() and is_complete(item.output))]


def batch_inputs(items: list[BatchItem]) -> frozenset[FileKey]:
    """The identities (:func:`~guardpaint.core.files.file_key`) of every file a batch reads: no output
    may replace any of them. Computed once per batch, so checking an output costs one ``stat``."""
    return frozenset(file_key(path) for item in items for path in (item.image, item.mask) if path is not None)


def protect_item(models: Inpainter | list[Inpainter], item: BatchItem, settings: ProtectionSettings,
                 fmt: OutputFormat, redo: bool = False, taken: set[Path] | None = None,
                 inputs: frozenset[FileKey] = frozenset(),
                 on_iteration: Callable[[IterationReport], None] | None = None,
                 should_cancel: Callable[[], bool] | None = None, source: NoiseSource = OPTIMISER) -> dict:
    """Protect one image of a batch; its report (status done, skipped or failed, with the reason).

    ``taken`` collects the outputs of this run, so two inputs that share a stem never write one file;
    ``inputs`` (:func:`batch_inputs`) are all the batch's images and masks, which no output may replace
    (``redo`` or not).
    """
    if item.mask is None:
        return item_report(SKIPPED, f"no mask found ({item.expected_mask})", item.image)
    if taken is not None:
        if item.output in taken:
            return item_report(FAILED, f"{item.output.name} is already the output of another image with the "
                                       "same name", item.image, item.mask)
        taken.add(item.output)
    output = file_key(item.output)
    if output in inputs or output in batch_inputs([item]):
        return item_report(FAILED, f"{item.output} would replace an input; choose another output folder",
                           item.image, item.mask)
    with claimed(item.output) as mine:  # another batch, or the app, may share the output folder
        if not mine:
            return item_report(SKIPPED, f"{item.output} is being written by another GuardPaint process", item.image,
                               item.mask)
        if not redo and item.output.exists() and is_complete(item.output):  # checked under the claim
            return item_report(SKIPPED, f"{item.output} is already there (redo it with --overwrite)", item.image,
                               item.mask)
        return _protect_one(models, item, settings, fmt, redo, on_iteration, should_cancel, source)


def _protect_one(models: Inpainter | list[Inpainter], item: BatchItem, settings: ProtectionSettings,
                 fmt: OutputFormat, redo: bool, on_iteration: Callable[[IterationReport], None] | None,
                 should_cancel: Callable[[], bool] | None, source: NoiseSource) -> dict:
    """Protect and write one claimed item; its report. Running out of memory fails this image only (the
    GPU's cache is emptied first); running out of disk stops the batch (it resumes later)."""
    try:
        image = load_image(item.image)
        request = ProtectionRequest.checked(image, load_protection_mask(item.mask, image.size), settings, fmt,
                                            output=item.output, inputs=(item.image, item.mask),
                                            overwrite=redo or item.output.exists(),  # an existing output is partial
                                            overwrite_hint=False)
        outcome = protect_to_file(request.for_models(models, source), on_iteration, should_cancel)
    except (Cancelled, OutOfSpace):  # the user stops, or the disk is full: the batch stops, to resume later
        raise
    except (GuardPaintError, OSError) as exc:  # this image fails; the batch goes on
        return item_report(FAILED, str(exc), item.image, item.mask)
    except (RuntimeError, MemoryError) as exc:
        message = out_of_memory_message(exc)
        if message is None:
            raise
        empty_device_cache()
        return item_report(FAILED, message, item.image, item.mask)
    return protection_report(outcome, item.image, item.mask, item.output)
