"""A walk through the app's document with no Qt at all: open, paint, protect, cancel, protect again,
switch the model and export. Run by tests/test_document.py in a fresh process; prints the Qt modules
it ended up importing (none)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from guardpaint.core.io.files import write_atomic
from guardpaint.core.io.formats import PNG
from guardpaint.core.io.images import load_image
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.workflow import protect_request
from guardpaint.document import PROTECTION, TEST, Document
from guardpaint.errors import Cancelled, InputError
from guardpaint.models import load_model


def run(job, model, cancel: bool = False):
    return protect_request(job.request.for_models([model]), should_cancel=lambda: cancel)


def walk(folder: Path) -> None:
    image_path, weights, other = folder / "photo.png", folder / "tiny.pth", folder / "other.pth"
    model = load_model(str(weights), torch.device("cpu"))
    document = Document([str(weights)], "cpu")
    seen: list[str] = []
    document.outcome_changed.connect(lambda: seen.append("outcome"))

    document.open(load_image(image_path), image_path)  # open
    assert document.stale_reason() == "no protection yet" and not document.exportable
    try:
        document.begin_protection()
    except InputError as exc:  # nothing painted yet
        assert "Paint the region" in str(exc)
    else:
        raise AssertionError("an empty mask was accepted")

    mask = np.zeros(document.image.rgb.shape[:2], bool)  # paint
    mask[20:40, 30:50] = True
    document.set_mask(PROTECTION, mask)
    assert not document.mask(TEST).any() and document.mask_file_name(TEST) == "photo.test-mask.png"

    document.set_settings(ProtectionSettings(iterations=2, auto_strength=False), PNG)
    first = document.begin_protection()  # protect
    assert document.finish_protection(first, run(first, model)) and document.exportable
    kept = document.export_data()

    second = document.begin_protection()  # a second run drops the first outcome at once...
    assert document.outcome is None and not document.exportable and seen == ["outcome", "outcome"]
    try:
        run(second, model, cancel=True)  # ...and is cancelled: no outcome, nothing to export
    except Cancelled:
        document.end_run(second)
    assert document.running is None and document.outcome is None and not document.pending_export
    try:
        document.export_data()
    except InputError as exc:
        assert "nothing to export" in str(exc)
    else:
        raise AssertionError("the dropped protection was still exportable")

    third = document.begin_protection()  # protect again
    late = document.begin_protection()  # replaced before it finished: its result is dropped
    assert not document.finish_protection(third, run(third, model)) and document.outcome is None
    assert document.finish_protection(late, run(late, model)) and document.export_data() == kept  # seeded

    document.set_models([str(other)])  # switch model: the protection is not this model's
    assert document.stale_reason() == "the model changed since this protection" and not document.exportable
    assert document.pending_export  # not exported: closing or opening another image asks first
    document.set_models([str(weights)])
    assert document.exportable and document.pending_export

    output = folder / "photo-protected.png"  # export
    write_atomic(output, document.export_data())
    document.mark_exported(output)
    assert output.read_bytes() == kept and not document.pending_export

    document.set_mask(PROTECTION, ~mask)  # repaint: the outcome is no longer this mask's protection
    assert document.stale_reason() == "the protection mask changed since this protection"


if __name__ == "__main__":
    walk(Path(sys.argv[1]))
    print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))))
