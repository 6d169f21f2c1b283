"""The one report schema: what a protection was made with, what it measured, and its verdict.

Used by ``guardpaint protect --json``, the app's Export Report and each line of a batch.
"""
from __future__ import annotations

import datetime
import math
import os
from dataclasses import asdict

import torch

from guardpaint import __version__
from guardpaint.core.attacks import SuiteReport
from guardpaint.core.workflow import ProtectedImage
from guardpaint.models import registry

SCHEMA = "guardpaint-report/1"
#: Top-level keys of every report, in order; failed and skipped batch items carry them too (as null).
REPORT_KEYS = ("schema", "status", "protected", "summary", "advice", "warnings", "input", "output", "provenance",
               "settings", "timings", "optimisation", "imperceptibility", "edits", "suite")
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
    return registry.is_demo(outcome.model.sha256)


def summary(outcome: ProtectedImage) -> str:
    """One sentence: the verdict, for which model, and the numbers behind it."""
    mal = outcome.verification.malicious
    numbers = (f"fill SSIM {mal.ssim:.2f} vs the clean edit, {mal.target_distance_protected:.0f} levels from the "
               f"target colour (clean {mal.target_distance_original:.0f})")
    if outcome.protected:
        return f"Protected against {outcome.model.name}: its edit of the region is defeated ({numbers})."
    return f"NOT protected against {outcome.model.name}: it still fills the region plausibly ({numbers})."


def advice(outcome: ProtectedImage) -> list[str]:
    """What to try when the protection does not hold, most effective first."""
    if outcome.protected:
        return []
    settings = outcome.result.settings
    tips = []
    if made_with_demo(outcome):
        tips.append(f"The demo model is too small and smooth for the noise to move it: protect with the real "
                    f"model ({registry.REAL_MODEL}; `guardpaint models download {registry.REAL_MODEL}`).")
    tips.append(f"Run more iterations (this run: {settings.iterations}).")
    if settings.level == "standard":
        tips.append("Use the robust level.")
    return tips


def warnings(outcome: ProtectedImage) -> list[str]:
    notes = [DEMO_WARNING] if made_with_demo(outcome) else []
    return notes + [f"input {note}" for note in outcome.source.notes]


def provenance(outcome: ProtectedImage) -> dict:
    return {"models": [outcome.model.provenance()], "device": str(outcome.model.device),
            "level": outcome.result.settings.level, "guardpaint": __version__, "torch": torch.__version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _path(value: str | os.PathLike | None) -> str | None:
    return None if value is None else str(value)


def protection_report(outcome: ProtectedImage, image_path: str | os.PathLike | None = None,
                      mask_path: str | os.PathLike | None = None, output_path: str | os.PathLike | None = None,
                      suite: SuiteReport | None = None) -> dict:
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
                         "view": "full frame" if result.full_frame else "editor crops",
                         "windows": [[b.top, b.left, b.bottom, b.right] for b in result.windows],
                         "best_iterations": result.best_iterations, "best_loss": result.best_loss,
                         "final_losses": asdict(result.history[-1]) if result.history else None,
                         "max_abs_noise": int(abs(result.noise).max())},
        "imperceptibility": {"psnr": check.psnr, "ssim": check.ssim, "max_abs_diff": check.max_abs_diff},
        "edits": [{"model": outcome.model.name, "malicious": check.malicious.to_dict(),
                   "benign_ssim": check.benign_ssim}],
        "suite": None if suite is None else [{"model": outcome.model.name, **suite.to_dict()}],
    }
    return finite(report)


def item_report(status: str, reason: str, image_path: str | os.PathLike | None = None,
                mask_path: str | os.PathLike | None = None) -> dict:
    """A batch item that was skipped or failed: the same keys, with the reason as its summary."""
    report = dict.fromkeys(REPORT_KEYS)
    report.update(schema=SCHEMA, status=status, protected=None, summary=reason, advice=[], warnings=[],
                  input={"image": _path(image_path), "mask": _path(mask_path)})
    return report
