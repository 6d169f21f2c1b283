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
rgb = Image.open("guardpaint/resources/sample-chelsea.png").convert("RGB").resize((160, 106))
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
python -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['verification']['max_abs_diff'] <= 7, r; print('protect ok: PSNR', round(r['verification']['psnr'], 2))" "$work/report.json"
GUARDPAINT_EXIT_AFTER_MS=1500 "$app"
echo "gui started and closed"
echo "start-up (--version): $(python -c "print(round($t1 - $t0, 2))") s"
echo "bundle size: $(du -sh dist/guardpaint | cut -f1)"
echo "smoke test passed"
