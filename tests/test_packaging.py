"""Packaging files are valid: the PyInstaller spec parses and names real files; desktop entry and
AppStream metainfo have what desktop environments and software centres require; a wheel built from a clean
checkout carries the assets of the top-level resources/ folder and the installed package finds them."""
import ast
import configparser
import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.guardpaint.GuardPaint"
ASSETS = ("demo-lama.safetensors", "demo-lama.settings.json", "icon.png", "sample-chelsea.png")


def test_spec_is_valid_python_and_its_inputs_exist():
    tree = ast.parse((PACKAGING / "guardpaint.spec").read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= names
    for path in ("packaging/launcher.py", "packaging/icons/guardpaint.ico", "packaging/icons/guardpaint.icns",
                 *(f"resources/{name}" for name in ASSETS)):
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


def test_the_window_icon_is_the_drawn_one():
    """resources/icon.png is make_icons.py's 256 px drawing, the one packaging/icons has."""
    assert (ROOT / "resources" / "icon.png").read_bytes() == (PACKAGING / "icons" / "guardpaint-256.png").read_bytes()


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_is_listed_and_resources_is_mapped():
    """The packages are listed in pyproject.toml (a mapped folder is not found by packages.find): a new
    package folder under guardpaint/ has to be added there, or the wheel would leave it out."""
    setuptools = _pyproject()["tool"]["setuptools"]
    on_disk = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in [ROOT / "guardpaint", *(ROOT / "guardpaint").rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
    }
    mapped = {"guardpaint.resources": "resources", "guardpaint.guide": "docs/guide"}
    assert set(setuptools["packages"]) == on_disk | set(mapped)
    assert setuptools["package-dir"] == mapped
    assert not (ROOT / "guardpaint" / "resources").exists()  # one copy of the assets, at the top level


def _clean_checkout(dest: Path) -> Path:
    """The files a clone would have once the work in progress is committed: tracked and new, not ignored."""
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # deleted or moved files are still in the index until the commit
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_wheel_from_a_clean_checkout_carries_the_assets_and_the_installed_app_finds_them(tmp_path):
    try:
        setuptools_version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        setuptools_version = "0"
    if int(setuptools_version.split(".")[0]) < 77:
        pytest.skip(f"building offline needs setuptools>=77 here (found {setuptools_version})")
    source = _clean_checkout(tmp_path / "clone")
    assert not (source / "guardpaint.egg-info").exists()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp_path / "dist"),
                    str(source)], check=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("guardpaint-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in ASSETS:
            info = archive.getinfo(f"guardpaint/resources/{name}")
            assert info.file_size == (ROOT / "resources" / name).stat().st_size, name
    assert "guardpaint/resources/__init__.py" in names
    assert not any(name.startswith("resources/") for name in names)  # no top-level package named resources

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], check=True)
    shutil.rmtree(source)  # nothing left to find but the installed copy
    probe = textwrap.dedent("""
        import json, sys
        from pathlib import Path
        from PIL import Image
        import guardpaint
        from guardpaint.cli import main
        from guardpaint.models import registry
        weights = registry.resolve("demo")
        with Image.open(registry.RESOURCES / "sample-chelsea.png") as sample:
            size = sample.size
        print(json.dumps({"package": guardpaint.__file__, "resources": str(registry.RESOURCES),
                          "weights": str(weights), "sample": size,
                          "files": sorted(p.name for p in registry.RESOURCES.iterdir())}))
        sys.exit(main(["models", "path", "demo"]))
    """)
    env = {**os.environ, "PYTHONPATH": str(site), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    first, cli_path = done.stdout.strip().splitlines()[-2:]
    found = json.loads(first)
    installed = (site / "guardpaint").resolve()
    assert Path(found["package"]).resolve().parent == installed  # not the checkout's editable install
    assert Path(found["resources"]) == installed / "resources"
    assert set(ASSETS) <= set(found["files"])
    assert Path(found["weights"]) == Path(cli_path) == installed / "resources" / "demo-lama.safetensors"
    assert found["sample"][0] > 0 and found["sample"][1] > 0
