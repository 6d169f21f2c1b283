"""MkDocs hook: the command-line reference, generated from the parser at build time.

``guardpaint.cli.main.build_parser`` is the only description of the command line. At every build this
hook walks that parser (every sub-command, nested ones included) and adds the page
``reference/cli.md`` to the site in memory (:func:`on_files`): no copy of the reference is written to
the repository, so it cannot fall out of step with ``guardpaint COMMAND --help``.

:func:`cli_reference_markdown` returns the same page as text, so that a test can check that every
option of every sub-command appears in it. This module imports MkDocs only inside :func:`on_files`,
so the test needs only GuardPaint.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: Where the page appears in the site (mkdocs.yml's nav names it).
PAGE = "reference/cli.md"
#: Width at which usage lines are wrapped (argparse would otherwise follow the terminal's width).
USAGE_WIDTH = 88
#: The repository root, so that the build documents this checkout's parser even when it is not installed.
ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from guardpaint.cli.main import build_parser

    return build_parser()


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of each sub-command of ``parser``, in the order they were added."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            found += [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return found


def _formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    return parser.formatter_class(prog=parser.prog, width=USAGE_WIDTH)


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = _formatter(parser)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip()


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The action's help as ``--help`` prints it (``%(default)s`` and the like expanded)."""
    if not action.help:
        return ""
    return " ".join(_formatter(parser)._expand_help(action).split())


def _escaped(text: str) -> str:
    """``text`` safe in a Markdown table cell: pipes and emphasis characters escaped outside `code`."""
    parts = text.split("`")
    for index in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[index] = re.sub(r"([\\|*_<\[])", r"\\\1", parts[index])
    return "`".join(parts) if len(parts) % 2 else text.replace("|", r"\|")


def _invocation(action: argparse.Action) -> str:
    """How the option or argument is written: ``-o``, ``--output OUT``; ``image``."""
    if not action.option_strings:
        return action.metavar if isinstance(action.metavar, str) else action.dest
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    formatter = argparse.HelpFormatter("guardpaint")
    return ", ".join([*action.option_strings[:-1], formatter._format_action_invocation(action).split(", ")[-1]])


#: A default the help states in words, where argparse's value is None ("default: demo", "(default 90)").
STATED_DEFAULT = re.compile(r"\bdefault(?::\s*|\s+)(?![(=])([^;.)]+)")


def _default(action: argparse.Action, help_text: str) -> str:
    """The value used when the option is not given: argparse's, or the one the help states in words."""
    if not action.option_strings or action.required:
        return "required"
    if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return "—"
    if action.nargs == 0:  # a switch
        return "off"
    value = action.default
    if value is None or value == [] or value is argparse.SUPPRESS:
        stated = STATED_DEFAULT.search(help_text)
        return _escaped(stated.group(1).strip()) if stated else "—"
    if isinstance(value, float):
        value = f"{value:g}"
    elif isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    return f"`{value}`"


def _choices(action: argparse.Action) -> str:
    """The choices, where the invocation does not show them already (an option with its own metavar)."""
    if not action.choices or action.metavar is None or isinstance(action, argparse._SubParsersAction):
        return ""
    return " One of " + ", ".join(f"`{choice}`" for choice in action.choices) + "."


#: A help text's closing "(default: X)", which the table's default column already shows.
CLOSING_DEFAULT = re.compile(r"\s*\(default:?\s+([^()]*)\)$")


def _without_default(help_text: str, default: str) -> str:
    """``help_text`` without a closing "(default: X)" when X is what the default column says."""
    closing = CLOSING_DEFAULT.search(help_text)
    if closing and closing.group(1).strip() == default.strip("`").replace("\\", ""):
        return help_text[:closing.start()]
    return help_text


def _table(parser: argparse.ArgumentParser, actions: list[argparse.Action]) -> list[str]:
    rows = ["| argument | default | what it does |", "|---|---|---|"]
    for action in actions:
        help_text = _help(parser, action)
        default = _default(action, help_text)
        rows.append(f"| `{_invocation(action)}` | {default} | "
                    f"{_escaped(_without_default(help_text, default)) or '—'}{_choices(action)} |")
    return rows


def _anchor(prog: str) -> str:
    """The id MkDocs gives the heading of ``prog`` (its words joined by dashes)."""
    return "-".join(prog.lower().split())


def _command(summary: str, parser: argparse.ArgumentParser, level: int, nested: bool = True) -> list[str]:
    """One command's section: its usage, description and one table per group of arguments, then (when
    ``nested``) its sub-commands' sections one level down."""
    lines = [f"{'#' * level} `{parser.prog}`", ""]
    if summary:
        lines += [summary[0].upper() + summary[1:] + ".", ""]
    lines += ["``` { .text .no-copy }", _usage(parser), "```", ""]  # the copy button would sit over its first line
    if parser.description:
        lines += [" ".join(parser.description.split()), ""]
    for group in parser._action_groups:
        actions = [a for a in group._group_actions
                   if a.help is not argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)]
        if not actions:
            continue
        lines += [f"**{group.title[0].upper() + group.title[1:]}**", ""]
        if group.description:
            lines += [" ".join(group.description.split()), ""]
        lines += [*_table(parser, actions), ""]
    subcommands = _subcommands(parser)
    if subcommands:
        lines += ["Sub-commands: " + ", ".join(f"[`{name}`](#{_anchor(sub.prog)})" for name, _, sub in subcommands)
                  + ".", ""]
    if parser.epilog:
        lines += [" ".join(parser.epilog.split()), ""]
    if nested:
        for _, sub_summary, sub_parser in subcommands:
            lines += _command(sub_summary, sub_parser, level + 1)
    return lines


def cli_reference_markdown() -> str:
    """The command-line reference as Markdown: every sub-command with its usage, options, defaults and help,
    read from ``guardpaint.cli.main.build_parser``."""
    parser = _parser()
    lines = [
        "# Command-line reference",
        "",
        "Generated from the parser (`guardpaint.cli.main.build_parser`) each time the site is built, so it",
        "says what `guardpaint COMMAND --help` says. For what the commands are for and how they work",
        "together, see [the command line](../guide/command-line.md) in the user guide.",
        "",
        "A switch is off unless given; *required* marks what every call must give.",
        "",
    ]
    lines += _command("The desktop app without arguments; with them, one of the sub-commands below", parser, 2,
                      nested=False)
    for _, summary, sub in _subcommands(parser):
        lines += _command(summary, sub, 2)
    return "\n".join(lines).rstrip() + "\n"


def on_files(files, config):
    """Add the generated page to the site's files (in memory; nothing is written to docs/)."""
    from mkdocs.structure.files import File

    existing = files.get_file_from_path(PAGE)
    if existing is not None:  # a hand-written copy would be read instead of the parser: refuse it
        raise RuntimeError(f"docs/{PAGE} exists; the command-line reference is generated, delete that file")
    files.append(File.generated(config, PAGE, content=cli_reference_markdown()))
    return files
