"""Least noise, least work: the same protections made by two versions of GuardPaint, in one run.

    python benchmarks/least_noise.py --before 94d89b9 --json

``--before`` is a commit of this repository: it is checked out into a temporary worktree and run in a
child process beside the working tree's code, or beside another commit (``--after``); both run with the
working tree's ``tests/high_gain.py``. For
each held-out photo (scikit-image's chelsea, coffee, rocket at 320 x 240) and each shape the review of
issue 40 used (a blob, a 3-5 px signature, a ring, a 4 px dot, a 5 x 5 dot beside a 70 x 70 square, a
region at the border, a large region), each version protects with the default settings and at maximum
strength, against IOPaint (the high-gain model's trigger survives its editor at this size), and
reports: PSNR, whether it holds, whether it holds after JPEG at 90 and the share of the purification
group that holds (the attacker suite), the iterations run and the seconds per image.

``--margins`` compares the stop's margins on the working tree (docs/method.md, section 6a);
``--check-cost big-lama-arch`` times one check against one iteration on LaMa's architecture.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ("chelsea.png", "coffee.png", "rocket.jpg")
SIZE = (320, 240)
GIT = shutil.which("git") or "git"


def shapes() -> dict[str, np.ndarray]:
    """The review's shapes at 320 x 240."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import mask_shapes

    height, width = SIZE[1], SIZE[0]
    out = dict(mask_shapes(height, width))
    pair = np.zeros((height, width), bool)
    pair[80:150, 100:170] = True
    pair[110:115, 185:190] = True
    out["5 x 5 beside 70 x 70"] = pair
    border = np.zeros((height, width), bool)
    border[0:40, 120:180] = True
    out["at the border"] = border
    large = np.zeros((height, width), bool)
    large[30:200, 50:250] = True
    out["large (44 %)"] = large
    return out


def child() -> None:
    """Run every case with the GuardPaint on this process's path; one JSON line per case."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "training"))
    from guardpaint.core.evaluation.suite import run_suite
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
    from guardpaint.core.workflow import protect_image

    from data import load_photo
    from high_gain import HighGainInpainter

    model = HighGainInpainter()
    base = ProtectionSettings(editors=("iopaint",))
    for photo_name in PHOTOS:
        photo = cv2.resize(load_photo(photo_name), SIZE, interpolation=cv2.INTER_AREA)
        for shape, mask in shapes().items():
            for mode, settings in (("default", base), ("maximum", at_maximum_strength(base))):
                start = time.perf_counter()
                outcome = protect_image(model, LoadedImage(photo), mask, settings)
                seconds = time.perf_counter() - start
                suite = run_suite(model, photo, outcome.written, mask, outcome.result.target_colour,
                                  groups=("transform", "purification"), chosen=settings.editors)
                jpeg = next(case for case in suite.cases if case.name == "JPEG at 90")
                print(json.dumps({"photo": photo_name, "shape": shape, "mode": mode, "seconds": seconds,
                                  "psnr": outcome.verification.psnr, "holds": outcome.protected,
                                  "holds_jpeg_90": jpeg.holds, "purification_held": suite.held_fraction("purification"),
                                  "iterations_run": len(outcome.result.history),
                                  "steps": [o.step for o in outcome.result.region_outcomes],
                                  "max_abs": int(np.abs(outcome.result.noise).max())}), flush=True)


def margins() -> None:
    """The stop's margin: for each mode, with the stop off and at margins 0.6 and 0.8, the mean PSNR, the regions
    held, the share of the purification group held and the iterations run (the working tree's code; the large
    region and two of the three stroke widths left out: 18 cases)."""
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "training"))
    from guardpaint.core.evaluation.suite import run_suite
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection import loop
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
    from guardpaint.core.workflow import protect_image

    from data import load_photo
    from high_gain import HighGainInpainter

    model = HighGainInpainter()
    cases = [(cv2.resize(load_photo(name), SIZE, interpolation=cv2.INTER_AREA), mask) for name in PHOTOS
             for shape, mask in shapes().items() if shape not in ("large (44 %)", "stroke 4 px", "stroke 5 px")]
    for mode in ("default", "maximum"):
        for margin, stop in ((loop.HOLD_MARGIN, False), (0.6, True), (0.8, True)):
            loop.HOLD_MARGIN = margin
            base = ProtectionSettings(editors=("iopaint",), stop_when_held=stop)
            settings = at_maximum_strength(base) if mode == "maximum" else base
            rows = []
            for photo, mask in cases:
                outcome = protect_image(model, LoadedImage(photo), mask, settings)
                suite = run_suite(model, photo, outcome.written, mask, outcome.result.target_colour,
                                  groups=("purification",), chosen=settings.editors)
                rows.append((outcome.verification.psnr, outcome.protected, suite.held_fraction("purification"),
                             len(outcome.result.history)))
            print(json.dumps({"mode": mode, "stop": stop, "margin": margin if stop else None,
                              "psnr_mean": statistics.mean(r[0] for r in rows), "held": sum(r[1] for r in rows),
                              "cases": len(rows), "purification_held": statistics.mean(r[2] for r in rows),
                              "iterations_mean": statistics.mean(r[3] for r in rows)}), flush=True)


def check_cost(model_name: str, editors: tuple[str, ...]) -> dict:
    """One judgement of the written file against one iteration, on ``model_name`` (``big-lama-arch``: LaMa's
    architecture with seeded weights) at 512 x 384, fp32, 2 threads: the check's cost as a share of an iteration."""
    import torch

    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT / "training"))
    from guardpaint.core.evaluation.judge import RegionJudge
    from guardpaint.core.io.formats import PNG
    from guardpaint.core.io.images import LoadedImage
    from guardpaint.core.protection.loop import CHECK_EVERY, protect
    from guardpaint.core.protection.settings import ProtectionSettings
    from guardpaint.core.protection.target import choose_target_colour

    from data import load_photo
    from protect_speed import get_model

    torch.set_num_threads(2)
    model = get_model(model_name, torch.device("cpu"))
    photo = cv2.resize(load_photo("chelsea.png"), (512, 384), interpolation=cv2.INTER_AREA)
    mask = np.zeros((384, 512), bool)
    mask[150:230, 200:300] = True
    settings = ProtectionSettings(iterations=CHECK_EVERY * 2, auto_strength=False, precision="fp32",
                                  stop_when_held=False, editors=editors)
    judge = RegionJudge([model], LoadedImage(photo), mask, settings.editors, PNG, choose_target_colour(photo))
    judge(photo)  # the clean edits, made once per protection, out of the figure
    judge.calls, judge.seconds = 0, 0.0
    result = protect(model, photo, mask, settings, judge=judge)
    steps = zip(result.history, result.history[1:], strict=False)
    iteration = statistics.median(b.elapsed - a.elapsed for a, b in steps)  # a check between two adds to one
    per_check = judge.seconds / judge.calls
    return {"model": model_name, "editors": list(editors), "seconds_per_iteration": iteration,
            "seconds_per_check": per_check, "checks": judge.calls, "check_every": CHECK_EVERY,
            "check_share_of_an_iteration": per_check / iteration,
            "overhead_per_iteration": per_check / iteration / CHECK_EVERY}


def run_version(code: Path, label: str) -> list[dict]:
    environment = dict(os.environ, PYTHONPATH=str(code), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    done = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, env=environment,
                          check=True, cwd=code)
    rows = [json.loads(line) | {"version": label} for line in done.stdout.splitlines() if line.startswith("{")]
    for row in rows:
        print(json.dumps(row), flush=True)
    return rows


def summarise(rows: list[dict]) -> dict:
    """Per version and mode: mean PSNR, the shares held (plain, JPEG at 90, purification), mean iterations run
    and seconds; and the iterations where both versions hold."""
    summary = {}
    for version in dict.fromkeys(row["version"] for row in rows):
        for mode in ("default", "maximum"):
            chosen = [row for row in rows if row["version"] == version and row["mode"] == mode]
            summary[f"{version}, {mode}"] = {
                "psnr_mean": statistics.mean(row["psnr"] for row in chosen),
                "held": statistics.mean(row["holds"] for row in chosen),
                "held_jpeg_90": statistics.mean(row["holds_jpeg_90"] for row in chosen),
                "purification_held": statistics.mean(row["purification_held"] for row in chosen),
                "iterations_mean": statistics.mean(row["iterations_run"] for row in chosen),
                "seconds_mean": statistics.mean(row["seconds"] for row in chosen), "cases": len(chosen)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="a commit to compare with")
    parser.add_argument("--after", help="a commit to compare (default: the working tree)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--margins", action="store_true", help="compare the stop's margins instead (working tree)")
    parser.add_argument("--check-cost", metavar="MODEL", help="the check's cost on MODEL (e.g. big-lama-arch) instead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        child()
        return
    if args.margins:
        margins()
        return
    if args.check_cost:
        for editors in (("iopaint",), ("iopaint", "comfyui")):
            print(json.dumps(check_cost(args.check_cost, editors)), flush=True)
        return
    rows = []
    for commit, label in ((args.before, "before"), (args.after, "after")):
        if commit is None:
            if label == "after":
                rows += run_version(ROOT, "after (working tree)")
            continue
        with tempfile.TemporaryDirectory() as folder:
            worktree = Path(folder) / label
            subprocess.run([GIT, "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), commit],
                           check=True, capture_output=True)
            try:
                rows += run_version(worktree, f"{label} ({commit})")
            finally:
                subprocess.run([GIT, "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True,
                               capture_output=True)
    print(json.dumps({"model": "high-gain (tests/high_gain.py)", "size": f"{SIZE[0]}x{SIZE[1]}",
                      "summary": summarise(rows)}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
