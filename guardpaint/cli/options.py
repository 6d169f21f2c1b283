"""The options several sub-commands share, and loading the models they name.

The protection options are built from the settings' declarations
(:func:`~guardpaint.core.protection.settings.knobs`): each knob is one option here and one field in
the app. Nothing here imports torch until a model is loaded.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from guardpaint.core.io.conventions import DEFAULT_JPEG_QUALITY
from guardpaint.errors import InputError

#: The one rule for existing outputs, for protect, inpaint and batch alike.
OVERWRITE_HELP = ("replace an output that is already there; without it protect and inpaint stop with status 2 "
                  "and batch skips the image (redoing only a partial one), so an interrupted batch resumes")


def model_args(parser: argparse.ArgumentParser) -> None:
    """--model (repeatable) and --device."""
    parser.add_argument("--model", action="append", default=None, metavar="NAME|PATH",
                        help="registry name (see `guardpaint models list`) or a weight file; default: demo. "
                             "Repeat to protect against several models at once (protect, batch, verify)")
    parser.add_argument("--device", default="auto",
                        help="auto, cpu, cuda or cuda:N (default: auto; on a Mac the CPU, as IOPaint runs LaMa there)")


def editor_arg(parser: argparse.ArgumentParser, several: bool) -> None:
    """--editor: the attacker's editor(s) to imitate (inpaint: one; verify: a comma-separated list), and the
    older --pipeline, which names one of IOPaint's strategies."""
    from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS, editor, parse_editors
    from guardpaint.core.editor.pipelines import PIPELINES, check_pipeline

    names = ", ".join(EDITORS)
    if several:
        parser.add_argument("--editor", dest="editors", type=_text(parse_editors, "--editor"), default=DEFAULT_EDITORS,
                            metavar="EDITOR[,EDITOR...]",
                            help=f"the editors to judge under, comma-separated ({names}; default: "
                                 f"{','.join(DEFAULT_EDITORS)}; docs: Editors)")
        older = _text(lambda text: (editor(check_pipeline(text)).name,), "--pipeline")
    else:
        parser.add_argument("--editor", type=_text(lambda text: editor(text).name, "--editor"),
                            default=DEFAULT_EDITORS[0], metavar="EDITOR",
                            help=f"the editor whose edit to make ({names}; default: {DEFAULT_EDITORS[0]}; docs: "
                                 "Editors)")
        older = _text(lambda text: editor(check_pipeline(text)).name, "--pipeline")
    parser.add_argument("--pipeline", dest="editors" if several else "editor", type=older, metavar="|".join(PIPELINES),
                        help="the older name of --editor for IOPaint's strategies (auto is iopaint, full "
                             "iopaint:full...)")


def _number(kind: type, label: str):
    """An argparse type for a number, whose error names the option's setting."""
    def parse(text: str):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label}: not a {'whole ' if kind is int else ''}number: "
                                             f"{text!r}") from None
    return parse


def _text(parse, label: str):
    """An argparse type from a parser of text, whose error names the option."""
    def read(text: str):
        try:
            return parse(text)
        except (KeyError, ValueError, InputError) as exc:
            raise argparse.ArgumentTypeError(f"{label}: {exc}") from None
    return read


def knob_args(parser: argparse.ArgumentParser, settings_type: type) -> None:
    """One option per knob of ``settings_type``, with its help and default (read back by :func:`knob_values`)."""
    from guardpaint.core.protection.settings import default_of, knobs

    for settings_field, declared in knobs(settings_type):
        default = default_of(settings_field)
        option = declared.option(settings_field.name, default)
        shown = default * declared.scale if isinstance(default, float) else default
        text = f"{declared.help} (default: {declared.show(default) if declared.parse else _shown(shown)})"
        if isinstance(default, bool):
            switch = f"turn off (on by default): {declared.help}" if default else f"{declared.help} (off by default)"
            parser.add_argument(option, dest=settings_field.name, action="store_false" if default else "store_true",
                                help=switch)
        elif declared.choices and not declared.multiple:
            parser.add_argument(option, dest=settings_field.name, choices=declared.choices, default=default,
                                help=text)
        elif declared.parse is not None:
            metavar = f"{settings_field.name.removesuffix('s').upper()}[,...]" if declared.multiple \
                else declared.label.upper().replace(" ", "_")
            parser.add_argument(option, dest=settings_field.name, type=_text(declared.parse, option),
                                default=default, metavar=metavar, help=text)
        else:
            unit = declared.unit.upper() or settings_field.name.upper()
            parser.add_argument(option, dest=settings_field.name, type=_number(type(default), option),
                                default=shown, metavar=unit, help=text)


def protection_args(parser: argparse.ArgumentParser, settings_type: type | None = None) -> None:
    """One option per knob of ``settings_type`` (ProtectionSettings by default), the maximum-strength preset,
    --require-protected and --quality (what ``protect`` and ``batch`` share)."""
    from guardpaint.core.protection.settings import MAXIMUM, ProtectionSettings

    knob_args(parser, settings_type or ProtectionSettings)
    parser.add_argument(MAXIMUM.flag, dest="maximum_strength", action="store_true", help=MAXIMUM.help)
    parser.add_argument("--require-protected", action="store_true",
                        help="exit with status 3 when a protection does not hold (for scripts and CI)")
    parser.add_argument("--quality", type=int, default=None,
                        help=f"JPEG output: its quality, 1-100 (default {DEFAULT_JPEG_QUALITY})")


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def knob_values(args: argparse.Namespace, settings_type: type):
    """The ``settings_type`` the options of :func:`knob_args` ask for (unchecked: checked at the door)."""
    from guardpaint.core.protection.settings import knobs

    values = {}
    for settings_field, declared in knobs(settings_type):
        value = getattr(args, settings_field.name)
        values[settings_field.name] = value / declared.scale if declared.scale != 1 else value
    return replace(settings_type(), **values)


def settings_from(args: argparse.Namespace, settings_type: type | None = None):
    """The settings the options ask for (checked at the door: the protection request's, or the batch's)."""
    from guardpaint.core.protection.settings import MAXIMUM, ProtectionSettings

    settings = knob_values(args, settings_type or ProtectionSettings)
    return MAXIMUM.apply(settings) if args.maximum_strength else settings


def generator_args(parser: argparse.ArgumentParser) -> None:
    """--generator and its use's knobs, --refine (protect, batch)."""
    from guardpaint.core.generator.settings import GeneratorUse

    parser.add_argument("--generator", type=Path, metavar="FILE",
                        help="start from this noise generator's one pass (trained against the model: "
                             "`guardpaint generator train`); the written file is judged as always")
    knob_args(parser, GeneratorUse)


def check_refine(args: argparse.Namespace) -> None:
    """--refine's value, and --generator given with it (before anything is loaded)."""
    from guardpaint.core.generator.settings import GeneratorUse

    use = knob_values(args, GeneratorUse).validated()
    if args.generator is None and use.refine:
        raise InputError("--refine continues from a generator's noise: give --generator FILE")


def source_for(args: argparse.Namespace, models: list):
    """Where the noise starts: the noise generator --generator names with --refine (checked against the models
    by the protection request), else the optimiser."""
    check_refine(args)
    from guardpaint.core.protection.sources import OPTIMISER, GeneratorSource

    if args.generator is None:
        return OPTIMISER
    from guardpaint.models.noise_generator import read_generator

    return GeneratorSource(read_generator(args.generator, models[0].device), args.refine)


def load_models_for(args: argparse.Namespace) -> list:
    """Every model ``--model`` names (the default model when none), loaded once each, on one device; a status
    line says so first, and the demo warning follows at once when every model is the demo."""
    from guardpaint.cli.progress import status
    from guardpaint.models import load_model
    from guardpaint.models.device import select_device

    device = select_device(args.device)
    status(f"loading {', '.join(args.model or ['the demo model'])} on {device}…")
    models = [load_model(name, device) for name in args.model or [None]]
    warn_if_demo(models)
    return models


def warn_if_demo(models: list) -> None:
    """The demo caveat on standard error, before any work, when every model is the bundled demo."""
    from guardpaint.models import registry

    if all(registry.is_demo(model.sha256) for model in models):
        demo_warning()


def demo_warning() -> None:
    """The demo caveat on standard error (said before the work that uses the demo model)."""
    from guardpaint.core.evaluation.wording import DEMO_CAVEAT

    print(f"warning: {DEMO_CAVEAT}", file=sys.stderr, flush=True)


def load_one_model_for(args: argparse.Namespace):
    if args.model and len(args.model) > 1:
        raise InputError("this command uses one model: give --model once")
    return load_models_for(args)[0]
