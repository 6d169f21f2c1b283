"""``guardpaint batch``: protect every image of a folder with one model load; resumable, interruptible."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from functools import partial
from pathlib import Path

from guardpaint.cli.cluster import add_cluster_args
from guardpaint.cli.exits import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_PROTECTED, EXIT_OK
from guardpaint.cli.options import (
    OVERWRITE_HELP,
    check_refine,
    generator_args,
    load_models_for,
    model_args,
    protection_args,
    settings_from,
    source_for,
)
from guardpaint.cli.progress import Progress, status
from guardpaint.errors import InputError, OutOfSpace


def add_batch_command(sub: argparse._SubParsersAction) -> None:
    from guardpaint.core.io.conventions import SUFFIXES

    p = sub.add_parser("batch", help="protect every image of a folder (masks by name)",
                       description="Protect every image of INPUT_DIR. A mask is found by the image's name: "
                                   "MASK_DIR/photo.png for photo.jpg, or without --masks photo.mask.png beside "
                                   "the image. Outputs already in OUTPUT_DIR are skipped, so an interrupted "
                                   "batch resumes; Ctrl+C stops after the current image.")
    p.add_argument("input_dir", metavar="INPUT_DIR", help="a folder; with --ray also a URI (s3://, gs://, file://)")
    p.add_argument("--masks", metavar="MASK_DIR", help="folder of masks named like the images")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT_DIR", help="created when it is not there")
    p.add_argument("--format", choices=list(SUFFIXES), default="png",
                   help="png (default), webp (lossless) or jpeg (the protection is optimised for it)")
    model_args(p)
    protection_args(p)
    generator_args(p)
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--json", action="store_true", help="one JSON report per image on stdout, as it finishes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_cluster_args(p)
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
    from guardpaint.core.batch import BatchTally
    from guardpaint.core.io.formats import output_format

    fmt, settings, tally = output_format(args.format, args.quality), settings_from(args).validated(), BatchTally()
    if args.ray is None and (args.actors is not None or args.gpus_per_actor is not None or args.cpus_per_actor != 1):
        raise InputError("--actors, --cpus-per-actor and --gpus-per-actor set the Ray pool: add --ray")
    check_refine(args)
    if args.ray is not None:
        from guardpaint.cli.cluster import cluster_batch

        stopped, total = cluster_batch(args, fmt, settings, tally, partial(_show, args))
    else:
        try:
            stopped, total = _local_batch(args, fmt, settings, tally)
        except OutOfSpace:  # every output so far is whole: the same command resumes
            print(f"{tally.summary()} in {args.input_dir} before the disk filled up; run the same command again "
                  "to resume", file=sys.stderr)
            raise
    print(f"{tally.summary(total)} in {args.input_dir}", file=sys.stderr)  # stdout keeps only the JSON lines
    if stopped:
        return None, EXIT_INTERRUPTED
    if tally.failed:
        return None, EXIT_BAD_INPUT
    return None, EXIT_NOT_PROTECTED if args.require_protected and tally.not_protected else EXIT_OK


def _show(args: argparse.Namespace, report: dict, bar, out=None) -> None:
    """One image's report: a JSON line (on ``out``, standard output) with --json, else a line on standard
    error for what was not written."""
    from guardpaint.core.batch import DONE
    from guardpaint.core.evaluation.report import finite

    if args.json:
        print(json.dumps(finite(report)), file=out or sys.stdout, flush=True)
    elif report["status"] != DONE:
        name = Path(report["input"]["image"] or "").name
        bar.write(f"{report['status']}: {name}: {report['summary']}")


def _local_batch(args: argparse.Namespace, fmt, settings, tally) -> tuple[bool, int]:
    """The batch on this machine, one image after another; (stopped by Ctrl+C, number of images). When every
    image with a mask is already written, it says so without loading the model."""
    from guardpaint.core.batch import SKIPPED, batch_inputs, find_items, pending, prepare_output_folder, protect_item
    from guardpaint.core.evaluation.report import item_report
    from guardpaint.models import registry

    items = find_items(args.input_dir, args.output, fmt, args.masks)
    prepare_output_folder(args.output)
    if not args.overwrite and not pending(items):
        for item in items:
            reason = f"{item.output} is already there" if item.mask else f"no mask found ({item.expected_mask})"
            tally.add(item_report(SKIPPED, reason, item.image))
        status(f"nothing to do: every image with a mask is already protected in {args.output} (--overwrite redoes "
               "them)")
        return False, len(items)
    models = load_models_for(args)
    if all(registry.is_demo(model.sha256) for model in models):
        tally.demo = True
    source = source_for(args, models)
    source.check(models)  # once for the batch, before its first image
    taken: set[Path] = set()
    inputs = batch_inputs(items)
    with _StopAfterCurrent() as stop, Progress("batch", len(items), unit="image", quiet=args.quiet) as bar:
        for item in items:
            report = protect_item(models, item, settings, fmt, redo=args.overwrite, taken=taken, inputs=inputs,
                                  source=source)
            tally.add(report)
            _show(args, report, bar)
            bar.update(1, item.image.name)
            if stop.requested:
                break
    return stop.requested, len(items)
