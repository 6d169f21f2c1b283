"""``guardpaint batch``: protect every image of a folder with one model load; resumable, interruptible."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from guardpaint.cli.exits import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_PROTECTED, EXIT_OK


def add_batch_command(sub: argparse._SubParsersAction, model_args: Callable[[argparse.ArgumentParser], None]) -> None:
    from guardpaint.cli.commands import OVERWRITE_HELP, protection_args
    from guardpaint.core.io.conventions import SUFFIXES

    p = sub.add_parser("batch", help="protect every image of a folder (masks by name)",
                       description="Protect every image of INPUT_DIR. A mask is found by the image's name: "
                                   "MASK_DIR/photo.png for photo.jpg, or without --masks photo.mask.png beside "
                                   "the image. Outputs already in OUTPUT_DIR are skipped, so an interrupted "
                                   "batch resumes; Ctrl+C stops after the current image.")
    p.add_argument("input_dir", type=Path, metavar="INPUT_DIR")
    p.add_argument("--masks", type=Path, metavar="MASK_DIR", help="folder of masks named like the images")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUTPUT_DIR")
    p.add_argument("--format", choices=list(SUFFIXES), default="png",
                   help="png (default), webp (lossless) or jpeg (the protection is optimised for it)")
    model_args(p)
    protection_args(p)
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--json", action="store_true", help="one JSON report per image on stdout, as it finishes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_batch, show=None)


class _StopAfterCurrent:
    """The first Ctrl+C asks to stop after the current image; a second one stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> _StopAfterCurrent:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)  # the next Ctrl+C interrupts for real
        print("\nstopping after the current image (Ctrl+C again to stop now)", file=sys.stderr)

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self._previous)


def cmd_batch(args: argparse.Namespace) -> tuple[None, int]:
    from tqdm import tqdm

    from guardpaint.cli.commands import load_models_for, settings_from
    from guardpaint.core.batch import (
        DONE,
        FAILED,
        batch_inputs,
        batch_summary,
        find_items,
        prepare_output_folder,
        protect_item,
    )
    from guardpaint.core.evaluation.report import finite
    from guardpaint.core.io.formats import output_format

    fmt = output_format(args.format, args.quality)
    settings = settings_from(args)
    items = find_items(args.input_dir, args.output, fmt, args.masks)
    prepare_output_folder(args.output)
    models = load_models_for(args)
    counts = {"done": 0, "skipped": 0, "failed": 0, "not protected": 0}
    taken: set[Path] = set()
    inputs = batch_inputs(items)
    with _StopAfterCurrent() as stop, tqdm(items, unit="image", file=sys.stderr, disable=True if args.quiet else None,
                                            dynamic_ncols=True) as bar:
        for item in bar:
            bar.set_postfix_str(item.image.name)
            report = protect_item(models, item, settings, fmt, redo=args.overwrite, taken=taken, inputs=inputs)
            counts[report["status"]] += 1
            if report["status"] == DONE and not report["protected"]:
                counts["not protected"] += 1
            if args.json:
                print(json.dumps(finite(report)), flush=True)
            elif report["status"] != DONE:
                bar.write(f"{report['status']}: {item.image.name}: {report['summary']}", file=sys.stderr)
            if stop.requested:
                break
    if not args.json:
        print(f"{batch_summary(counts, len(items))} in {args.input_dir}", file=sys.stderr)
    if stop.requested:
        return None, EXIT_INTERRUPTED
    if counts[FAILED]:
        return None, EXIT_BAD_INPUT
    return None, EXIT_NOT_PROTECTED if args.require_protected and counts["not protected"] else EXIT_OK
