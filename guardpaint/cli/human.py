"""Human-readable output of the sub-commands (``--json`` prints the same results as one object)."""
from __future__ import annotations

import textwrap

#: How each budget is said in a line.
BUDGET_WORDS = {"uniform": "full strength where it acts", "reference": "on every pixel"}


def _show_edits(result: dict) -> None:
    metrics = result["imperceptibility"]
    print(f"imperceptibility: PSNR {metrics['psnr'] if metrics['psnr'] is None else round(metrics['psnr'], 2)} dB, "
          f"SSIM {metrics['ssim']:.4f}, max diff {metrics['max_abs_diff']} levels")
    several = len(result["regions"]) > 1
    for edits in result["edits"]:
        for region in edits["regions"]:
            where = f"region {region['region']}, " if several else ""
            print(f"malicious edit ({where}{edits['model']} in {edits['editor']}): SSIM {region['ssim']:.3f} vs clean "
                  f"edit, distance to target {region['target_distance_protected']:.1f} "
                  f"(clean {region['target_distance_original']:.1f}) -> "
                  f"{'defeated' if region['holds'] else 'NOT defeated'}; ring SSIM {region['ring_ssim']:.3f}")
        for name, value in edits["benign_ssim"].items():
            print(f"benign edit '{name}': SSIM {value:.3f}")
    for suite in result.get("suite") or []:
        _show_suite(suite)


def _show_suite(suite: dict) -> None:
    print(f"attacker suite ({suite['model']}):")
    group_width = max(len(case["group"]) for case in suite["cases"])
    name_width = max(len(case["name"]) for case in suite["cases"])
    for case in suite["cases"]:
        regions = case["regions"]
        worst = max(regions, key=lambda r: (not r["holds"], r["ssim"]))
        failed = [r["region"] for r in regions if not r["holds"]]
        verdict = "held" if case["holds"] else "FAILED" + (f" (region {', '.join(map(str, failed))})"
                                                           if len(regions) > 1 else "")
        if case["params"].get("protected_against") is False:
            verdict += " (not protected against)"
        if case["not_tested"]:
            verdict += f"; region {', '.join(map(str, case['not_tested']))} not tested (the mask misses it)"
        print(f"  {case['group']:<{group_width}}  {case['name']:<{name_width}}  SSIM {worst['ssim']:.3f}  distance "
              f"{worst['target_distance_protected']:6.1f} (clean {worst['target_distance_original']:6.1f})  {verdict}")
    print("held: " + ", ".join(f"{group} {share:.0%}" for group, share in suite["held"].items()))
    for name, reason in suite.get("skipped", {}).items():
        print(f"  skipped {name}: {reason}")
    for name, value in suite["benign_ssim"].items():
        print(f"benign edit '{name}': SSIM {value:.3f}")


def _show_noise(report: dict) -> None:
    """Each region's noise as written: the ladder step it keeps, the change where its edit reads, and the
    steps that ran."""
    for region in report["regions"]:
        noise = region["reach"]["noise"] if region.get("reach") else region["noise"]
        budget = BUDGET_WORDS.get(region["budget"], f"{region['budget']} budget")
        notes = [note for note in (region["note"], (region.get("reach") or {}).get("note")) if note]
        note = "".join(f"; {text}" for text in notes)
        print(f"region {region['region']} noise: step {region['step']} ({region['strength']:.1f} levels, {budget}), "
              f"written at most {noise['max_abs']} and on average {noise['mean_abs']:.2f} levels where its edit "
              f"reads{note}")
    for number, step in enumerate(report["optimisation"].get("steps") or [], start=1):
        if step["run"] < step["planned"]:
            print(f"step {number}: stopped after {step['run']} of {step['planned']} iterations ({step['stopped']})")


def show_protection(report: dict) -> None:
    models = ", ".join(m["name"] for m in report["provenance"]["models"])
    print(f"model: {models} on {report['provenance']['device']}")
    if report.get("generator"):
        generator = report["generator"]
        refine = generator.get("refine_iterations", 0)
        print(f"noise generator: {generator['file']} (sha256 {generator['sha256'][:12]}…), its one pass"
              f"{f' and {refine} refine iterations per step' if refine else ''}")
    print(f"wrote {report['output']['path']}")
    _show_noise(report)
    _show_edits(report)
    print(report["summary"])
    for tip in report["advice"]:
        print(f"  try: {tip}")


def show_verification(result: dict) -> None:
    models = ", ".join(m["name"] for m in result["provenance"]["models"])
    print(f"model: {models} on {result['provenance']['device']}")
    _show_edits(result)
    print(result["summary"])
    for warning in result["warnings"]:
        print(f"warning: {warning}")


def show_written(result: dict) -> None:
    print(f"model: {result['model']} on {result['device']}")
    print(f"wrote {result['output']}")


def show_models(result: dict) -> None:
    if "path" in result:
        print(result["path"])
        return
    for model in result["models"]:
        state = "installed" if model["installed"] else "not installed"
        print(f"{model['name']:<10} {state:<14} {model['description']}")
        if model["limits"]:
            print(f"{'':<26}{model['limits']}")
    print()
    print(textwrap.fill(result["generators"], width=100, break_on_hyphens=False))


def show_generator(result: dict) -> None:
    """``generator train``'s file and figures, or ``generator evaluate``'s modes side by side."""
    if "modes" in result:
        print(f"generator {result['generator']['file']} on {', '.join(result['models'])}:")
        for mode, figures in result["modes"].items():
            psnr = "-" if figures["psnr"] is None else f"{figures['psnr']:.1f} dB"
            seconds = figures["seconds_per_image"]
            print(f"  {mode:<24} {figures['held']:>5.0%} held   PSNR {psnr:>8}   {seconds:.2f} s/image")
        return
    print(f"wrote {result['output']} after {result['steps']} steps ({result['seconds']:.0f} s of training)")
    if result["validation"]:
        figures = result["validation"]
        print(f"validation: {figures['held']:.0%} of {figures['pairs']} pairs hold in one pass")
