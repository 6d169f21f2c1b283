#!/usr/bin/env bash
# Build the one-folder application with PyInstaller and smoke-test the frozen executable.
#   bash packaging/build.sh            -> dist/guardpaint/guardpaint
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet "pyinstaller>=6.0" -e .  # the spec also finds the package by path
rm -rf build/pyinstaller dist/guardpaint
start=$(date +%s)
python -m PyInstaller --noconfirm --log-level WARN --workpath build/pyinstaller --distpath dist packaging/guardpaint.spec
echo "build took $(( $(date +%s) - start )) s"
app=dist/guardpaint/guardpaint

echo "== smoke test"
export QT_QPA_PLATFORM=offscreen
"$app" --version
"$app" protect --help > /dev/null
work=$(mktemp -d)
python - "$work" <<'PY'
import sys
import numpy as np
from PIL import Image
work = sys.argv[1]
rgb = Image.open("resources/sample-chelsea.png").convert("RGB").resize((160, 106))
rgb.save(f"{work}/in.png")
mask = np.zeros((106, 160), np.uint8)
mask[30:70, 50:100] = 255
Image.fromarray(mask).save(f"{work}/mask.png")
PY
t0=$(date +%s.%N)
"$app" --version > /dev/null
t1=$(date +%s.%N)
"$app" protect "$work/in.png" --mask "$work/mask.png" -o "$work/out.png" --iterations 3 --device cpu --json > "$work/report.json"
test -s "$work/out.png"
python - "$work/report.json" "$(cd "$(dirname "$app")" && pwd)" <<'PY'
import json, sys
report, bundle = json.load(open(sys.argv[1])), sys.argv[2]
quality = report["imperceptibility"]
assert quality["max_abs_diff"] <= 7, quality
model = report["provenance"]["models"][0]["path"]  # the demo weights the bundle carries, not the checkout's
assert model.startswith(bundle + "/"), (model, bundle)
print("protect ok: PSNR", round(quality["psnr"], 2), "with", model[len(bundle) + 1:])
PY
# The window on a first run: no settings, no model cache (a fresh HOME), shown for 1.5 s, then closed.
mkdir "$work/home"
t2=$(date +%s.%N)
env -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_DATA_HOME -u GUARDPAINT_MODEL_DIR HOME="$work/home" \
    GUARDPAINT_EXIT_AFTER_MS=1500 "$app"
t3=$(date +%s.%N)
echo "gui started and closed"
echo "start-up (--version): $(python -c "print(round($t1 - $t0, 2))") s"
echo "start-up to the window (gui run less its 1.5 s shown): $(python -c "print(round($t3 - $t2 - 1.5, 2))") s"
echo "bundle size: $(du -sh dist/guardpaint | cut -f1)"
echo "smoke test passed"
