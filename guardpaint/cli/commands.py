"""The sub-commands: what each computes, on top of core and models."""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from guardpaint.cli import human
from guardpaint.cli.exits import EXIT_NOT_PROTECTED, EXIT_OK
from guardpaint.errors import InputError

log = logging.getLogger(__name__)
Result = tuple[dict | None, int]
#: The one rule for existing outputs, for protect, inpaint and batch alike.
OVERWRITE_HELP = ("replace an output that is already there; without it protect and inpaint stop with status 2 "
                  "and batch skips the image (redoing only a partial one), so an interrupted batch resumes")


def pipeline_arg(parser: argparse.ArgumentParser) -> None:
    from guardpaint.core.editor.pipelines import CROP_TRIGGER, PIPELINES, RESIZE_LIMIT

    parser.add_argument("--pipeline", choices=PIPELINES, default="auto",
                        help=f"how the editor runs the model: auto = IOPaint's default (whole image up to "
                             f"{CROP_TRIGGER} px, else a crop per mask component), full, crop, or resize "
                             f"(IOPaint's resize above {RESIZE_LIMIT} px)")


def protection_args(p: argparse.ArgumentParser) -> None:
    """The protection options ``protect`` and ``batch`` share."""
    from guardpaint.core.protection.settings import (
        BUDGETS,
        LEVEL_NAMES,
        MAXIMUM_STRENGTH,
        VIEW_PIPELINES,
        ProtectionSettings,
    )

    defaults = ProtectionSettings()
    p.add_argument("--strength", type=float, default=defaults.epsilon * 255, metavar="LEVELS",
                   help=f"the most any pixel may change, in levels of 255 (default {defaults.epsilon * 255:.1f}); "
                        "auto strength tries half of it first and raises it only for regions that do not hold")
    p.add_argument("--maximum-strength", action="store_true",
                   help=f"the reference's budget: {MAXIMUM_STRENGTH * 255:.1f} levels on every pixel, no auto "
                        "strength (stronger; visible on smooth areas)")
    p.add_argument("--no-auto-strength", action="store_true",
                   help="one optimisation at --strength, without trying less first")
    p.add_argument("--iterations", type=int, default=defaults.iterations,
                   help=f"optimisation steps per strength (default {defaults.iterations}): more take longer and "
                        "protect better")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--level", choices=LEVEL_NAMES, default=defaults.level,
                   help="standard: the reference method; robust: also against imprecise masks, IOPaint's "
                        "crop, JPEG and resizing (slower)")
    p.add_argument("--budget", choices=BUDGETS, default=defaults.budget,
                   help="adaptive (default): noise only where it acts on the edit, less on smooth areas; "
                        "texture: less on smooth areas; uniform: the full strength everywhere")
    p.add_argument("--against", choices=VIEW_PIPELINES, default=defaults.pipeline, metavar="PIPELINE",
                   help="the editor to protect against: auto = IOPaint's default (whole image up to 800 px, "
                        "else a crop per region; the noise stays in those crops), full, or crop")
    p.add_argument("--resize-view", action="store_true",
                   help="robust level, photos above 1280 px: also optimise against IOPaint's resize (one "
                        "more model pass over a 1280 px image per iteration)")
    p.add_argument("--require-protected", action="store_true",
                   help="exit with status 3 when a protection does not hold (for scripts and CI)")
    p.add_argument("--quality", type=int, default=None, help="JPEG output: its quality, 1-100 (default 90)")


def settings_from(args: argparse.Namespace):
    """The ProtectionSettings the options ask for (validated)."""
    from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength

    settings = ProtectionSettings(iterations=args.iterations, epsilon=args.strength / 255, seed=args.seed,
                                  level=args.level, budget=args.budget, pipeline=args.against,
                                  resize_view=args.resize_view, auto_strength=not args.no_auto_strength)
    return (at_maximum_strength(settings) if args.maximum_strength else settings).validated()


def add_commands(sub: argparse._SubParsersAction, model_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register every sub-command; each parser's defaults say how to run and show it."""
    from guardpaint.cli.batch import add_batch_command
    from guardpaint.core.io.conventions import MASK_THRESHOLD

    p = sub.add_parser("protect", help="add protective noise over the masked region")
    p.add_argument("image")
    p.add_argument("--mask", required=True, help=f"mask image, white (> {MASK_THRESHOLD}) = region to protect")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                   help="OUT.png, OUT.webp (lossless) or OUT.jpg (the protection is then optimised for JPEG)")
    model_args(p)
    protection_args(p)
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    p.set_defaults(run=cmd_protect, show=human.show_protection)

    add_batch_command(sub, model_args)

    p = sub.add_parser("inpaint", help="what an editor does: LaMa fills the masked region")
    p.add_argument("image")
    p.add_argument("--mask", required=True)
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="OUT.png, OUT.webp or OUT.jpg")
    model_args(p)
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    pipeline_arg(p)
    p.set_defaults(run=cmd_inpaint, show=human.show_written)

    p = sub.add_parser("verify", help="compare LaMa edits of the original and the protected image")
    p.add_argument("original")
    p.add_argument("protected")
    p.add_argument("--mask", required=True)
    p.add_argument("--benign-mask", action="append", default=[], metavar="MASK",
                   help="extra mask away from the region whose edit must stay unaffected (repeatable)")
    p.add_argument("--suite", action="store_true",
                   help="also run the attacker suite: editor mask variations, IOPaint pipelines, JPEG and resizing")
    model_args(p)
    pipeline_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_verify, show=human.show_verification)

    p = sub.add_parser("models", help="list, download or locate model weights")
    models_sub = p.add_subparsers(dest="models_command", required=True, parser_class=type(p))
    models_sub.add_parser("list", help="known models, whether they are installed, what each is for")
    models_sub.add_parser("download", help="download a model into the cache (checksum-verified)").add_argument("name")
    models_sub.add_parser("path", help="print where an installed model's weights are").add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_models, show=human.show_models)


def load_models_for(args: argparse.Namespace) -> list:
    """Every model ``--model`` names (the default model when none), loaded once each, on one device."""
    from guardpaint.models import load_model
    from guardpaint.models.device import select_device

    device = select_device(args.device)
    models = [load_model(name, device) for name in args.model or [None]]
    for model in models:
        log.info("model %s on %s", model.name, model.device)
    return models


def load_one_model_for(args: argparse.Namespace):
    if args.model and len(args.model) > 1:
        raise InputError("this command uses one model: give --model once")
    return load_models_for(args)[0]


def _load_inputs(image_path: str, mask_path: str, protection: bool = True):
    """The image and its mask; a file the app saved as a test mask is refused where the mask is the region
    to protect (protect, verify), and fine for trying an edit (inpaint)."""
    from guardpaint.core.editor.masks import validate_mask
    from guardpaint.core.io.images import load_image, load_mask, load_protection_mask

    image = load_image(image_path)
    mask = (load_protection_mask if protection else load_mask)(mask_path, image.size)
    return image, validate_mask(mask, image.rgb.shape)


def cmd_protect(args: argparse.Namespace) -> Result:
    from tqdm import tqdm

    from guardpaint.core.evaluation.report import DEMO_WARNING, made_with_demo, protection_report
    from guardpaint.core.io.files import check_output
    from guardpaint.core.io.formats import check_storable, format_for
    from guardpaint.core.workflow import estimated_output_bytes, protect_to_file

    fmt = format_for(args.output, args.quality)
    image, mask = _load_inputs(args.image, args.mask)
    check_storable(image, fmt)
    settings = settings_from(args)
    inputs = (args.image, args.mask)
    check_output(args.output, inputs, args.overwrite, estimated_output_bytes(image))  # before minutes of work
    models = load_models_for(args)
    with tqdm(total=settings.iterations, desc="protect", unit="it", file=sys.stderr, leave=False,
              disable=None) as bar:
        def report(it) -> None:
            if it.iteration == 1 and it.stage > 1:  # one more optimisation, of the regions that did not hold
                bar.reset(total=it.total_iterations)
                bar.set_description(f"step {it.stage}: {it.strength:.1f} levels")
            bar.set_postfix(loss=f"{it.total:.4f}")
            bar.update(1)

        outcome = protect_to_file(models, image, mask, args.output, settings, inputs, args.overwrite, report, fmt=fmt)
    for note in image.notes:
        print(f"warning: {args.image}: {note}", file=sys.stderr)
    if made_with_demo(outcome):
        print(f"warning: protection {DEMO_WARNING}", file=sys.stderr)
    result = protection_report(outcome, args.image, args.mask, args.output)
    return result, EXIT_NOT_PROTECTED if args.require_protected and not outcome.protected else EXIT_OK


def cmd_inpaint(args: argparse.Namespace) -> Result:
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.io.files import check_output, write_atomic
    from guardpaint.core.io.formats import check_storable, encode_image, format_for
    from guardpaint.core.workflow import estimated_output_bytes

    fmt = format_for(args.output)
    image, mask = _load_inputs(args.image, args.mask, protection=False)
    check_storable(image, fmt)
    check_output(args.output, (args.image, args.mask), args.overwrite, estimated_output_bytes(image))
    model = load_one_model_for(args)
    edited = Editor(model, args.pipeline).inpaint(image.rgb, mask)
    write_atomic(args.output, encode_image(edited, image, fmt))
    return {"output": str(args.output), "model": model.name, "device": str(model.device),
            "pipeline": args.pipeline}, EXIT_OK


def cmd_verify(args: argparse.Namespace) -> Result:
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.evaluation.outcome import model_labels
    from guardpaint.core.evaluation.report import SCHEMA, edit_entries, region_entries
    from guardpaint.core.evaluation.verify import verify
    from guardpaint.core.io.images import load_image, load_mask

    original, mask = _load_inputs(args.original, args.mask)
    protected = load_image(args.protected)
    if protected.size != original.size:
        raise InputError(f"{args.protected}: is {protected.size[0]}x{protected.size[1]}, "
                         f"the original is {original.size[0]}x{original.size[1]}")
    extra = {Path(p).name: load_mask(p, original.size) for p in args.benign_mask}
    models = load_models_for(args)
    labels = model_labels(models)
    checks = {label: verify(Editor(model, args.pipeline), original.rgb, protected.rgb, mask, extra)
              for label, model in zip(labels, models, strict=True)}
    first = next(iter(checks.values()))
    result = {"schema": SCHEMA, "protected": all(check.holds for check in checks.values()),
              "provenance": {"models": [model.provenance() for model in models], "device": str(models[0].device)},
              "imperceptibility": {"psnr": first.psnr, "ssim": first.ssim, "max_abs_diff": first.max_abs_diff},
              "regions": region_entries([v.region for v in first.regions], original.rgb, protected.rgb, checks),
              "edits": edit_entries(checks, args.pipeline), "suite": None}
    if args.suite:
        from guardpaint.core.evaluation.suite import run_suite

        result["suite"] = [{"model": label, **run_suite(model, original.rgb, protected.rgb, mask,
                                                          first.target_colour).to_dict()}
                           for label, model in zip(labels, models, strict=True)]
    return result, EXIT_OK


def cmd_models(args: argparse.Namespace) -> Result:
    from guardpaint.models import registry

    if args.models_command == "list":
        return {"models": [{"name": s.name, "installed": registry.is_available(s.name), "description": s.description,
                            "limits": s.limits, "path": str(registry.model_path(s.name)), "url": s.url,
                            "md5": s.md5, "size_mb": s.size_mb} for s in registry.REGISTRY.values()]}, EXIT_OK
    if args.models_command == "path":
        return {"path": str(registry.installed_path(args.name))}, EXIT_OK
    from tqdm import tqdm

    registry.spec(args.name)  # unknown names fail before any progress output
    with tqdm(desc=args.name, unit="B", unit_scale=True, file=sys.stderr, leave=False, disable=None) as bar:
        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)

        path = registry.download(args.name, progress=progress)
    return {"path": str(path)}, EXIT_OK
