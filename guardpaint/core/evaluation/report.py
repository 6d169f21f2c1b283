"""The one report schema: what a protection was made with, what it measured, and its verdict.

Used by ``guardpaint protect --json``, the app's Export Report and each line of a batch.
"""
from __future__ import annotations

import datetime
import math
import os
from dataclasses import asdict

import numpy as np
import torch

from guardpaint import __version__
from guardpaint.core.editor.editors import editor
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.regions import Region
from guardpaint.core.evaluation.metrics import noise_statistics, noise_within
from guardpaint.core.evaluation.outcome import ProtectedImage
from guardpaint.core.evaluation.reach import Reach
from guardpaint.core.evaluation.suite import SuiteReport
from guardpaint.core.evaluation.verify import Checks, each_check, failing_editors, region_shortfall
from guardpaint.core.evaluation.wording import DEMO_CAVEAT, maximum_helps, next_steps, verdict
from guardpaint.core.protection.ladder import UNMOVED_NOTE
from guardpaint.core.protection.loop import ProtectionResult
from guardpaint.core.protection.settings import at_maximum_strength
from guardpaint.models import registry

SCHEMA = "guardpaint-report/4"
#: Top-level keys of every report, in order; failed and skipped batch items carry them too (as null).
REPORT_KEYS = ("schema", "status", "protected", "summary", "advice", "warnings", "input", "output", "provenance",
               "settings", "timings", "optimisation", "generator", "imperceptibility", "regions", "edits", "suite")


def finite(value: object) -> object:
    """JSON has no infinity: non-finite floats (PSNR of identical images) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def made_with_demo(outcome: ProtectedImage) -> bool:
    """Whether the protection was made against the demo model alone (so against no real model)."""
    return all(registry.is_demo(model.sha256) for model in outcome.models)


def summary(outcome: ProtectedImage) -> str:
    """The verdict in one plain sentence (wording.py); the figures are in the report's regions and edits."""
    where = f" on the {outcome.output_format.describe()} file as written" if outcome.output_format.lossy else ""
    return verdict(outcome.verifications, where)


def _situation(outcome: ProtectedImage) -> tuple[bool, bool, bool, bool]:
    """(protected, made with the demo, at maximum strength, a fill the noise did not move): what advice reads."""
    settings = outcome.result.settings
    unmoved = any(UNMOVED_NOTE in region.note for region in outcome.result.region_outcomes)
    return outcome.protected, made_with_demo(outcome), at_maximum_strength(settings) == settings, unmoved


def advice(outcome: ProtectedImage) -> list[str]:
    """What can still help on this protection's model (nothing when it holds)."""
    return next_steps(*_situation(outcome), outcome.result.settings.iterations)


def offers_maximum(outcome: ProtectedImage) -> bool:
    """Whether maximum strength is worth offering for this protection (the app's button)."""
    return maximum_helps(*_situation(outcome))


def warnings(outcome: ProtectedImage) -> list[str]:
    """The demo caveat, weight files that changed since they were loaded, and notes on the input."""
    notes = [DEMO_CAVEAT] if made_with_demo(outcome) else []
    notes += [change for change in (model.source_change() for model in outcome.models) if change]
    return notes + [f"input {note}" for note in outcome.source.notes]


def provenance(outcome: ProtectedImage) -> dict:
    """The models, the editors (each with the source it was declared from), the device and the versions."""
    editors = [{"name": spec.name, "label": spec.label, "source": spec.source}
               for spec in (editor(name) for name in outcome.result.settings.editors)]
    return {"models": [model.provenance() for model in outcome.models], "editors": editors,
            "device": str(outcome.model.device),
            "level": outcome.result.settings.level, "guardpaint": __version__, "torch": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _path(value: str | os.PathLike | None) -> str | None:
    return None if value is None else str(value)


def _box(box: Box) -> list[int]:
    return [box.top, box.left, box.bottom, box.right]


def region_entries(regions: list[Region], original: np.ndarray, protected: np.ndarray,
                   verifications: Checks, result: ProtectionResult | None = None,
                   region_reaches: list[Reach] | None = None) -> list[dict]:
    """Each region: where it is, IOPaint's crop around it, whether it holds on every model under every editor
    (and per editor and model: ``checks``; the editors it fails under: ``failing_editors``) and, when
    ``result`` is the protection that made ``protected``, what its noise comes from (its window, the step
    of the strength ladder it keeps, that step's strength and kept iterate) and the noise written in its
    context (the pixels nearer to it than to any other region), measured on ``protected`` as written, and its
    reach (what its edit reads: the noise there, and a later step's noise of another region it holds with);
    without ``result``, the noise over its crop."""
    entries = []
    for index, region in enumerate(regions):
        crop = region.crop(original.shape)
        checks = [{"editor": name, "model": label, "holds": check.regions[index].holds,
                   "shortfall": check.regions[index].malicious.shortfall}
                  for label, name, check in each_check(verifications)]
        entry = {"region": region.number, "box": _box(region.box), "pixels": region.size, "crop": _box(crop),
                 "holds": all(item["holds"] for item in checks), "shortfall": region_shortfall(verifications, index),
                 "failing_editors": failing_editors(verifications, index), "checks": checks}
        if result is not None:
            entry |= {"window": result.region_windows[index], **result.region_outcomes[index].to_dict(),
                      "noise": noise_within(original, protected, result.context_mask(index))}
            if region_reaches:
                entry["reach"] = region_reaches[index].to_dict()
        else:  # a file verified on its own: the noise over the part of it the editor reads
            entry["noise"] = noise_statistics(original[crop.slices], protected[crop.slices])
        entries.append(entry)
    return entries


def edit_entries(verifications: Checks) -> list[dict]:
    """Per model and editor: the malicious edit judged region by region, and the benign edits."""
    return [{"model": label, "editor": name, "holds": check.holds,
             "regions": [verdict.to_dict() for verdict in check.regions], "benign_ssim": check.benign_ssim}
            for label, name, check in each_check(verifications)]


def protection_report(outcome: ProtectedImage, image_path: str | os.PathLike | None = None,
                      mask_path: str | os.PathLike | None = None, output_path: str | os.PathLike | None = None,
                      suites: dict[str, SuiteReport] | None = None) -> dict:
    """The report of a finished protection (JSON-ready, non-finite numbers as null)."""
    result, check = outcome.result, outcome.verification
    width, height = outcome.source.size
    report = {
        "schema": SCHEMA,
        "status": "done",
        "protected": outcome.protected,
        "summary": summary(outcome),
        "advice": advice(outcome),
        "warnings": warnings(outcome),
        "input": {"image": _path(image_path), "mask": _path(mask_path), "size": [width, height],
                  "mode": outcome.source.source_mode, "mask_pixels": int(outcome.mask.sum())},
        "output": {"path": _path(output_path), "format": outcome.output_format.kind,
                   "quality": outcome.output_format.quality if outcome.output_format.lossy else None,
                   "bytes": len(outcome.data)},
        "provenance": provenance(outcome),
        "settings": asdict(result.settings),
        "timings": outcome.timings,
        "optimisation": {"target_colour": list(result.target_colour), "iterations": result.settings.iterations,
                         "precision": {"gradients": result.settings.precision, "iterates_scored": "fp32",
                                       "verdict": "fp32"},
                         "engine": result.engine,
                         "view": "full frame" if result.full_frame else "editor crops",
                         "windows": [[b.top, b.left, b.bottom, b.right] for b in result.windows],
                         "steps_run": result.steps,
                         "steps": [run.to_dict() for run in result.step_runs],
                         "best_iterations": result.best_iterations, "best_loss": result.best_loss,
                         "final_losses": result.history[-1].to_dict() if result.history else None,
                         "max_abs_noise": int(abs(result.noise).max())},
        "generator": outcome.generator,
        "imperceptibility": {"psnr": check.psnr, "ssim": check.ssim, "max_abs_diff": check.max_abs_diff},
        "regions": region_entries(result.regions, outcome.source.rgb, outcome.written, outcome.verifications, result,
                                  outcome.reaches),
        "edits": edit_entries(outcome.verifications),
        "suite": None if not suites else [{"model": label, **suite.to_dict()} for label, suite in suites.items()],
    }
    return finite(report)


def item_report(status: str, reason: str, image_path: str | os.PathLike | None = None,
                mask_path: str | os.PathLike | None = None) -> dict:
    """A batch item that was skipped or failed: the same keys, with the reason as its summary."""
    report = dict.fromkeys(REPORT_KEYS)
    report.update(schema=SCHEMA, status=status, protected=None, summary=reason, advice=[], warnings=[],
                  input={"image": _path(image_path), "mask": _path(mask_path)})
    return report
