"""A corpus of hostile and odd input files, generated on the spot (nothing downloaded), and a runner that
feeds command lines to ``guardpaint`` in a fresh process and reports each one's exit status, stderr,
time and the process's peak memory so far.

    python tests/hostile.py '[["inpaint", "photo.png", "--mask", ...], ...]'
"""
from __future__ import annotations

import contextlib
import io
import json
import pickle
import resource
import struct
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from guardpaint.models.lama import FFCResNetGenerator, LamaConfig
from guardpaint.models.mat import MatConfig, MatGenerator
from guardpaint.models.migan import MiganGenerator
from guardpaint.models.noise_generator import GeneratorConfig, NoiseGenerator, NoiseNetwork

from conftest import make_photo, make_tiny_generator


def _zero_stride(generator: Callable[[], torch.nn.Module]) -> dict[str, torch.Tensor]:
    """Every tensor of the generator ``generator()`` makes as a view of one element: gigabytes declared in bytes."""
    with torch.device("meta"):
        shapes = {name: tensor.shape for name, tensor in generator().state_dict().items()}
    return {name: torch.zeros(1).expand(shape) if len(shape) else torch.zeros(()) for name, shape in shapes.items()}


def weight_files(folder: Path) -> dict[str, Path]:
    """Crafted weight files by case name."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / f"{name}.pth" for name in ("zero-stride big-lama", "zero-stride ngf 512",
                                                         "absurd shape", "missing keys", "legacy pickle")}
    torch.save(_zero_stride(lambda: FFCResNetGenerator(LamaConfig())), files["zero-stride big-lama"])
    torch.save(_zero_stride(lambda: FFCResNetGenerator(LamaConfig(ngf=512, max_features=4096))),
               files["zero-stride ngf 512"])
    files["MI-GAN: zero-stride 512 px"] = folder / "migan-zero-stride.pth"
    torch.save(_zero_stride(lambda: MiganGenerator(512)), files["MI-GAN: zero-stride 512 px"])
    files["MI-GAN: a side no release has"] = side = folder / "migan-side.pth"
    torch.save({"synthesis.b4.torgb.weight": torch.zeros(3, 512, 1, 1),
                "encoder.b65536.fromrgb.weight": torch.zeros(1).expand(1, 4, 1, 1)}, side)
    files["MAT: zero-stride 512 px"] = folder / "mat-zero-stride.pth"
    torch.save(_zero_stride(lambda: MatGenerator(MatConfig())), files["MAT: zero-stride 512 px"])
    files["MAT: a resolution no release has"] = resolution = folder / "mat-resolution.pth"
    torch.save({"synthesis.first_stage.conv_first.conv.resample_filter": torch.zeros(4, 4),
                "synthesis.enc.EncConv_Block_65536x65536.conv1.weight": torch.zeros(1).expand(64, 64, 3, 3)},
               resolution)
    state = make_tiny_generator().state_dict()
    torch.save({**state, "model.1.ffc.convl2l.weight": torch.zeros(1).expand(200_000, 4, 7, 7)}, files["absurd shape"])
    torch.save({k: v for k, v in state.items() if "model.5" not in k}, files["missing keys"])
    files["legacy pickle"].write_bytes(pickle.dumps({"model.1.ffc.convl2l.weight": [0.0] * 10}, protocol=2))
    files["zip, not TorchScript"] = folder / "archive.pt"
    with zipfile.ZipFile(files["zip, not TorchScript"], "w") as archive:
        archive.writestr("readme.txt", "a zip archive, not a model")
    files["zip bomb"] = folder / "bomb.pt"
    with zipfile.ZipFile(files["zip bomb"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * (64 << 20))
    return files


def _safetensors(path: Path, header: dict, body: bytes = b"") -> Path:
    """A safetensors file of ``header`` (JSON) over ``body``, whatever the header claims."""
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + body)
    return path


def generator_files(folder: Path, trained_against: dict) -> dict[str, Path]:
    """Crafted noise generator files by case name, and ``"valid"``: a real one trained (nominally) against
    ``trained_against`` (``{"name", "sha256"}``)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    valid = folder / "valid.safetensors"
    valid.write_bytes(NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)), [trained_against]).to_bytes())
    data = valid.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header, body = json.loads(data[8:8 + length]), data[8 + length:]
    meta = header["__metadata__"]
    files = {"valid": valid}
    files["generator: a text file"] = folder / "text.safetensors"
    files["generator: a text file"].write_text("hello")
    files["generator: a pickle renamed"] = folder / "pickle.safetensors"
    files["generator: a pickle renamed"].write_bytes(pickle.dumps({"stem.0.weight": [0.0] * 10}, protocol=4))
    files["generator: a header claiming a gigabyte"] = folder / "big-header.safetensors"
    files["generator: a header claiming a gigabyte"].write_bytes(struct.pack("<Q", 1 << 30) + b"{}")
    files["generator: another format"] = _safetensors(folder / "format.safetensors", {"__metadata__": {"format": "x"}})
    files["generator: an architecture beyond the bounds"] = _safetensors(
        folder / "wide.safetensors", {"__metadata__": {**meta, "architecture": json.dumps(
            {"width": 100000, "depth": 3, "blocks": 2})}})
    files["generator: 2.9 G parameters within the bounds"] = _safetensors(
        folder / "huge.safetensors", {"__metadata__": {**meta, "architecture": json.dumps(
            {"width": 128, "depth": 5, "blocks": 8})}}, body)
    stem = header["stem.0.weight"]
    files["generator: a tensor of another shape"] = _safetensors(
        folder / "shape.safetensors", {**header, "stem.0.weight": {**stem, "shape": [4, 8, 5, 5]}}, body)
    files["generator: a missing tensor"] = _safetensors(
        folder / "missing.safetensors", {k: v for k, v in header.items() if k != "head.bias"}, body)
    files["generator: offsets past the end"] = _safetensors(
        folder / "offsets.safetensors", {**header, "stem.0.weight": {**stem, "data_offsets": [0, 1 << 30]}}, body)
    files["generator: a malformed model list"] = _safetensors(
        folder / "models.safetensors", {**header, "__metadata__": {**meta, "trained_against": "[1]"}}, body)
    return files


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header declares ``width`` x ``height`` over almost no data (a decompression bomb's start)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def image_files(folder: Path) -> dict[str, Path]:
    """Images a user may open, hostile or just odd, by case name (``.png`` names lie on purpose)."""
    folder.mkdir(parents=True, exist_ok=True)
    photo = make_photo(64, 80)
    files: dict[str, Path] = {}

    def save(name: str, filename: str, image: Image.Image, **options) -> None:
        files[name] = folder / filename
        image.save(files[name], **options)

    files["EPS named .png"] = folder / "eps.png"
    files["EPS named .png"].write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 80 64\nshowpage\n%%EOF\n")
    files["PSD named .png"] = folder / "psd.png"
    files["PSD named .png"].write_bytes(b"8BPS\x00\x01" + b"\x00" * 6 + struct.pack(">HIIHH", 3, 64, 80, 8, 3))
    files["FITS named .png"] = folder / "fits.png"
    files["FITS named .png"].write_bytes(b"SIMPLE  =                    T".ljust(2880, b" "))
    files["bomb header, 400 MP"] = folder / "bomb.png"
    _png_header_only(files["bomb header, 400 MP"], 20_000, 20_000)
    files["header over the 64 MP limit"] = folder / "big.png"
    _png_header_only(files["header over the 64 MP limit"], 9_000, 8_000)
    files["truncated PNG"] = folder / "truncated.png"
    Image.fromarray(photo).save(files["truncated PNG"])
    files["truncated PNG"].write_bytes(files["truncated PNG"].read_bytes()[:300])
    save("CMYK JPEG", "cmyk.jpg", Image.fromarray(photo).convert("CMYK"), quality=95)
    save("palette PNG", "palette.png", Image.fromarray(photo).convert("P"))
    grey_alpha = np.dstack([photo[..., 0], np.full(photo.shape[:2], 200, np.uint8)])
    save("grey with alpha (LA)", "la.png", Image.fromarray(grey_alpha, "LA"))
    save("16-bit TIFF", "deep.tif", Image.fromarray(photo[..., 1].astype(np.uint16) * 257))
    frames = [Image.fromarray(np.roll(photo, shift, axis=1)).convert("P") for shift in (0, 10, 20)]
    save("animated GIF", "animated.gif", frames[0], save_all=True, append_images=frames[1:])
    save("1 px", "one.png", Image.fromarray(photo[:1, :1]))
    save("4000 x 6 px", "strip.png", Image.fromarray(np.resize(photo, (6, 4000, 3))))
    return files


def mask_for(path: Path, folder: Path) -> Path:
    """A valid mask of the image's size when it can be read, else of the usual test size."""
    try:
        with Image.open(path, formats=["PNG", "JPEG", "TIFF", "GIF"]) as img:  # never the hostile decoders
            width, height = img.size
    except Exception:  # noqa: BLE001 - hostile files: any failure means the fallback size
        width, height = 80, 64
    width, height = (width, height) if width * height <= 64_000_000 else (80, 64)
    mask = np.zeros((height, width), np.uint8)
    mask[height // 4: max(height // 4 + 1, height // 2), width // 4: max(width // 4 + 1, width // 2)] = 255
    target = folder / f"{path.stem}-mask.png"
    Image.fromarray(mask).save(target)
    return target


def dotted_mask(folder: Path, dots: int = 2_000) -> tuple[Path, Path]:
    """A 1600 x 1200 photo and a mask of ``dots`` separate 3 px dots."""
    image, mask_path = folder / "dots-photo.png", folder / "dots-mask.png"
    Image.fromarray(make_photo(1200, 1600, seed=1)).save(image)
    mask = np.zeros((1200, 1600), np.uint8)
    for index in range(dots):  # a grid, 30 px apart: every dot its own part
        y, x = divmod(index, 50)
        mask[15 + 30 * y:18 + 30 * y, 15 + 30 * x:18 + 30 * x] = 255
    Image.fromarray(mask).save(mask_path)
    return image, mask_path


def peak_rss_mb() -> float:
    """This process's peak resident memory: the kernel's high-water mark of its memory since it started
    (``ru_maxrss`` would count the parent's memory at the fork, too)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(commands: list[list[str]]) -> list[dict]:
    """Run each command line of ``guardpaint`` in this process; what each did."""
    from guardpaint.cli import main

    results = []
    for argv in commands:
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        results.append({"argv": argv, "code": code, "stderr": err.getvalue(), "seconds": time.perf_counter() - start,
                        "peak_rss_mb": peak_rss_mb()})
    return results


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
