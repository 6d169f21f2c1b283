"""A noise generator trained here, on the CPU, against the high-gain test model, then checked on held-out
photo-and-mask pairs: one pass, one pass plus refine iterations, and the per-image loop.

    python benchmarks/generator_high_gain.py --minutes 10 --json [--output FILE]
    python benchmarks/generator_high_gain.py --generator FILE --per-pair --json

What it means: on the model the noise can move (tests/high_gain.py, whose fill a checkerboard in the
context drives to any colour), how well a generator learns the protection, and how much faster it is.
What it does not mean: anything about big-lama, which cannot be trained against here (no weights).
Training photos: the colour photos of scikit-image's training set (training/data.py: astronaut, the
motorcycles, the Hubble deep field, ihc, retina), as a user trains on photos of the kind they protect: the
held-out photos are in colour, and a grey photo teaches nothing about colour, since its noise is one
channel. Held-out pairs: crops of the held-out photos (chelsea, coffee, rocket) with random masks of the
training's kinds, never seen in training.

``--per-pair`` adds, for each held-out pair, its photo, target colour and each mode's verdict and each
channel's *push*: the mean checkerboard component of the written noise over the pixels
outside the mask, in levels, signed towards the target (what this model responds to; analysis only).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from guardpaint.core.generator.evaluation import evaluate
from guardpaint.core.generator.samples import Sample, SampleSource, photos_in
from guardpaint.core.generator.training import Trainer, TrainingSettings, train
from guardpaint.core.workflow import ProtectedImage
from guardpaint.models.noise_generator import NoiseGenerator, read_generator

from data import TRAIN_IMAGES, VALIDATION_IMAGES, load_photo
from high_gain import HighGainInpainter


def colour_photos(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names whose photo is in colour (a grey photo is stored with three equal channels)."""
    return tuple(name for name in names if np.ptp(load_photo(name).astype(np.int16), axis=2).any())


def photo_folder(folder: Path, names: tuple[str, ...], side: int) -> Path:
    """The photos resized to ``side`` on their short side, as PNG files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        photo = load_photo(name)
        scale = side / min(photo.shape[:2])
        resized = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)),
                             interpolation=cv2.INTER_AREA)
        Image.fromarray(resized).save(folder / f"{Path(name).stem}.png")
    return folder


def push(outcome: ProtectedImage, mask: np.ndarray) -> list[float]:
    """Each channel's mean checkerboard component of the written noise outside ``mask``, in levels, signed
    towards the target colour (positive: pushing the fill towards it)."""
    height, width = mask.shape
    checker = 1 - 2 * ((np.arange(height)[:, None] + np.arange(width)[None, :]) % 2)
    towards = np.where(np.array(outcome.result.target_colour) > 127, 1, -1)
    signed = outcome.result.noise * checker[..., None] * towards
    return [round(float(signed[..., channel][~mask].mean()), 2) for channel in range(3)]


class PerPair:
    """Hears the evaluation's protections: each pair's photo, target colour, and each mode's verdict and push."""

    def __init__(self, pairs: list[Sample]) -> None:
        self.rows = [{"photo": pair.photo} for pair in pairs]
        self.index = {id(pair): position for position, pair in enumerate(pairs)}

    def __call__(self, mode: str, pair: Sample, outcome: ProtectedImage) -> None:
        row = self.rows[self.index[id(pair)]]
        row["target"] = list(outcome.result.target_colour)
        row[mode] = {"held": outcome.protected, "push": push(outcome, pair.mask)}


def trained(model: HighGainInpainter, args: argparse.Namespace, folder: Path,
            output: Path) -> tuple[NoiseGenerator, dict]:
    """A generator trained on the photos of ``folder`` as the arguments say, and what its training was."""
    settings = TrainingSettings(crop=args.crop, batch=args.batch, width=args.width, seed=args.seed,
                                learning_rate=args.learning_rate, checkpoint_every=10**9, precision="fp32")
    trainer = Trainer([model], SampleSource(photos_in(folder), args.crop, args.seed), settings)
    started = time.perf_counter()
    train(trainer, output, None, args.minutes)
    return trainer.finished_generator(), {
        "training_minutes": round((time.perf_counter() - started) / 60, 2), "steps": trainer.step,
        "samples_seen": trainer.step * args.batch, "crop": args.crop, "generator_width": args.width,
        "learning_rate": args.learning_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--width", type=int, default=TrainingSettings.width)
    parser.add_argument("--learning-rate", type=float, default=TrainingSettings.learning_rate)
    parser.add_argument("--pairs", type=int, default=24, help="held-out photo-and-mask pairs")
    parser.add_argument("--refine", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="keep the generator here")
    parser.add_argument("--generator", type=Path, help="check this generator (kept with --output) instead of training")
    parser.add_argument("--per-pair", action="store_true", help="each held-out pair's verdicts and push")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = HighGainInpainter()
    with tempfile.TemporaryDirectory() as scratch:
        if args.generator:  # its held-out pairs at the crop it was trained at
            generator = read_generator(args.generator)
            args.crop = generator.training.get("crop", args.crop)
            training = {"generator": str(args.generator), "steps": generator.training.get("steps"), "crop": args.crop}
        else:
            train_folder = photo_folder(Path(scratch) / "train", colour_photos(TRAIN_IMAGES), 2 * args.crop)
            output = args.output or Path(scratch) / "generator.safetensors"
            generator, training = trained(model, args, train_folder, output)
        held_folder = photo_folder(Path(scratch) / "held", VALIDATION_IMAGES, 2 * args.crop)
        held_out = SampleSource(photos_in(held_folder), args.crop, args.seed + 1000)
        pairs = [held_out.sample(index) for index in range(args.pairs)]
        per_pair = PerPair(pairs) if args.per_pair else None
        modes = evaluate([model], generator, pairs, args.refine, 20, on_outcome=per_pair)
    result = {"model": "high-gain (tests/high_gain.py)", "device": "cpu", **training,
              "threads": torch.get_num_threads(), "held_out_pairs": args.pairs, "modes": modes}
    print(json.dumps(result | ({"per_pair": per_pair.rows} if per_pair else {}), indent=None if args.json else 2))


if __name__ == "__main__":
    main()
