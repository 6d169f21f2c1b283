"""The docs name only code that exists: every file path, dotted module and code name in backticks in the docs and
the README is looked up in the repository, so a rename that forgets a page fails here.

What counts as a name: a path ending in ``.py`` (looked up from the repository root and from ``guardpaint/``),
a dotted ``guardpaint.`` name (imported, then each attribute looked up), and an identifier that can only be
code (``snake_case`` with an underscore, ``CamelCase`` with two capitals, ``ALL_CAPS`` with an underscore),
which must appear in the sources. ``NAME in `file.py``` also checks that the file defines or assigns NAME.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
SOURCES = [*sorted((ROOT / "guardpaint").rglob("*.py")),
           *(path for path in sorted((ROOT / "tests").glob("*.py")) if path.name != Path(__file__).name),
           *sorted((ROOT / "benchmarks").glob("*.py")), *sorted((ROOT / "scripts").glob("*.*")),
           *sorted((ROOT / "training").glob("*.py")), *sorted((ROOT / "docs" / "hooks").glob("*.py")),
           *sorted((ROOT / "packaging").glob("*.*")), ROOT / "pyproject.toml", ROOT / "mkdocs.yml"]
SPAN = re.compile(r"`([^`\n]+)`")
CODE_NAME = re.compile(r"^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+"
                       r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:\(\))?$")
IN_FILE = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)` in `([\w/.]+\.py)`")
#: Code names in the docs that name something outside this repository (a library's, a checkpoint's key).
ELSEWHERE = {"state_dict", "weights_only", "nearest_exact", "best_ckpt", "add_big_lama", "_run_box", "_crop_box",
             "_pad_forward", "boxes_from_mask", "resize_max_size", "hd_strategy", "hd_strategy_crop_margin",
             "hd_strategy_crop_trigger_size", "resize_square", "undo_resize_square", "mask_floor",
             "pad_reflect_once", "load_state_dict", "max_restarts", "max_task_retries", "num_gpus", "num_cpus",
             "InpaintWithModel", "InpaintRequest", "LoadImage", "SaveImage", "ModelLoader", "DistributedDataParallel",
             "FFCResNetGenerator", "FFCResnetBlock", "FFC_BN_ACT", "SpectralTransform", "FourierUnit",
             "ReflectionPad2d", "ConvTranspose2d", "BatchNorm2d", "channels_last", "torch_dtype",
             "a_k", "phi_k"}  # the last: the method's formulae


def _source_text() -> str:
    return "\n".join(path.read_text(errors="ignore") for path in SOURCES if path.is_file())


def _spans() -> list[tuple[Path, str]]:
    return [(page, span) for page in PAGES for span in SPAN.findall(page.read_text())]


def _path_exists(text: str) -> bool:
    path = text.split(":")[0].split("::")[0]
    return any((base / path).exists() for base in (ROOT, ROOT / "guardpaint", ROOT / "docs"))


def _dotted_exists(text: str) -> bool:
    parts = text.removesuffix("()").split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def _where(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


def stale_names(pages: list[Path] = PAGES) -> list[str]:
    """Every name ``pages`` give that the repository does not have, as ``page: name``."""
    sources, stale = _source_text(), []
    for page in pages:
        for span in SPAN.findall(page.read_text()):
            text = span.strip()
            if re.fullmatch(r"[\w./-]+\.py(::\w+)?", text) and "/" in text:
                if not _path_exists(text):
                    stale.append(f"{_where(page)}: {text}")
            elif re.fullmatch(r"guardpaint(\.\w+)+(\(\))?", text):
                if not _dotted_exists(text):
                    stale.append(f"{_where(page)}: {text}")
            elif CODE_NAME.fullmatch(text) and text.removesuffix("()") not in ELSEWHERE and \
                    not re.search(rf"\b{re.escape(text.removesuffix('()'))}\b", sources):
                stale.append(f"{_where(page)}: {text}")
        for name, file in IN_FILE.findall(page.read_text()):
            candidates = [base / file for base in (ROOT, ROOT / "guardpaint")] + \
                list((ROOT / "guardpaint").rglob(Path(file).name))
            found = [path for path in candidates if path.is_file()]
            if not any(re.search(rf"^\s*(def |class |){re.escape(name)}\b", path.read_text(), re.M) for path in found):
                stale.append(f"{_where(page)}: {name} in {file}")
    return stale


def test_every_name_in_the_docs_exists():
    assert stale_names() == []


def test_a_planted_stale_name_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("The transforms are `TRANSFORMS` in `suite.py`; see `core/editor/gone.py` and "
                    "`guardpaint.core.editor.views.no_such_thing`, built by `resize_round_trip`; the editors are "
                    "`editor_views` in `views.py`, read by `core/editor/inpaint.py`.\n")
    assert stale_names([page]) == ["page.md: core/editor/gone.py",
                                   "page.md: guardpaint.core.editor.views.no_such_thing",
                                   "page.md: resize_round_trip", "page.md: TRANSFORMS in suite.py"]
