"""Quality of a LaMa-family model on held-out photos: inpainting fidelity and how well protection works.

    python benchmarks/demo_quality.py --model demo --json [--grid docs/demo-grid.png]

Inpainting: square masks 24-96 px across on the held-out scikit-image photos;
masked MAE (levels) and SSIM over the mask's box for the model, OpenCV Telea and a
mean-colour fill. Protection: the reference settings (eps 0.025, 20 iterations)
on one region per photo, measured on the re-encoded 8-bit PNG.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.regions import find_regions
from guardpaint.core.evaluation.metrics import masked_mae, ssim
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings, at_maximum_strength
from guardpaint.core.workflow import protect_image
from guardpaint.models import load_model
from guardpaint.models.device import select_device

from data import VALIDATION_IMAGES, load_photo


def square_masks(shape: tuple[int, int], count: int, rng: np.random.Generator) -> list[np.ndarray]:
    masks = []
    for _ in range(count):
        side = int(rng.integers(24, 97))
        top = int(rng.integers(0, shape[0] - side))
        left = int(rng.integers(0, shape[1] - side))
        mask = np.zeros(shape, bool)
        mask[top:top + side, left:left + side] = True
        masks.append(mask)
    return masks


def mean_fill(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    out[mask] = rgb[~mask].mean(axis=0).round().astype(np.uint8)
    return out


def telea(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(rgb, mask.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)


def inpainting_quality(editor: Editor, photos: dict[str, np.ndarray], per_photo: int, seed: int):
    rng = np.random.default_rng(seed)
    scores = {name: {"mae": [], "ssim": []} for name in ("model", "telea", "mean_fill")}
    examples = []
    for photo in photos.values():
        for mask in square_masks(photo.shape[:2], per_photo, rng):
            fills = {"model": editor.inpaint(photo, mask), "telea": telea(photo, mask),
                     "mean_fill": mean_fill(photo, mask)}
            for name, filled in fills.items():
                scores[name]["mae"].append(masked_mae(filled, photo, mask))
                (box,) = [region.box for region in find_regions(mask)]
                scores[name]["ssim"].append(ssim(filled[box.slices], photo[box.slices]))
            examples.append((photo, mask, fills["telea"], fills["model"]))
    summary = {name: {k: float(np.mean(v)) for k, v in s.items()} for name, s in scores.items()}
    summary["model_over_telea_mae"] = summary["model"]["mae"] / summary["telea"]["mae"]
    summary["cases"] = len(examples)
    return summary, examples


def protection_region(shape: tuple[int, int]) -> np.ndarray:
    """A 72 px square a little off-centre: a face- or logo-sized region."""
    mask = np.zeros(shape, bool)
    top, left = shape[0] // 2 - 36, shape[1] // 2 - 20
    mask[top:top + 72, left:left + 72] = True
    return mask


def protection_quality(model, photos: dict[str, np.ndarray], settings: ProtectionSettings):
    rows = {}
    for name, photo in photos.items():
        mask = protection_region(photo.shape[:2])
        start = time.perf_counter()
        outcome = protect_image(model, LoadedImage(photo), mask, settings)
        seconds = time.perf_counter() - start
        report, result = outcome.verification, outcome.result
        mal = report.worst().malicious
        rows[name] = {"seconds": seconds, "psnr": report.psnr, "max_abs_diff": report.max_abs_diff,
                      "malicious_ssim": mal.ssim, "fill_distance_protected": mal.target_distance_protected,
                      "fill_distance_clean": mal.target_distance_original,
                      "distance_ratio": mal.target_distance_protected / max(mal.target_distance_original, 1e-9),
                      "benign_ring_ssim": report.benign_ssim["ring"], "holds": mal.holds,
                      "attack_loss_first": result.history[0].losses["attack"], "best_loss": result.best_loss}
    return rows


def save_grid(examples, path: Path, count: int = 6) -> None:
    """Rows of (input with mask, Telea, model) crops around the mask."""
    tiles = []
    for photo, mask, telea_fill, model_fill in examples[:: max(1, len(examples) // count)][:count]:
        top, left = np.argwhere(mask).min(axis=0)
        bottom, right = np.argwhere(mask).max(axis=0) + 1
        cy, cx = (top + bottom) // 2, (left + right) // 2
        half = 80
        y0 = int(np.clip(cy - half, 0, photo.shape[0] - 2 * half))
        x0 = int(np.clip(cx - half, 0, photo.shape[1] - 2 * half))
        box = (slice(y0, y0 + 2 * half), slice(x0, x0 + 2 * half))
        masked = photo.copy()
        masked[mask] = (255, 255, 255)
        row = [masked[box], telea_fill[box], model_fill[box]]
        tiles.append(np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in row], 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(tiles, 0)).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--masks-per-photo", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-protection", action="store_true")
    parser.add_argument("--grid", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model = load_model(args.model, select_device(args.device))
    load_seconds = time.perf_counter() - start
    photos = {name: load_photo(name) for name in VALIDATION_IMAGES}
    inpainting, examples = inpainting_quality(Editor(model), photos,
                                              args.masks_per_photo, args.seed)
    result = {"model": args.model, "parameters": model.parameter_count, "load_seconds": load_seconds,
              "validation_images": list(VALIDATION_IMAGES), "inpainting": inpainting}
    if not args.skip_protection:
        result["protection"] = protection_quality(model, photos, at_maximum_strength(ProtectionSettings()))
    if args.grid:
        save_grid(examples, args.grid)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
