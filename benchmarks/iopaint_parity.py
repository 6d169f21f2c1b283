"""GuardPaint's editor against IOPaint 1.6 itself: ``iopaint run`` on the same images, masks and weights.

IOPaint must be installed in another environment (it pins its own torch and Pillow):

    python -m venv /tmp/iop && /tmp/iop/bin/pip install "torch==2.13.0" "iopaint==1.6.0"
    python benchmarks/iopaint_parity.py --iopaint /tmp/iop/bin/iopaint --json

The model is exported as the TorchScript archive IOPaint's LaMa loads (``forward(image, mask)``
returning the blended image, like ``big-lama.pt``) and passed to it through ``LAMA_MODEL_URL``. With
``--family migan`` it is a MI-GAN 512 with seeded weights (``tests/migan_seeded.py``), traced as
``migan_traced.pt`` is and passed through ``MIGAN_MODEL_URL``; IOPaint runs MI-GAN its own way whatever the
strategy, so every pipeline should give the same image. With ``--family mat`` it is MAT at the released size with
seeded weights (``tests/mat_seeded.py``), saved as the plain state dict ``Places_512_FullData_G.pth`` is and passed
through ``MAT_MODEL_URL`` (and its md5 through ``MAT_MODEL_MD5``). MAT's dropout draws from torch's global
generator at every call; IOPaint is run with that generator seeded 240 before each call of the network (a patch
of ``MAT.forward`` in IOPaint's process, ``SEEDED_MAT``), the draw GuardPaint's MAT judges with. ``--case`` and
``--pipeline`` keep a run short (MAT at 1024 px and more takes minutes on a CPU).
Each pipeline is one IOPaint strategy: ``auto`` its default (Crop above 800 px), ``crop`` Crop at
any size, ``resize`` Resize (above 1280 px), ``full`` Original. Prints one JSON object per case and pipeline
(``differs_from_full_frame`` shows which pipelines compute something else than the whole frame).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from guardpaint.core.editor.inpaint import Editor
from guardpaint.models import load_model
from guardpaint.models.base import Inpainter
from guardpaint.models.lama_family import LamaInpainter
from guardpaint.models.mat import MatConfig
from guardpaint.models.mat_family import IOPAINT_SEED, MatInpainter, build_mat
from guardpaint.models.migan import MiganGenerator
from guardpaint.models.migan_family import MiganInpainter

#: IOPaint's InpaintRequest for each of GuardPaint's pipelines.
STRATEGIES = {
    "auto": {},
    "crop": {"hd_strategy": "Crop", "hd_strategy_crop_trigger_size": 1},
    "resize": {"hd_strategy": "Resize"},
    "full": {"hd_strategy": "Original"},
}


def _photo(name: str, width: int, height: int) -> np.ndarray:
    import skimage.data

    return cv2.resize(getattr(skimage.data, name)(), (width, height), interpolation=cv2.INTER_AREA)


def _mask(shape: tuple[int, int], boxes: list[tuple[int, int, int, int]],
          holes: list[tuple[int, int, int, int]] = ()) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for top, left, bottom, right in boxes:
        mask[top:bottom, left:right] = True
    for top, left, bottom, right in holes:
        mask[top:bottom, left:right] = False
    return mask


def cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The whole frame (400 x 300), crops (an edge, two overlapping crops, a hole; 1000 x 900), resize
    (1400 x 1000, two regions) and a large part (900 x 800: its crop is over 512 px, so MI-GAN's is shrunk)."""
    return {
        "full-frame 400x300": (_photo("chelsea", 400, 300),
                               _mask((300, 400), [(100, 200, 150, 260), (20, 20, 40, 60)])),
        "crops 1000x900": (_photo("coffee", 1000, 900), _mask(
            (900, 1000), [(10, 930, 70, 990), (400, 300, 450, 360), (420, 500, 470, 560), (650, 100, 750, 200)],
            [(680, 130, 700, 150)])),
        "resize 1400x1000": (_photo("astronaut", 1400, 1000),
                             _mask((1000, 1400), [(400, 600, 500, 720), (100, 100, 140, 160)])),
        "large part 900x800": (_photo("rocket", 900, 800), _mask((800, 900), [(200, 150, 560, 600)])),
    }


class _Blended(torch.nn.Module):
    """What ``big-lama.pt``'s forward computes: the generator's fill blended into the image."""

    def __init__(self, generator: torch.nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        fill = self.generator(torch.cat([image * (1 - mask), mask], dim=1))
        return mask * fill + (1 - mask) * image


def export_torchscript(model: LamaInpainter, path: Path) -> None:
    example = (torch.rand(1, 3, 64, 64), (torch.rand(1, 1, 64, 64) > 0.5).float())
    with torch.no_grad():
        torch.jit.trace(_Blended(model.generator).eval(), example, check_trace=False).save(str(path))


def seeded_migan() -> MiganInpainter:
    """MI-GAN 512 with the tests' seeded weights (any fixed function serves a parity check)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from migan_seeded import seeded_state

    generator = MiganGenerator(512)
    generator.load_state_dict(seeded_state(512))
    return MiganInpainter(generator, "migan-512-seeded")


def export_migan(model: MiganInpainter, path: Path) -> None:
    with torch.no_grad():
        torch.jit.trace(model.generator.eval(), torch.rand(1, 4, 512, 512), check_trace=False).save(str(path))


def seeded_mat() -> MatInpainter:
    """MAT at the released size with seeded weights."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from mat_seeded import seeded_state

    return MatInpainter(build_mat(seeded_state(MatConfig())), "mat-512-seeded")


def export_mat(model: MatInpainter, path: Path) -> None:
    torch.save(model.generator.state_dict(), path)


#: Per family: IOPaint's model name, the variable naming its weights, how to export them, and the seeded model.
FAMILIES = {"lama": ("lama", "LAMA_MODEL_URL", export_torchscript, None),
            "migan": ("migan", "MIGAN_MODEL_URL", export_migan, seeded_migan),
            "mat": ("mat", "MAT_MODEL_URL", export_mat, seeded_mat)}
#: IOPaint's command line with its MAT's global generator seeded before each call of the network.
SEEDED_MAT = f"""
import sys, torch
from iopaint.model import mat
forward = mat.MAT.forward
def seeded(self, image, mask, config):
    torch.manual_seed({IOPAINT_SEED})
    return forward(self, image, mask, config)
mat.MAT.forward = seeded
from iopaint.cli import typer_app
typer_app(sys.argv[1:])
"""


def run_iopaint(iopaint: str, work: Path, weights: Path, pipeline: str, image: Path, mask: Path,
                family: str = "lama") -> np.ndarray:
    config = work / f"{pipeline}.json"
    config.write_text(json.dumps(STRATEGIES[pipeline]))
    output = work / f"out-{pipeline}"
    name, variable, *_ = FAMILIES[family]
    environment = dict(os.environ, **{variable: str(weights)})
    if family == "mat":
        environment["MAT_MODEL_MD5"] = hashlib.md5(weights.read_bytes(), usedforsecurity=False).hexdigest()
    command = [str(Path(iopaint).parent / "python"), "-c", SEEDED_MAT] if family == "mat" else [iopaint]
    subprocess.run([*command, "run", "--model", name, "--device", "cpu", "--image", str(image), "--mask", str(mask),
                    "--output", str(output), "--config", str(config), "--model-dir", str(work / "models")],
                   check=True, capture_output=True, env=environment)
    return np.array(Image.open(output / image.name).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iopaint", required=True, help="the iopaint executable of an environment with IOPaint 1.6")
    parser.add_argument("--model", default="demo")
    parser.add_argument("--family", choices=FAMILIES, default="lama",
                        help="migan, mat: a seeded MI-GAN 512 or MAT 512, not --model")
    parser.add_argument("--case", action="append", help="only this case (repeatable)")
    parser.add_argument("--pipeline", action="append", choices=STRATEGIES, help="only this pipeline (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    seeded = FAMILIES[args.family][3]
    model: Inpainter = seeded() if seeded else load_model(args.model, torch.device("cpu"))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        weights = work / "models" / "torch" / "hub" / "checkpoints" / f"{args.family}.pt"  # where IOPaint looks
        weights.parent.mkdir(parents=True)
        FAMILIES[args.family][2](model, weights)
        for name, (photo, mask) in cases().items():
            if args.case and name not in args.case:
                continue
            image, mask_file = work / f"{name.split()[0]}.png", work / "masks" / f"{name.split()[0]}.png"
            mask_file.parent.mkdir(exist_ok=True)
            Image.fromarray(photo).save(image)
            Image.fromarray(mask.astype(np.uint8) * 255).save(mask_file)
            whole = Editor(model, "full").inpaint(photo, mask)
            for pipeline in args.pipeline or STRATEGIES:
                theirs = run_iopaint(args.iopaint, work, weights, pipeline, image, mask_file, args.family)
                ours = Editor(model, pipeline).inpaint(photo, mask)
                difference = np.abs(ours.astype(int) - theirs)
                row = {"case": name, "pipeline": pipeline, "model": model.name, "max_abs_diff": int(difference.max()),
                       "share_differing": float((difference > 0).mean()),
                       "share_differing_over_1": float((difference > 1).mean()),
                       "outside_mask_identical": bool((difference[~mask] == 0).all()),
                       "differs_from_full_frame": bool((ours != whole).any())}
                print(json.dumps(row) if args.json else row, flush=True)


if __name__ == "__main__":
    main()
