"""Smoke-test a built one-folder bundle, on any operating system (packaging/build.sh and the release workflow).

    python packaging/smoke_test.py dist/guardpaint

It runs the bundle's executable: ``--version``; ``protect --help``; a protection of a small photo with the
bundled demo model (whose weights must be the bundle's own, not a checkout's); and the window on a first
run (no settings, no model cache), shown for 1.5 s. It prints the start-up times and the bundle's size,
and exits non-zero at the first failure.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHOWN_MS = 1500


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def check(condition: bool, failure: str) -> None:
    if not condition:
        sys.exit(f"failed: {failure}")


def timed(command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    run(command, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    bundle = Path(sys.argv[1]).resolve()
    app = str(bundle / ("guardpaint.exe" if sys.platform == "win32" else "guardpaint"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    run([app, "--version"])
    run([app, "protect", "--help"])
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        Image.open(ROOT / "resources" / "sample-chelsea.png").convert("RGB").resize((160, 106)).save(work / "in.png")
        mask = np.zeros((106, 160), np.uint8)
        mask[30:70, 50:100] = 255
        Image.fromarray(mask).save(work / "mask.png")
        version_s = timed([app, "--version"])
        done = run([app, "protect", str(work / "in.png"), "--mask", str(work / "mask.png"), "-o", str(work / "out.png"),
                    "--iterations", "3", "--device", "cpu", "--json"])
        report = json.loads(done.stdout)
        quality, model = report["imperceptibility"], report["provenance"]["models"][0]["path"]
        check((work / "out.png").stat().st_size > 0, "no output written")
        check(quality["max_abs_diff"] <= 7, f"the noise is too strong: {quality}")
        check(Path(model).resolve().is_relative_to(bundle), f"the demo weights are not the bundle's: {model}")
        print(f"protect ok: PSNR {quality['psnr']:.2f} with {Path(model).relative_to(bundle)}")
        home = work / "home"
        home.mkdir()
        fresh = {key: value for key, value in os.environ.items()
                 if key not in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "GUARDPAINT_MODEL_DIR")}
        fresh |= {"HOME": str(home), "USERPROFILE": str(home), "APPDATA": str(home / "AppData"),
                  "LOCALAPPDATA": str(home / "Local"), "GUARDPAINT_EXIT_AFTER_MS": str(SHOWN_MS)}
        window_s = timed([app], env=fresh)
    size = sum(path.stat().st_size for path in bundle.rglob("*") if path.is_file())
    print("gui started and closed")
    print(f"start-up (--version): {version_s:.2f} s")
    print(f"start-up to the window (gui run less its {SHOWN_MS / 1000:g} s shown): {window_s - SHOWN_MS / 1000:.2f} s")
    print(f"bundle size: {size / 1e9:.2f} GB")
    print("smoke test passed")


if __name__ == "__main__":
    main()
