"""Packaging files are valid: the PyInstaller spec parses and names real files; desktop entry and
AppStream metainfo have what desktop environments and software centres require."""
import ast
import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.guardpaint.GuardPaint"


def test_spec_is_valid_python_and_its_inputs_exist():
    tree = ast.parse((PACKAGING / "guardpaint.spec").read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= names
    for path in ("packaging/launcher.py", "packaging/icons/guardpaint.ico", "packaging/icons/guardpaint.icns",
                 "guardpaint/resources"):
        assert (ROOT / path).exists(), path
    text = (PACKAGING / "guardpaint.spec").read_text()
    assert '"PyQt5"' in text and '"tests"' in text  # no second Qt, no test data


def test_desktop_entry():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    path = PACKAGING / "linux" / f"{APP_ID}.desktop"
    parser.read(path)
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "GuardPaint"
    assert entry["Exec"].split()[0] == "guardpaint" and entry["Icon"] == APP_ID
    assert entry["Categories"].endswith(";") and "Graphics" in entry["Categories"]
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_appstream_metainfo():
    root = ET.parse(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    for tag in ("id", "name", "summary", "metadata_license", "project_license", "description", "launchable"):
        assert root.find(tag) is not None and (root.find(tag).text or len(root.find(tag))), tag
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"


@pytest.mark.parametrize("size", [16, 32, 48, 64, 128, 256, 512])
def test_icons_at_usual_sizes(size):
    from PIL import Image

    with Image.open(PACKAGING / "icons" / f"guardpaint-{size}.png") as icon:
        assert icon.size == (size, size) and icon.mode == "RGBA"
