"""The sub-commands: what each computes, on top of core and models."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guardpaint.cli import human
from guardpaint.cli.exits import EXIT_NOT_PROTECTED, EXIT_OK
from guardpaint.cli.options import (
    OVERWRITE_HELP,
    editor_arg,
    generator_args,
    load_models_for,
    load_one_model_for,
    model_args,
    protection_args,
    settings_from,
    source_for,
)
from guardpaint.cli.progress import Progress, status
from guardpaint.core.protection.groups import SUITE_GROUPS
from guardpaint.errors import InputError

Result = tuple[dict | None, int]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register every sub-command; each parser's defaults say how to run and show it."""
    from guardpaint.cli.batch import add_batch_command
    from guardpaint.cli.generator import add_generator_command
    from guardpaint.core.io.conventions import MASK_THRESHOLD

    p = sub.add_parser("protect", help="add protective noise over the masked region")
    p.add_argument("image", help="the image to protect (PNG, JPEG, WebP, TIFF or BMP; never written over)")
    p.add_argument("--mask", required=True, help=f"mask image, white (> {MASK_THRESHOLD}) = region to protect")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                   help="OUT.png, OUT.webp (lossless) or OUT.jpg (the protection is then optimised for JPEG)")
    model_args(p)
    protection_args(p)
    generator_args(p)
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    p.set_defaults(run=cmd_protect, show=human.show_protection)

    add_batch_command(sub)
    add_generator_command(sub)

    p = sub.add_parser("inpaint", help="what an editor does: LaMa fills the masked region")
    p.add_argument("image", help="the image to edit (never written over)")
    p.add_argument("--mask", required=True,
                   help=f"the mask of what the editor fills, white (> {MASK_THRESHOLD}) = filled")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="OUT.png, OUT.webp or OUT.jpg")
    model_args(p)
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    editor_arg(p, several=False)
    p.set_defaults(run=cmd_inpaint, show=human.show_written)

    p = sub.add_parser("verify", help="compare LaMa edits of the original and the protected image")
    p.add_argument("original", help="the image before protection")
    p.add_argument("protected", help="the protected file, as published")
    p.add_argument("--mask", required=True, help=f"the protected region, white (> {MASK_THRESHOLD}) = protected")
    p.add_argument("--benign-mask", action="append", default=[], metavar="MASK",
                   help="extra mask away from the region whose edit must stay unaffected (repeatable)")
    p.add_argument("--suite", action="store_true",
                   help="also run the attacker suite: editor mask variations, every editor (IOPaint, ComfyUI, the "
                        "512 px apps), re-encoding and resizing, and purifications (blurs, denoisers, curves, "
                        "AdverseCleaner...)")
    p.add_argument("--group", action="append", default=None, metavar="GROUP", choices=SUITE_GROUPS,
                   help=f"with --suite, run only this group ({', '.join(SUITE_GROUPS)}; repeatable)")
    model_args(p)
    editor_arg(p, several=True)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")
    p.set_defaults(run=cmd_verify, show=human.show_verification)

    p = sub.add_parser("models", help="list, download or locate model weights")
    models_sub = p.add_subparsers(dest="models_command", required=True, parser_class=type(p))
    models_sub.add_parser("list", help="known models, whether they are installed, what each is for")
    models_sub.add_parser("download", help="download a model into the cache (checksum-verified)").add_argument(
        "name", help="a registry name (see `guardpaint models list`)")
    models_sub.add_parser("path", help="print where an installed model's weights are").add_argument(
        "name", help="a registry name")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")
    p.set_defaults(run=cmd_models, show=human.show_models)


def _load_inputs(image_path: str, mask_path: str, protection: bool = True):
    """The image and its mask (its shape and parts checked by whoever uses it); a file the app saved as a test
    mask is refused where the mask is the region to protect (protect, verify), and fine for trying an edit
    (inpaint)."""
    from guardpaint.core.io.images import load_image, load_mask, load_protection_mask

    image = load_image(image_path)
    return image, (load_protection_mask if protection else load_mask)(mask_path, image.size)


def cmd_protect(args: argparse.Namespace) -> Result:
    from guardpaint.core.evaluation.report import protection_report
    from guardpaint.core.evaluation.wording import DEMO_CAVEAT
    from guardpaint.core.io.formats import format_for
    from guardpaint.core.protection.request import ProtectionRequest
    from guardpaint.core.workflow import protect_to_file

    image, mask = _load_inputs(args.image, args.mask)
    request = ProtectionRequest.checked(image, mask, settings_from(args), format_for(args.output, args.quality),
                                        output=args.output, inputs=(args.image, args.mask),
                                        overwrite=args.overwrite)  # before the models load and minutes of work
    models = load_models_for(args)
    request = request.for_models(models, source_for(args, models))
    with Progress("step 1", request.settings.iterations) as bar:
        def report(it) -> None:
            if it.iteration == 1 and it.stage > 1:  # one more optimisation, of the regions that did not hold
                bar.stage(f"step {it.stage}: {it.strength}", it.total_iterations)
            bar.update(1, f"loss {it.total:.4f}")

        outcome = protect_to_file(request, report, on_status=status)
    result = protection_report(outcome, args.image, args.mask, args.output)
    for warning in result["warnings"]:  # a weight file changed since it was loaded, the input (the demo: said first)
        if warning != DEMO_CAVEAT:
            print(f"warning: {warning}", file=sys.stderr)
    return result, EXIT_NOT_PROTECTED if args.require_protected and not outcome.protected else EXIT_OK


def cmd_inpaint(args: argparse.Namespace) -> Result:
    from guardpaint.core.editor.inpaint import Editor
    from guardpaint.core.editor.masks import validate_mask
    from guardpaint.core.io.files import check_output, write_atomic
    from guardpaint.core.io.formats import check_storable, encode_image, estimated_output_bytes, format_for

    fmt = format_for(args.output)
    image, mask = _load_inputs(args.image, args.mask, protection=False)
    mask = validate_mask(mask, image.rgb.shape)
    check_storable(image, fmt)
    check_output(args.output, (args.image, args.mask), args.overwrite, estimated_output_bytes(image))
    model = load_one_model_for(args)
    edited = Editor(model, args.editor).inpaint(image.rgb, mask)
    write_atomic(args.output, encode_image(edited, image, fmt))
    return {"output": str(args.output), "model": model.name, "device": str(model.device),
            "editor": args.editor}, EXIT_OK


def cmd_verify(args: argparse.Namespace) -> Result:
    from guardpaint.core.editor.inpaint import Editor, check_editors_run, editors_for
    from guardpaint.core.evaluation.outcome import model_labels
    from guardpaint.core.evaluation.report import SCHEMA, edit_entries, region_entries
    from guardpaint.core.evaluation.verify import each_check, verify
    from guardpaint.core.evaluation.wording import DEMO_CAVEAT, verdict
    from guardpaint.core.io.images import load_image, load_mask
    from guardpaint.models import registry

    original, mask = _load_inputs(args.original, args.mask)
    protected = load_image(args.protected)
    if protected.size != original.size:
        raise InputError(f"{args.protected}: is {protected.size[0]}x{protected.size[1]}, "
                         f"the original is {original.size[0]}x{original.size[1]}")
    extra = {Path(p).name: load_mask(p, original.size) for p in args.benign_mask}
    models = load_models_for(args)
    check_editors_run(models, args.editors)
    labels = model_labels(models)
    checks = {label: {name: verify(Editor(model, name), original.rgb, protected.rgb, mask, extra)
                      for name in editors_for(model, args.editors)}
              for label, model in zip(labels, models, strict=True)}
    first = next(iter(checks[labels[0]].values()))
    demo = [DEMO_CAVEAT] if all(registry.is_demo(model.sha256) for model in models) else []
    result = {"schema": SCHEMA, "protected": all(check.holds for _, _, check in each_check(checks)),
              "summary": verdict(checks), "warnings": demo,
              "provenance": {"models": [model.provenance() for model in models], "editors": list(args.editors),
                             "device": str(models[0].device)},
              "imperceptibility": {"psnr": first.psnr, "ssim": first.ssim, "max_abs_diff": first.max_abs_diff},
              "regions": region_entries([v.region for v in first.regions], original.rgb, protected.rgb, checks),
              "edits": edit_entries(checks), "suite": None}
    if args.suite:
        from guardpaint.core.evaluation.suite import case_count, run_suite

        groups = tuple(args.group) if args.group else SUITE_GROUPS
        result["suite"] = []
        for label, model in zip(labels, models, strict=True):
            with Progress(f"attacker suite ({label})", case_count(mask, groups, kind=model.kind),
                          unit="case") as bar:
                suite = run_suite(model, original.rgb, protected.rgb, mask, first.target_colour, groups=groups,
                                  chosen=args.editors, on_case=lambda case, bar=bar: bar.update(1, case.name))
            result["suite"].append({"model": label, **suite.to_dict()})
    return result, EXIT_OK


def cmd_models(args: argparse.Namespace) -> Result:
    from guardpaint.models import registry
    from guardpaint.models.noise_generator import NONE_SHIPS

    if args.models_command == "list":
        return {"models": [{"name": s.name, "installed": registry.is_available(s.name), "family": s.family,
                            "description": s.description, "limits": s.limits,
                            "path": str(registry.model_path(s.name)), "url": s.url, "md5": s.md5,
                            "size_mb": s.size_mb} for s in registry.REGISTRY.values()],
                "generators": NONE_SHIPS}, EXIT_OK
    if args.models_command == "path":
        return {"path": str(registry.installed_path(args.name))}, EXIT_OK
    spec = registry.spec(args.name)  # unknown names fail before any progress output
    with Progress(f"downloading {args.name}", int(spec.size_mb * 1e6) if spec.size_mb else None, unit="B",
                  unit_scale=True) as bar:
        path = registry.download(args.name, progress=bar.set)
    return {"path": str(path)}, EXIT_OK
