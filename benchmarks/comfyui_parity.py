"""GuardPaint's ``comfyui`` editor against ComfyUI's own node: ``guardpaint inpaint --editor comfyui`` next to
comfyui-inpaint-nodes' "Inpaint (using Model)" with LaMa loaded by spandrel, on the same seeded weights.

spandrel imports torchvision, whose PyPI wheels do not import beside the CPU torch the tests use, so the
node runs in an environment of its own (``comfyui_node.py``), as IOPaint does for ``iopaint_parity.py``:

    python -m venv /tmp/spv && /tmp/spv/bin/pip install torch==2.14.1 torchvision==0.29.1 spandrel kornia
    git clone https://github.com/Acly/comfyui-inpaint-nodes /tmp/nodes   # (1.4.2 was used)
    python benchmarks/comfyui_parity.py --python /tmp/spv/bin/python --node-util /tmp/nodes/util.py --json

The weights are big-lama's architecture with random weights and random BatchNorm statistics (seeded), saved
as a plain state dict under ``generator.`` as the official checkpoint names it; both sides load that file.
Prints one JSON object per case: the largest difference in levels, the share of pixels that differ, and
whether the fill differs from IOPaint's (so the case tests something IOPaint's editor would not).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from guardpaint.models.lama import FFCResNetGenerator, LamaConfig

from data import load_photo


def seeded_weights(seed: int) -> dict[str, torch.Tensor]:
    """big-lama's architecture, its weights and BatchNorm statistics drawn from ``seed``, under ``generator.``."""
    torch.manual_seed(seed)
    generator = FFCResNetGenerator(LamaConfig())
    with torch.no_grad():
        for module in generator.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return {f"generator.{name}": tensor for name, tensor in generator.state_dict().items()}


def cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A non-square photo (padded to a square, then shrunk), a square one (shrunk only) and one at 256 px."""
    out = {}
    for name, photo, size in (("non-square 384x288", "chelsea.png", (384, 288)),
                              ("square 320x320", "coffee.png", (320, 320)),
                              ("square 256x256", "rocket.jpg", (256, 256))):
        image = cv2.resize(load_photo(photo), size, interpolation=cv2.INTER_AREA)
        mask = np.zeros(image.shape[:2], bool)
        height, width = mask.shape
        mask[height // 3:height // 3 + height // 4, width // 3:width // 3 + width // 4] = True
        out[name] = (image, mask)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", required=True, help="the python of an environment with spandrel and kornia")
    parser.add_argument("--node-util", required=True, help="util.py of a comfyui-inpaint-nodes checkout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    node = Path(__file__).resolve().parent / "comfyui_node.py"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        weights = work / "big-lama-arch.pth"
        torch.save(seeded_weights(args.seed), weights)
        for number, (name, (photo, mask)) in enumerate(cases().items()):
            stem = f"case{number}"
            image, mask_file = work / f"{stem}.png", work / f"{stem}.mask.png"
            Image.fromarray(photo).save(image)
            Image.fromarray(mask.astype(np.uint8) * 255).save(mask_file)
            ours, theirs, iopaint = (work / f"{stem}.{side}.png" for side in ("ours", "theirs", "iopaint"))
            for editor, output in (("comfyui", ours), ("iopaint", iopaint)):
                subprocess.run([sys.executable, "-m", "guardpaint", "inpaint", str(image), "--mask", str(mask_file),
                                "--model", str(weights), "--device", "cpu", "--editor", editor, "-o", str(output)],
                               check=True, capture_output=True)
            ran = subprocess.run([args.python, str(node), "--node-util", args.node_util, "--weights", str(weights),
                                  "--image", str(image), "--mask", str(mask_file), "-o", str(theirs)],
                                 check=True, capture_output=True, text=True)
            a, b, c = (np.array(Image.open(path).convert("RGB")).astype(int) for path in (ours, theirs, iopaint))
            difference = np.abs(a - b)
            row = {"case": name, "seed": args.seed, "node": ran.stdout.strip(), "max_abs_diff": int(difference.max()),
                   "share_differing": float((difference > 0).mean()),
                   "outside_mask_identical": bool((difference[~mask] == 0).all()),
                   "mean_abs_diff_from_iopaint_in_mask": float(np.abs(a - c)[mask].mean())}
            print(json.dumps(row) if args.json else row, flush=True)


if __name__ == "__main__":
    main()
