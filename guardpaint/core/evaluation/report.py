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
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.regions import Region
from guardpaint.core.evaluation.metrics import noise_statistics, noise_within
from guardpaint.core.evaluation.outcome import ProtectedImage
from guardpaint.core.evaluation.suite import SuiteReport
from guardpaint.core.evaluation.verify import VerificationReport
from guardpaint.core.protection.loop import ProtectionResult
from guardpaint.core.protection.noise import LEVELS
from guardpaint.core.protection.settings import MAXIMUM_STRENGTH
from guardpaint.models import registry

SCHEMA = "guardpaint-report/3"
#: Top-level keys of every report, in order; failed and skipped batch items carry them too (as null).
REPORT_KEYS = ("schema", "status", "protected", "summary", "advice", "warnings", "input", "output", "provenance",
               "settings", "timings", "optimisation", "imperceptibility", "regions", "edits", "suite")
DEMO_WARNING = (f"made with the demo model: it does not protect against the real LaMa ({registry.REAL_MODEL}); "
                f"protect again with {registry.REAL_MODEL}")


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


def region_list(numbers: list[int]) -> str:
    """``region 2``, ``regions 1 and 3``, ``regions 1, 2 and 4``."""
    if len(numbers) == 1:
        return f"region {numbers[0]}"
    return f"regions {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _numbers(label: str, check: VerificationReport) -> str:
    """The figures behind a verdict: the region that holds least, on one model."""
    worst = check.worst()
    mal = worst.malicious
    where = f"{label}, region {worst.region.number}" if len(check.regions) > 1 else label
    return (f"{where}: fill SSIM {mal.ssim:.2f} vs the clean edit, {mal.target_distance_protected:.0f} levels "
            f"from the target colour (clean {mal.target_distance_original:.0f})")


def summary(outcome: ProtectedImage) -> str:
    """One sentence: the verdict, for which model(s) and which regions, and the numbers behind it."""
    file = f" on the {outcome.output_format.describe()} file as written" if outcome.output_format.lossy else ""
    total = len(outcome.verification.regions)
    failing = outcome.failing()
    if not failing:
        label, check = max(outcome.verifications.items(),
                           key=lambda item: item[1].worst().malicious.target_distance_protected)
        what = "the region" if total == 1 else f"each of the {total} regions"
        return (f"Protected against {' and '.join(outcome.verifications)}{file}: the edit of {what} is defeated "
                f"({_numbers(label, check)}).")
    if total == 1:
        return (f"NOT protected against {' and '.join(failing)}{file}: it still fills the region plausibly "
                f"({_numbers(next(iter(failing)), outcome.verifications[next(iter(failing))])}).")
    models = " and ".join(f"{label} ({region_list(numbers)} of {total})" for label, numbers in failing.items())
    label = next(iter(failing))
    return (f"NOT protected against {models}{file}: those regions still fill plausibly "
            f"({_numbers(label, outcome.verifications[label])}).")


def advice(outcome: ProtectedImage) -> list[str]:
    """What to try when the protection does not hold, most effective first."""
    if outcome.protected:
        return []
    settings = outcome.result.settings
    tips = []
    if made_with_demo(outcome):
        tips.append(f"The demo model is too small and smooth for the noise to move it: protect with the real "
                    f"model ({registry.REAL_MODEL}; `guardpaint models download {registry.REAL_MODEL}`).")
    if settings.epsilon < MAXIMUM_STRENGTH or settings.budget != "uniform":
        tips.append(f"Protect at maximum strength ({MAXIMUM_STRENGTH * 255:.1f} levels on every pixel; visible on "
                    f"smooth areas): this run stopped at {settings.epsilon * 255:.1f} levels, "
                    f"{'where the noise acts' if settings.budget == 'adaptive' else settings.budget}.")
    tips.append(f"Run more iterations (this run: {settings.iterations}).")
    if settings.level == "standard":
        tips.append("Use the robust level.")
    return tips


def warnings(outcome: ProtectedImage) -> list[str]:
    notes = [DEMO_WARNING] if made_with_demo(outcome) else []
    return notes + [f"input {note}" for note in outcome.source.notes]


def provenance(outcome: ProtectedImage) -> dict:
    return {"models": [model.provenance() for model in outcome.models], "device": str(outcome.model.device),
            "level": outcome.result.settings.level, "guardpaint": __version__, "torch": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _path(value: str | os.PathLike | None) -> str | None:
    return None if value is None else str(value)


def _box(box: Box) -> list[int]:
    return [box.top, box.left, box.bottom, box.right]


def region_entries(regions: list[Region], original: np.ndarray, protected: np.ndarray,
                   verifications: dict[str, VerificationReport], result: ProtectionResult | None = None) -> list[dict]:
    """Each region: where it is, the editor's crop around it, whether it holds on every model and, when
    ``result`` is the protection that made ``protected``, what its noise comes from (its window, the step
    of the strength ladder it keeps, that step's strength and kept iterate) and the noise written in its
    context (the pixels nearer to it than to any other region), measured on ``protected`` as written;
    without ``result``, the noise over its crop."""
    entries = []
    for index, region in enumerate(regions):
        crop = region.crop(original.shape)
        entry = {"region": region.number, "box": _box(region.box), "pixels": region.size, "crop": _box(crop),
                 "holds": all(check.regions[index].holds for check in verifications.values()),
                 "shortfall": max(check.regions[index].malicious.shortfall for check in verifications.values())}
        if result is not None:
            entry |= {"window": result.region_windows[index], **result.region_outcomes[index].to_dict(LEVELS),
                      "noise": noise_within(original, protected, result.context_mask(index))}
        else:  # a file verified on its own: the noise over the part of it the editor reads
            entry["noise"] = noise_statistics(original[crop.slices], protected[crop.slices])
        entries.append(entry)
    return entries


def edit_entries(verifications: dict[str, VerificationReport], pipeline: str) -> list[dict]:
    """Per model: the malicious edit judged region by region, and the benign edits."""
    return [{"model": label, "pipeline": pipeline, "holds": check.holds,
             "regions": [verdict.to_dict() for verdict in check.regions], "benign_ssim": check.benign_ssim}
            for label, check in verifications.items()]


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
                         "best_iterations": result.best_iterations, "best_loss": result.best_loss,
                         "final_losses": asdict(result.history[-1]) if result.history else None,
                         "max_abs_noise": int(abs(result.noise).max())},
        "imperceptibility": {"psnr": check.psnr, "ssim": check.ssim, "max_abs_diff": check.max_abs_diff},
        "regions": region_entries(result.regions, outcome.source.rgb, outcome.written, outcome.verifications, result),
        "edits": edit_entries(outcome.verifications, result.settings.pipeline),
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
