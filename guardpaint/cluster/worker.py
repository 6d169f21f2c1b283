"""What one cluster actor does: load the model(s) once, then protect one image at a time with the same
:func:`~guardpaint.core.batch.protect_item` as ``guardpaint batch``, so outputs and reports are the
same. Plain Python: Ray wraps it in an actor (``run.py``); tests can call it directly."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from guardpaint.cluster.storage import Location
from guardpaint.core.batch import DONE, BatchItem, protect_item
from guardpaint.core.generator.settings import GeneratorUse
from guardpaint.core.io.formats import OutputFormat
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import OPTIMISER, GeneratorSource


@dataclass(frozen=True)
class Job:
    """Where a batch reads and writes, and how it protects (sent to each actor once)."""

    inputs: Location
    masks: Location  # the images' folder when masks lie beside the images
    outputs: Location
    mask_folder: bool  # masks are MASKS/photo.png (else photo.mask.png beside the image)
    specs: tuple[str | None, ...]
    device: str
    settings: ProtectionSettings
    fmt: OutputFormat
    redo: bool
    generator: str | None = None  # a noise generator file each actor loads once (--generator)
    refine: int = GeneratorUse.refine


@dataclass(frozen=True)
class Row:
    """One image of the batch: file names within the job's folders."""

    image: str
    mask: str | None  # None: no mask was found
    expected_mask: str
    output: str
    duplicate: bool = False  # another image of the batch, earlier by name, already has this output


class ImageProtector:
    """The body of one actor: the job, and its models, loaded once."""

    def __init__(self, job: Job) -> None:
        from guardpaint.models import load_model
        from guardpaint.models.device import select_device
        from guardpaint.models.noise_generator import read_generator

        self.job = job
        device = select_device(job.device)
        self.models = [load_model(spec, device) for spec in job.specs]
        self.source = OPTIMISER
        if job.generator is not None:
            self.source = GeneratorSource(read_generator(job.generator, device), job.refine)
            self.source.check(self.models)  # once for the actor, before its first image

    def protect(self, row: Row) -> dict:
        """The image's report (done, skipped or failed with the reason), its output written whole."""
        job = self.job
        if job.inputs.local is not None and job.masks.local is not None and job.outputs.local is not None:
            return self._protect_local(row, job.inputs.local, job.masks.local, job.outputs.local)
        with tempfile.TemporaryDirectory(prefix="guardpaint-") as scratch:
            return self._protect_remote(row, Path(scratch))

    def _protect_local(self, row: Row, inputs: Path, masks: Path, outputs: Path) -> dict:
        item = BatchItem(inputs / row.image, masks / row.mask if row.mask else None, outputs / row.output,
                         masks / row.expected_mask)
        return protect_item(self.models, item, self.job.settings, self.job.fmt, redo=self.job.redo,
                            taken={item.output} if row.duplicate else None, source=self.source)

    def _protect_remote(self, row: Row, scratch: Path) -> dict:
        """Copy the image, its mask and any output already there into ``scratch``, protect there, and write
        the output back as one whole object; the report names the URIs, not the scratch copies."""
        job = self.job
        folders = {name: scratch / name for name in ("in", "masks", "out")}
        for folder in folders.values():
            folder.mkdir()
        (folders["in"] / row.image).write_bytes(job.inputs.read(row.image))
        if row.mask:
            (folders["masks"] / row.mask).write_bytes(job.masks.read(row.mask))
        if not job.redo and job.outputs.exists(row.output):
            (folders["out"] / row.output).write_bytes(job.outputs.read(row.output))  # skipped when complete
        report = self._protect_local(row, folders["in"], folders["masks"], folders["out"])
        if report["status"] == DONE:
            job.outputs.write(row.output, (folders["out"] / row.output).read_bytes())
        renames = {str(folders["in"]): job.inputs.uri, str(folders["masks"]): job.masks.uri,
                   str(folders["out"]): job.outputs.uri}
        return _renamed(report, renames)


def _renamed(value, renames: dict[str, str]):
    """``value`` (a report) with every scratch folder in its strings replaced by the folder's URI."""
    if isinstance(value, dict):
        return {key: _renamed(item, renames) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, renames) for item in value]
    if isinstance(value, str):
        for old, new in renames.items():
            value = value.replace(old, new)
    return value
