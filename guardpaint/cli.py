"""Command line: protect, inpaint, verify and manage models (batch-friendly, scriptable)."""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import traceback
from pathlib import Path
from typing import NoReturn, Sequence

from guardpaint import __version__
from guardpaint.errors import GuardPaintError, InputError

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's error format: one ``error: ...`` line, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message}\n")


def _output_png(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"{value}: output must be a .png file (lossy formats destroy the protection)")
    return path


def build_parser() -> argparse.ArgumentParser:
    from guardpaint.core.protect import LEVEL_NAMES, ProtectionSettings

    defaults = ProtectionSettings()
    parser = _Parser(prog="guardpaint", description="Protect image regions against AI inpainting (LaMa).")
    parser.add_argument("--version", action="version", version=f"guardpaint {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def model_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", default=None, metavar="NAME|PATH",
                       help="registry name (see `guardpaint models list`) or a weight file; default: demo")
        p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")

    p = sub.add_parser("protect", help="add protective noise over the masked region")
    p.add_argument("image")
    p.add_argument("--mask", required=True, help="mask image, white (> 127) = region to protect")
    p.add_argument("-o", "--output", required=True, type=_output_png, metavar="OUT.png")
    model_args(p)
    p.add_argument("--iterations", type=int, default=defaults.iterations)
    p.add_argument("--epsilon", type=float, default=defaults.epsilon,
                   help=f"max noise on the 0-1 scale (default {defaults.epsilon} = "
                        f"{defaults.epsilon * 255:.1f} levels of 255)")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--level", choices=LEVEL_NAMES, default=defaults.level,
                   help="standard: the reference method; robust: also against imprecise masks, IOPaint's "
                        "crop, JPEG and resizing (slower)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    p = sub.add_parser("inpaint", help="what an editor does: LaMa fills the masked region")
    p.add_argument("image")
    p.add_argument("--mask", required=True)
    p.add_argument("-o", "--output", required=True, type=_output_png, metavar="OUT.png")
    model_args(p)

    p = sub.add_parser("verify", help="compare LaMa edits of the original and the protected image")
    p.add_argument("original")
    p.add_argument("protected")
    p.add_argument("--mask", required=True)
    p.add_argument("--benign-mask", action="append", default=[], metavar="MASK",
                   help="extra mask away from the region whose edit must stay unaffected (repeatable)")
    p.add_argument("--suite", action="store_true",
                   help="also run the attacker suite: editor mask variations, IOPaint pipelines, JPEG and resizing")
    model_args(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("models", help="list, download or locate model weights")
    models_sub = p.add_subparsers(dest="models_command", required=True, parser_class=_Parser)
    models_sub.add_parser("list", help="known models and whether they are installed")
    models_sub.add_parser("download", help="download a model into the cache").add_argument("name")
    models_sub.add_parser("path", help="print where a model's weights are").add_argument("name")
    return parser


def _load_model(args: argparse.Namespace):
    from guardpaint.models import load_model
    from guardpaint.models.device import select_device

    model = load_model(args.model, select_device(args.device))
    logging.getLogger(__name__).info("model %s on %s", model.name, model.device)
    return model


def _load_inputs(image_path: str, mask_path: str):
    from guardpaint.core.imageio import load_image, load_mask
    from guardpaint.core.masks import validate_mask

    image = load_image(image_path)
    mask = validate_mask(load_mask(mask_path, image.size), image.rgb.shape)
    return image, mask


def _cmd_protect(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    from guardpaint.core.editing import Inpainter
    from guardpaint.core.imageio import load_image, save_png
    from guardpaint.core.protect import ProtectionSettings, protect
    from guardpaint.core.verify import verify

    image, mask = _load_inputs(args.image, args.mask)
    settings = ProtectionSettings(iterations=args.iterations, epsilon=args.epsilon, seed=args.seed,
                                  level=args.level).validated()
    model = _load_model(args)
    with tqdm(total=settings.iterations, desc="protect", unit="it", file=sys.stderr, leave=False) as bar:
        def report(it) -> None:
            bar.set_postfix(loss=f"{it.total:.4f}")
            bar.update(1)

        result = protect(model.generator, image.rgb, mask, settings, model.device, on_iteration=report)
    save_png(args.output, result.protected, template=image)
    written = load_image(args.output).rgb  # every claim is measured on the re-read file
    check = verify(Inpainter(model.generator, model.device), image.rgb, written, mask,
                   target_colour=result.target_colour, expansion=settings.expansion)
    return {"output": str(args.output), "model": model.name, "device": str(model.device),
            "size": list(image.size), **result.summary(), "verification": check.to_dict()}


def _cmd_inpaint(args: argparse.Namespace) -> dict:
    from guardpaint.core.editing import Inpainter
    from guardpaint.core.imageio import save_png

    image, mask = _load_inputs(args.image, args.mask)
    model = _load_model(args)
    edited = Inpainter(model.generator, model.device).inpaint(image.rgb, mask)
    save_png(args.output, edited, template=image)
    return {"output": str(args.output), "model": model.name, "device": str(model.device)}


def _cmd_verify(args: argparse.Namespace) -> dict:
    from guardpaint.core.editing import Inpainter
    from guardpaint.core.imageio import load_image, load_mask
    from guardpaint.core.verify import verify

    original, mask = _load_inputs(args.original, args.mask)
    protected = load_image(args.protected)
    if protected.size != original.size:
        raise InputError(f"{args.protected}: is {protected.size[0]}x{protected.size[1]}, "
                         f"the original is {original.size[0]}x{original.size[1]}")
    extra = {Path(p).name: load_mask(p, original.size) for p in args.benign_mask}
    model = _load_model(args)
    inpainter = Inpainter(model.generator, model.device)
    report = verify(inpainter, original.rgb, protected.rgb, mask, extra)
    result = {"model": model.name, "device": str(model.device), **report.to_dict()}
    if args.suite:
        from guardpaint.core.attacks import run_suite

        result["suite"] = run_suite(inpainter, original.rgb, protected.rgb, mask, report.target_colour).to_dict()
    return result


def _cmd_models(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    from guardpaint.models import registry

    if args.models_command == "list":
        return {"models": [{"name": s.name, "installed": registry.is_available(s.name), "description": s.description,
                            "path": str(registry.model_path(s.name)), "url": s.url, "md5": s.md5,
                            "size_mb": s.size_mb} for s in registry.REGISTRY.values()]}
    if args.models_command == "path":
        return {"path": str(registry.model_path(args.name))}
    registry.spec(args.name)  # unknown names fail before any progress output
    with tqdm(desc=args.name, unit="B", unit_scale=True, file=sys.stderr, leave=False) as bar:
        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)

        path = registry.download(args.name, progress=progress)
    return {"path": str(path)}


def _print_human(command: str, result: dict) -> None:
    if command == "models" and "models" in result:
        for m in result["models"]:
            state = "installed" if m["installed"] else "not installed"
            print(f"{m['name']:<10} {state:<14} {m['description']}")
        return
    if "path" in result:
        print(result["path"])
        return
    if "model" in result:
        hint = " (small demo model for trying the workflow; big-lama is the real target)" \
            if result["model"] == "demo" else ""
        print(f"model: {result['model']} on {result['device']}{hint}")
    if "output" in result:
        print(f"wrote {result['output']}")
    check = result.get("verification", result if command == "verify" else None)
    if check:
        mal = check["malicious"]
        print(f"imperceptibility: PSNR {check['psnr']:.2f} dB, SSIM {check['ssim']:.4f}, "
              f"max diff {check['max_abs_diff']} levels")
        print(f"malicious edit: SSIM {mal['ssim']:.3f} vs clean edit, distance to target "
              f"{mal['target_distance_protected']:.1f} (clean {mal['target_distance_original']:.1f}) -> "
              f"{'protected' if mal['holds'] else 'NOT protected'}")
        for name, value in check["benign_ssim"].items():
            print(f"benign edit '{name}': SSIM {value:.3f}")
    if "suite" in result:
        _print_suite(result["suite"])


def _print_suite(suite: dict) -> None:
    print("attacker suite:")
    for case in suite["cases"]:
        print(f"  {case['group']:<9} {case['name']:<26} SSIM {case['ssim']:.3f}  distance "
              f"{case['target_distance_protected']:6.1f} (clean {case['target_distance_original']:6.1f})  "
              f"{'held' if case['holds'] else 'FAILED'}")
    print("held: " + ", ".join(f"{group} {share:.0%}" for group, share in suite["held"].items()))
    for name, value in suite["benign_ssim"].items():
        print(f"benign edit '{name}': SSIM {value:.3f}")


def _finite(value: object) -> object:
    """JSON has no infinity: non-finite floats (PSNR of identical images) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


COMMANDS = {"protect": _cmd_protect, "inpaint": _cmd_inpaint, "verify": _cmd_verify, "models": _cmd_models}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``guardpaint`` command; no arguments starts the GUI."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        try:
            from guardpaint.gui.app import run_gui
        except ImportError:
            parser.print_help()
            return EXIT_OK
        return run_gui()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors, --help and --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        result = COMMANDS[args.command](args)
    except GuardPaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort, with the traceback for a bug report
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            print("error: out of memory on the device; try --device cpu or a smaller image", file=sys.stderr)
            return EXIT_UNEXPECTED
        traceback.print_exc()
        print(f"error: unexpected failure: {exc}", file=sys.stderr)
        return EXIT_UNEXPECTED
    if getattr(args, "json", False):
        print(json.dumps(_finite(result)))
    else:
        _print_human(args.command, result)
    return EXIT_OK
