"""What a verdict says, in plain words: one module for the app, the command line, ``verify``, the report's
summary and the export confirmation. The numbers stay in the report; these sentences say what they mean."""
from __future__ import annotations

from guardpaint.core.editor.editors import labels
from guardpaint.core.evaluation.verify import Checks, each_check
from guardpaint.models import registry

#: Said wherever a verdict made with the bundled demo model appears.
DEMO_CAVEAT = (f"Made with the demo model, which only shows how GuardPaint works: it says nothing about the real "
               f"LaMa ({registry.REAL_MODEL}). Download {registry.REAL_MODEL} and protect again.")


def joined(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def regions_named(numbers: list[int]) -> str:
    """``region 2``, ``regions 1 and 3``."""
    return f"region {numbers[0]}" if len(numbers) == 1 else f"regions {joined([str(n) for n in numbers])}"


def models_in_editors(verifications: Checks) -> str:
    """Which models were checked in which editors: "a and b in IOPaint and ComfyUI", or per group of
    models where the editors differ (MI-GAN runs in IOPaint only): "big-lama in IOPaint and ComfyUI, and
    migan in IOPaint"."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for label, by_editor in verifications.items():
        groups.setdefault(tuple(by_editor), []).append(label)
    return ", and ".join(f"{joined(models)} in {joined(labels(editors))}" for editors, models in groups.items())


def verdict(verifications: Checks, where: str = "") -> str:
    """One sentence: protected or not, against which models, in which editors, which regions. ``where`` ends
    the first clause (e.g. " on the JPEG as written")."""
    checks = each_check(verifications)
    editors = list(dict.fromkeys(name for by_editor in verifications.values() for name in by_editor))
    total = len(checks[0][2].regions)
    failing = [(label, name, check) for label, name, check in checks if check.failing]
    if not failing:
        what = "the region" if total == 1 else f"any of the {total} regions"
        return (f"Protected against {models_in_editors(verifications)}{where}: an edit of {what} comes out as a "
                f"flat colour.")
    against = joined(list(dict.fromkeys(label for label, _, _ in failing)))
    broken = list(dict.fromkeys(name for _, name, _ in failing))
    holding = joined(labels(tuple(name for name in editors if name not in broken))) if len(broken) < len(editors) \
        else ""
    head = f"Not protected against {against} in {joined(labels(tuple(broken)))}{where}"
    if total == 1:
        return f"{head}: the region can still be edited convincingly{f'; it holds in {holding}' if holding else ''}."
    numbers = sorted({n for _, _, check in failing for n in check.failing})
    held = total - len(numbers)
    rest = f"; the other {held} hold" if held > 1 else ("; the other one holds" if held == 1 else "")
    still = f"; in {holding} all hold" if holding else ""
    return f"{head}: {regions_named(numbers)} of {total} can still be edited convincingly{rest}{still}."


def region_state(holds: bool) -> str:
    """A region's state in a list of regions."""
    return "protected" if holds else "not protected"


def maximum_helps(protected: bool, demo: bool, at_maximum: bool, unmoved: bool) -> bool:
    """Whether protecting at maximum strength is worth offering: it did not hold, on a model the noise moves,
    with less than maximum strength."""
    return not (protected or demo or at_maximum or unmoved)


def next_steps(protected: bool, demo: bool, at_maximum: bool, unmoved: bool, iterations: int) -> list[str]:
    """What can still help, on this model: nothing when it holds; for the demo model only the real model
    (nothing moves the demo); when the noise did not move the fill at all, no stronger setting (it cannot
    help); else maximum strength (when not already used) and more iterations."""
    if protected:
        return []
    if demo:
        return [f"Protect with the real model: `guardpaint models download {registry.REAL_MODEL}`, or Model > "
                f"Download {registry.REAL_MODEL} in the app. The demo model cannot be moved by any strength."]
    if unmoved:
        return ["The noise did not move this model's fill at all, so a stronger setting or more iterations will not "
                "help: check that these are the weights editors run."]
    steps = []
    if maximum_helps(protected, demo, at_maximum, unmoved):
        steps.append("Protect at maximum strength (6.4 levels wherever the noise acts; visible on smooth areas).")
    steps.append(f"Run more iterations (this run: {iterations} per step).")
    return steps
