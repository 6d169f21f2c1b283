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


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's error format: one ``error: ...`` line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message}\n")


def _model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", action="append", default=None, metavar="NAME|PATH",
                        help="registry name (see `guardpaint models list`) or a weight file; default: demo. "
                             "Repeat to protect against several models at once (protect, batch, verify)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")


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
    add_commands(sub, _model_args)
    return parser


def opens_files(parser: argparse.ArgumentParser, argv: list[str]) -> bool:
    """Whether ``argv`` is a list of files to open in the app (``guardpaint photo.png``), not a command."""
    commands = next(action.choices for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return argv[0] not in commands and all(Path(arg).is_file() for arg in argv)


def _print_json(result: dict) -> None:
    from guardpaint.core.evaluation.report import finite

    print(json.dumps(finite(result)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``guardpaint`` command; no arguments starts the GUI."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or opens_files(parser, argv):
        from guardpaint.cli.gui_launch import launch_gui

        return launch_gui(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors, --help and --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        result, status = args.run(args)
    except GuardPaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - last resort, with the traceback for a bug report
        from guardpaint.models.device import out_of_memory_message

        message = out_of_memory_message(exc)
        if message:
            print(f"error: {message}", file=sys.stderr)
            return EXIT_UNEXPECTED
        traceback.print_exc()
        print(f"error: unexpected failure: {exc}", file=sys.stderr)
        return EXIT_UNEXPECTED
    if result is not None:
        if getattr(args, "json", False):
            _print_json(result)
        else:
            args.show(result)
    return status
