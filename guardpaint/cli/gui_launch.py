"""Starting the desktop app from the command line, with a one-line error where Qt cannot start."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from guardpaint.cli.exits import EXIT_BAD_INPUT


def debian_package(library: str) -> str:
    """The usual Debian package of a shared library: ``libxcb-cursor.so.0`` -> ``libxcb-cursor0``."""
    match = re.match(r"(lib[\w+.-]*?)\.so\.(\d+)", library)
    if not match:
        return library
    name, version = match.groups()
    return f"{name}{'-' if name[-1].isdigit() else ''}{version}".lower()


def _xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """Shared libraries the plugin needs that the system lacks (via ldd, else the loader's first complaint)."""
    ldd = shutil.which("ldd")
    if ldd:
        listing = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False).stdout
        return list(dict.fromkeys(line.split("=>")[0].strip() for line in listing.splitlines()
                                  if "not found" in line))
    import ctypes

    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        found = re.search(r"([\w+.-]+\.so[.\d]*)", str(exc))
        return [found.group(1)] if found else [str(exc)]
    return []


def startup_problem() -> str | None:
    """Why Qt could not open a window here (it would abort the process), or None."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, ...: Qt reports its own errors for these
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return ("no display to open the app on (DISPLAY is not set); run it in a desktop session, "
                "or use the command line (guardpaint --help)")
    plugin = _xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    if missing:
        packages = " ".join(debian_package(lib) for lib in missing)
        return (f"the app cannot start: Qt's X11 plugin is missing {', '.join(missing)}; "
                f"on Debian/Ubuntu: sudo apt install {packages}")
    return None


def launch_gui(files: list[str] | None = None) -> int:
    """Run the app on ``files`` (none: the empty window), or print one line saying what is missing and
    return 2."""
    problem = startup_problem()
    if problem is None:
        try:
            from guardpaint.gui.app import run_gui
        except ImportError as exc:
            problem = f"the app cannot start: {exc} (reinstall GuardPaint with its dependencies)"
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return run_gui(files=files)
