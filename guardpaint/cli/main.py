"""Argument parsing, exit statuses and error reporting of the ``guardpaint`` command."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from guardpaint import __version__
from guardpaint.cli.exits import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNEXPECTED
from guardpaint.errors import GuardPaintError


class _UsageError(Exception):
    """A command line that does not parse: its one-line message."""


class _Parser(argparse.ArgumentParser):
    """argparse whose errors become one ``error: ...`` line and exit status 2 (see :func:`main`)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from guardpaint.cli.commands import add_commands

    parser = _Parser(prog="guardpaint",
                     description="Protect image regions against AI inpainting (LaMa). "
                                 "Run `guardpaint` without arguments to open the desktop app.",
                     epilog="Exit status: 0 success, 1 unexpected failure, 2 bad input or usage, "
                            "3 not protected (protect --require-protected), 130 interrupted (Ctrl+C). "
                            "`guardpaint IMAGE ...` opens the images in the app.")
    parser.add_argument("--version", action="version", version=f"guardpaint {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    add_commands(sub)
    return parser


def opens_files(parser: argparse.ArgumentParser, argv: list[str]) -> bool:
    """Whether ``argv`` is a list of files to open in the app (``guardpaint photo.png``), not a command."""
    commands = next(action.choices for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return argv[0] not in commands and all(Path(arg).is_file() for arg in argv)


def _print_json(result: dict) -> None:
    from guardpaint.core.evaluation.report import finite

    print(json.dumps(finite(result)))


def _fail(message: str, status: int, as_json: bool) -> int:
    """One ``error:`` line on standard error and, with --json, one error object on standard output (so a
    script reading the output gets exactly one object, success or not)."""
    print(f"error: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"status": "error", "error": message, "exit_status": status}))
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``guardpaint`` command; no arguments starts the GUI."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or opens_files(parser, argv):
        from guardpaint.cli.gui_launch import launch_gui

        return launch_gui(argv)
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT, "--json" in argv)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    as_json = bool(getattr(args, "json", False))
    try:
        result, status = args.run(args)
    except GuardPaintError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT, as_json)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED, as_json)
    except Exception as exc:  # noqa: BLE001 - last resort, with the traceback for a bug report
        from guardpaint.models.device import out_of_memory_message

        message = out_of_memory_message(exc)
        if message:  # the machine, not a bug: the one line says what to try
            return _fail(message, EXIT_BAD_INPUT, as_json)
        traceback.print_exc()
        return _fail(f"unexpected failure: {exc}", EXIT_UNEXPECTED, as_json)
    if result is not None:
        if getattr(args, "json", False):
            _print_json(result)
        else:
            args.show(result)
    return status
