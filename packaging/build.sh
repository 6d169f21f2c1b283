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

echo "== smoke test"
QT_QPA_PLATFORM=offscreen python packaging/smoke_test.py dist/guardpaint
