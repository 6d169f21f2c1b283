"""``guardpaint generator train`` and ``guardpaint generator evaluate``: a noise generator for the user's own
model, and how it does against the per-image loop. Several GPUs or machines: the same command under
``torchrun`` (PyTorch's launcher), one process per GPU (docs: Batches and training at scale)."""
from __future__ import annotations

import argparse
from pathlib import Path

from guardpaint.cli import human
from guardpaint.cli.exits import EXIT_OK
from guardpaint.cli.options import knob_args, knob_values, load_models_for, model_args
from guardpaint.cli.progress import Progress
from guardpaint.core.generator.settings import EvaluationSettings, TrainingSettings
from guardpaint.errors import InputError

Result = tuple[dict | None, int]
#: Validation pairs drawn from --val (photos with random masks), when none are given per image.
VALIDATION_PAIRS = 8


def add_generator_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generator", help="train or check a noise generator: protection in one pass")
    commands = p.add_subparsers(dest="generator_command", required=True, parser_class=type(p), metavar="COMMAND")

    train = commands.add_parser("train", help="train a noise generator against a model, on your own photos")
    model_args(train)
    train.add_argument("--images", required=True, type=Path, metavar="DIR", help="photos to train on (random crops)")
    train.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                       help="the generator (.safetensors); its training state is kept beside it (FILE.state)")
    train.add_argument("--val", type=Path, metavar="DIR", help="held-out photos: the share that hold is shown")
    length = train.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=int, help="train for this many steps in all (a resumed run counts its own)")
    length.add_argument("--minutes", type=float, help="train for this many minutes")
    train.add_argument("--resume", type=Path, metavar="FILE", help="continue the training of this generator file")
    knob_args(train, TrainingSettings)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--json", action="store_true", help="print the result as one JSON object")
    train.set_defaults(run=cmd_train, show=human.show_generator)

    evaluate = commands.add_parser("evaluate", help="a generator's one pass, with refine iterations, and the loop")
    evaluate.add_argument("generator", type=Path, metavar="FILE", help="the generator to check (.safetensors)")
    model_args(evaluate)
    evaluate.add_argument("--images", required=True, type=Path, metavar="DIR", help="held-out photos, never trained on")
    evaluate.add_argument("--masks", type=Path, metavar="DIR",
                          help="masks named like the images (batch's rule); without it, photo.mask.png beside each "
                               "image, else random masks of the training's kinds")
    knob_args(evaluate, EvaluationSettings)
    evaluate.add_argument("--json", action="store_true", help="print the result as one JSON object")
    evaluate.set_defaults(run=cmd_evaluate, show=human.show_generator)


def _pairs(images: Path, masks: Path | None, crop: int, seed: int, count: int | None = None) -> list:
    """Photo-and-mask pairs: each image with its mask (``--masks`` folder or ``photo.mask.png``), or, for a
    folder without masks, random crops with random masks."""
    from guardpaint.core.batch import find_items
    from guardpaint.core.generator.samples import Sample, SampleSource, photos_in
    from guardpaint.core.io.formats import PNG
    from guardpaint.core.io.images import load_image, load_protection_mask

    items = [item for item in find_items(images, images, PNG, masks) if item.mask is not None]
    if items:
        pairs = []
        for item in items:
            image = load_image(item.image)
            pairs.append(Sample(image.rgb, load_protection_mask(item.mask, image.size), Path(item.image).name))
        return pairs
    source = SampleSource(photos_in(images), crop, seed)
    return [source.sample(index) for index in range(count or len(source.images))]


def cmd_train(args: argparse.Namespace) -> Result:
    from dataclasses import asdict

    from guardpaint.core.generator.evaluation import measure
    from guardpaint.core.generator.samples import SampleSource, photos_in
    from guardpaint.core.generator.training import Trainer, init_distributed, train

    init_distributed()
    if args.resume is None and args.output.exists():
        raise InputError(f"{args.output}: already exists; choose another output, or --resume it")
    settings = knob_values(args, TrainingSettings).validated()
    models = load_models_for(args)
    source = SampleSource(photos_in(args.images), settings.crop, settings.seed)
    validation = _pairs(args.val, None, settings.crop, settings.seed + 1, VALIDATION_PAIRS) if args.val else None
    trainer = Trainer(models, source, settings)
    if args.resume is not None:
        trainer.resume(args.resume)

    def validate(generator) -> dict:
        return measure(models, validation, generator, 0)

    total = args.steps - trainer.step if args.steps else None
    with Progress("training", total, unit="step", quiet=args.quiet or trainer.rank > 0) as bar:
        def shown(report) -> None:
            figures = {name: f"{value:.4f}" for name, value in report.losses.items()}
            if report.held is not None:
                figures["held"] = f"{report.held:.0%}"
            bar.update(1, ", ".join(f"{name} {value}" for name, value in figures.items()))

        figures = train(trainer, args.output, args.steps, args.minutes, validate if validation else None, shown)
    result = {"output": str(args.output), "steps": trainer.step, "seconds": round(trainer.seconds, 1),
              "settings": asdict(settings), "trained_against": trainer.generator.trained_against,
              "validation": figures}
    return (result if trainer.rank == 0 else None), EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> Result:
    from guardpaint.core.generator.evaluation import evaluate
    from guardpaint.core.protection.sources import GeneratorSource
    from guardpaint.models.noise_generator import read_generator

    options = knob_values(args, EvaluationSettings).validated()
    models = load_models_for(args)
    generator = read_generator(args.generator, models[0].device)
    GeneratorSource(generator).check(models)
    pairs = _pairs(args.images, args.masks, options.crop, 0)
    modes = evaluate(models, generator, pairs, options.refine, options.iterations)
    return {"generator": generator.provenance(), "models": [m.name for m in models], "modes": modes}, EXIT_OK
