"""MkDocs hook: the table of editors on ``editors.md``, generated from their declarations at build time.

``guardpaint.core.editor.editors.EDITORS`` is the only description of the editors GuardPaint imitates.
The page ``editors.md`` carries :data:`MARKER` where the table goes; at every build this hook puts the
table there (:func:`on_page_markdown`), so the page cannot fall out of step with the code. A page without
the marker fails the build. :func:`editors_table_markdown` returns the table as text for the tests.
"""
from __future__ import annotations

import sys
from pathlib import Path

PAGE = "editors.md"
MARKER = "<!-- the table of editors, generated from guardpaint/core/editor/editors.py -->"
ROOT = Path(__file__).resolve().parents[2]


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def editors_table_markdown() -> str:
    """One row per editor: its ``--against`` name (and older names), the families it runs, what it does, where it
    was read, and whether a protection is made for it when nobody chooses."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS

    rows = ["| `--against` | editor | runs | what it feeds the model | read from | by default |",
            "|---|---|---|---|---|---|"]
    for spec in EDITORS.values():
        names = ", ".join(f"`{name}`" for name in (spec.name, *spec.aliases))
        default = "yes" if spec.name in DEFAULT_EDITORS else "no"
        rows.append(f"| {names} | {_cell(spec.label)} | {spec.families()} | {_cell(spec.summary)} | "
                    f"{_cell(spec.source)} | {default} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Put the generated table where the editors page's marker is."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"docs/{PAGE} lost its marker {MARKER!r}: the table of editors has nowhere to go")
    return markdown.replace(MARKER, editors_table_markdown())
