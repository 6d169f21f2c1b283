"""Hostile and odd files (``hostile.py`` makes them): each one gets the right result, or exit status 2 with
one ``error:`` line, no traceback and no output file, in bounded time and memory; the app shows the same
errors as messages and keeps the user's work."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hostile import dotted_mask, generator_files, image_files, mask_for, weight_files
from PIL import Image

from guardpaint.errors import ModelError
from guardpaint.models import load_model
from guardpaint.models.checkpoint import check_tensor

from conftest import save_tiny_weights

RUNNER = Path(__file__).with_name("hostile.py")
#: What the crafted weights may cost at most, the interpreter and torch included (about 220 MB of it).
WEIGHTS_PEAK_MB = 500
SECONDS = 30

#: Case: the start of the one error line, or None for the right result (exit 0 and an output).
WEIGHT_CASES = {
    "zero-stride big-lama": "reuses its own elements",
    "zero-stride ngf 512": "ngf 512 is beyond any LaMa model",
    "absurd shape": "unexpected channel widths [200000",
    "missing keys": "not a LaMa generator: missing tensor",
    "legacy pickle": "a legacy (before PyTorch 1.6) pickle",
    "zip, not TorchScript": "a zip archive, but not a PyTorch or TorchScript file",
    "zip bomb": "its archive expands to",
    "MI-GAN: zero-stride 512 px": "reuses its own elements",
    "MI-GAN: a side no release has": "not a MI-GAN generator of a known side",
    "MAT: zero-stride 512 px": "reuses its own elements",
    "MAT: a resolution no release has": "not a MAT generator of a known resolution",
}
GENERATOR_CASES = {
    "generator: a text file": "not a noise generator file (too short)",
    "generator: a pickle renamed": "not a noise generator file (header of",
    "generator: a header claiming a gigabyte": "not a noise generator file (header of 1,073,741,824 bytes)",
    "generator: another format": "not a GuardPaint noise generator (format 'x')",
    "generator: an architecture beyond the bounds": "noise generator width 100000 is outside 1-128",
    "generator: 2.9 G parameters within the bounds": "bytes of weights, more than the file's",
    "generator: a tensor of another shape": "tensor stem.0.weight is F32 [4, 8, 5, 5], not F32 [4, 20, 3, 3]",
    "generator: a missing tensor": "its tensors are not this architecture's",
    "generator: offsets past the end": "unreadable tensors",
    "generator: a malformed model list": "its list of models trained against is malformed",
    "valid": None,
}
IMAGE_CASES = {
    "EPS named .png": "a PostScript (EPS) file, not one of the images GuardPaint reads",
    "PSD named .png": "a Photoshop (PSD) file, not one of the images GuardPaint reads",
    "FITS named .png": "a FITS file, not one of the images GuardPaint reads",
    "bomb header, 400 MP": "image is too large to open safely",
    "header over the 64 MP limit": "image is 9000x8000, larger than the 64 MP limit",
    "truncated PNG": "unreadable or truncated image",
    "CMYK JPEG": None,
    "palette PNG": None,
    "grey with alpha (LA)": None,
    "16-bit TIFF": None,
    "animated GIF": None,
    "1 px": "image is 1x1, smaller than 8 px on a side",
    "4000 x 6 px": "image is 4000x6, smaller than 8 px on a side",
}


def _run(commands: list[list[str]]) -> list[dict]:
    done = subprocess.run([sys.executable, str(RUNNER), json.dumps(commands)], capture_output=True, text=True,
                          timeout=SECONDS * len(commands), check=True)
    return json.loads(done.stdout)


def _check(result: dict, expected: str | None, output: Path, case: str) -> None:
    lines = result["stderr"].strip().splitlines()
    assert result["seconds"] < SECONDS, case
    if expected is None:
        assert result["code"] == 0 and output.is_file(), (case, lines)
        return
    assert result["code"] == 2, (case, lines)
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and expected in errors[0], (case, lines)
    assert "Traceback" not in result["stderr"] and not output.exists(), case


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    photo = folder / "photo.png"
    Image.fromarray(np.full((64, 80, 3), 120, np.uint8)).save(photo)
    tiny = save_tiny_weights(folder / "tiny.pth")
    return {"dir": folder, "photo": photo, "mask": mask_for(photo, folder), "tiny": tiny}


def test_crafted_weight_files_are_refused_in_bounded_memory(corpus):
    files = weight_files(corpus["dir"] / "weights")
    assert set(files) == set(WEIGHT_CASES)
    outputs = {case: corpus["dir"] / f"weights-{i}.png" for i, case in enumerate(WEIGHT_CASES)}
    results = _run([["inpaint", str(corpus["photo"]), "--mask", str(corpus["mask"]), "-o", str(outputs[case]),
                     "--model", str(files[case])] for case in WEIGHT_CASES])
    for case, result in zip(WEIGHT_CASES, results, strict=True):
        _check(result, WEIGHT_CASES[case], outputs[case], case)
    assert results[-1]["peak_rss_mb"] < WEIGHTS_PEAK_MB  # the peak of the whole run, every case included


def test_crafted_generator_files_are_refused_in_bounded_memory(corpus):
    tiny = {"name": "tiny.pth", "sha256": load_model(corpus["tiny"], torch.device("cpu")).sha256}
    files = generator_files(corpus["dir"] / "generators", tiny)
    assert set(files) == set(GENERATOR_CASES)
    outputs = {case: corpus["dir"] / f"generator-{i}.png" for i, case in enumerate(GENERATOR_CASES)}
    results = _run([["protect", str(corpus["photo"]), "--mask", str(corpus["mask"]), "-o", str(outputs[case]),
                     "--model", str(corpus["tiny"]), "--generator", str(files[case])]
                    for case in GENERATOR_CASES])
    for case, result in zip(GENERATOR_CASES, results, strict=True):
        _check(result, GENERATOR_CASES[case], outputs[case], case)
    assert results[-1]["peak_rss_mb"] < WEIGHTS_PEAK_MB


def test_hostile_and_odd_images_get_the_right_result_or_one_line(corpus):
    files = image_files(corpus["dir"] / "images")
    assert set(files) == set(IMAGE_CASES)
    outputs = {case: corpus["dir"] / f"image-{i}.png" for i, case in enumerate(IMAGE_CASES)}
    commands = [["inpaint", str(files[case]), "--mask", str(mask_for(files[case], corpus["dir"])), "-o",
                 str(outputs[case]), "--model", str(corpus["tiny"])] for case in IMAGE_CASES]
    image, mask = dotted_mask(corpus["dir"])
    dotted = corpus["dir"] / "dots-out.png"
    seeded = corpus["dir"] / "seed-out.png"
    commands += [["protect", str(image), "--mask", str(mask), "-o", str(dotted), "--model", str(corpus["tiny"]),
                  "--iterations", "1"],
                 ["protect", str(corpus["photo"]), "--mask", str(corpus["mask"]), "-o", str(seeded), "--model",
                  str(corpus["tiny"]), "--iterations", "1", "--seed", "-1", "--level", "robust"]]
    results = _run(commands)
    for case, result in zip(IMAGE_CASES, results[:len(IMAGE_CASES)], strict=True):
        _check(result, IMAGE_CASES[case], outputs[case], case)
    _check(results[-2], "the mask has 2,000 separate parts", dotted, "2,000 dots")
    _check(results[-1], "seed must be from 0 to 4294967295, got -1", seeded, "seed -1")
    notes = {case: [line for line in result["stderr"].splitlines() if line.startswith("warning")]
             for case, result in zip(IMAGE_CASES, results, strict=False)}
    assert notes["animated GIF"] == [] and notes["16-bit TIFF"] == []  # inpaint reports no conversions


def test_a_zero_stride_view_is_caught_before_anything_is_allocated():
    with pytest.raises(ModelError, match="reuses its own elements"):
        check_tensor("w", torch.zeros(1).expand(1024, 1024), "file")
    check_tensor("w", torch.zeros(4, 6)[:, 1:3], "file")  # a slice of a real storage is fine
    check_tensor("w", torch.zeros(3, 5).t(), "file")  # and so is a transposed one


def test_an_ordinary_weight_file_still_loads_and_its_hash_is_of_the_bytes_read(tmp_path):
    import hashlib

    from guardpaint.models.lama_family import load_lama

    path = save_tiny_weights(tmp_path / "tiny.pth")
    model = load_lama(path, torch.device("cpu"))
    assert model.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(b"changed after loading")
    assert model.sha256 != hashlib.sha256(path.read_bytes()).hexdigest()  # names what was loaded, not the file now


def test_the_app_shows_the_same_errors_and_keeps_the_work(qtbot, tmp_path, store, corpus):
    from guardpaint.gui.canvas import PROTECT
    from guardpaint.gui.shell import MainWindow

    window = MainWindow(store)
    window.errors = []
    window.ui.error = window.errors.append
    qtbot.addWidget(window)
    window.set_model(str(corpus["tiny"]))
    assert window.open_image(corpus["photo"])
    painted = np.zeros((64, 80), bool)
    painted[20:40, 30:50] = True
    window.canvas.set_mask(painted)
    images = image_files(tmp_path / "images")
    weights = weight_files(tmp_path / "weights")
    image, dots = dotted_mask(tmp_path)

    assert not window.open_image(images["EPS named .png"])
    assert not window.load_mask_file(images["bomb header, 400 MP"])
    assert not window.models.use_weight_file(str(weights["zero-stride big-lama"]))
    assert window.image_path == corpus["photo"] and (window.canvas.mask(PROTECT) == painted).all()
    assert window.models.specs() == [str(corpus["tiny"])]
    assert window.open_image(image) and window.load_mask_file(dots)
    window.start_protection()
    assert not window.runner.is_busy() and window.canvas.mask(PROTECT).sum() == 2_000 * 9
    expected = ["a PostScript (EPS) file, not one of the images", "image is too large to open safely",
                "tensor model.1.ffc.convl2l.weight reuses its own elements", "the mask has 2,000 separate parts"]
    assert len(window.errors) == len(expected)
    assert all(text in error for text, error in zip(expected, window.errors, strict=True)), window.errors
