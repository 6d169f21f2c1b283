"""Architecture rule: guardpaint.document, guardpaint.core and guardpaint.models never import Qt."""
import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import guardpaint, guardpaint.core, guardpaint.document, guardpaint.models, guardpaint.cli
for pkg in (guardpaint.document, guardpaint.core, guardpaint.models):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6"))
print(",".join(qt))
"""


def test_core_and_models_are_qt_free():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"Qt imported by core/models: {done.stdout}"


def test_no_gui_module_is_over_350_lines():
    from pathlib import Path

    import guardpaint.gui

    folder = Path(guardpaint.gui.__file__).parent
    sizes = {str(p.relative_to(folder)): len(p.read_text().splitlines()) for p in folder.rglob("*.py")}
    assert len(sizes) > 30  # every group's modules are counted
    assert max(sizes.values()) <= 350, sizes
