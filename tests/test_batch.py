"""guardpaint batch: a folder in, one report per image, nothing partial, resumable."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from guardpaint.cli import main
from guardpaint.core.batch import is_complete
from guardpaint.core.evaluation.report import REPORT_KEYS

from conftest import batch_argv, batch_mask, make_photo


def test_a_mixed_folder_gives_two_outputs_one_skipped_one_failed(batch_folder, capsys):
    assert main(batch_argv(batch_folder, "out", "--json")) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["status"], r["input"]["image"].split("/")[-1]) for r in lines] == [
        ("failed", "a-corrupt.png"), ("skipped", "b-no-mask.png"), ("done", "c-rgba.png"), ("done", "d-grey.jpg")]
    assert all(tuple(r) == REPORT_KEYS for r in lines)
    assert "no mask found" in lines[1]["summary"] and "an unknown kind of file" in lines[0]["summary"]
    out = batch_folder / "out"
    assert sorted(p.name for p in out.iterdir()) == ["c-rgba.png", "d-grey.png"]  # nothing partial
    rgba = np.array(Image.open(out / "c-rgba.png"))
    original = np.array(Image.open(batch_folder / "in" / "c-rgba.png"))
    assert rgba.shape[2] == 4 and (rgba[..., 3] == original[..., 3]).all()
    assert (rgba[:10, :10] == original[:10, :10]).all()  # transparent pixels get no noise
    with Image.open(out / "d-grey.png") as grey:
        assert grey.mode == "L"  # greyscale stays greyscale


def test_a_second_run_rewrites_nothing_and_overwrite_redoes(batch_folder, capsys):
    main(batch_argv(batch_folder, "out"))
    stamps = {p.name: p.stat().st_mtime_ns for p in (batch_folder / "out").iterdir()}
    time.sleep(0.05)
    assert main(batch_argv(batch_folder, "out", "--json")) == 2  # the corrupt input is still bad
    statuses = [json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()]
    assert statuses == ["failed", "skipped", "skipped", "skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in (batch_folder / "out").iterdir()} == stamps
    (batch_folder / "in" / "a-corrupt.png").unlink()
    assert main(batch_argv(batch_folder, "out", "--overwrite")) == 0
    assert all(p.stat().st_mtime_ns > stamps[p.name] for p in (batch_folder / "out").iterdir())


def test_jpeg_output_is_optimised_and_measured_as_jpeg(batch_folder, capsys):
    (batch_folder / "in" / "a-corrupt.png").unlink()
    (batch_folder / "in" / "c-rgba.png").unlink()  # JPEG cannot store its transparency
    assert main(batch_argv(batch_folder, "out", "--format", "jpeg", "--quality", "80", "--json")) == 0
    (report,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"done"' in line]
    assert report["output"] == {**report["output"], "format": "jpeg", "quality": 80}
    assert report["settings"]["jpeg_quality"] == 80 and (batch_folder / "out" / "d-grey.jpg").is_file()


def test_an_interrupted_batch_resumes(batch_folder):
    for index in range(6):  # more images, so the interrupt lands mid-batch
        Image.fromarray(make_photo(64, 80, seed=10 + index)).save(batch_folder / "in" / f"e{index}.png")
        batch_mask(64, 80).save(batch_folder / "masks" / f"e{index}.png")
    (batch_folder / "in" / "a-corrupt.png").unlink()
    argv = [sys.executable, "-m", "guardpaint", *batch_argv(batch_folder, "out")[:-1]]
    argv[argv.index("2")] = "40"  # iterations: slow enough to interrupt
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not any(p.suffix == ".png" for p in (batch_folder / "out").iterdir()) and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    written = sorted(p.name for p in (batch_folder / "out").iterdir())
    assert process.returncode == 130 and "stopping after the current image" in err
    assert 1 <= len(written) < 8 and not any(name.startswith(".") for name in written)  # no temporary file
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and len(list((batch_folder / "out").iterdir())) == 8
    assert f"{8 - len(written)} written" in done.stderr


def test_bad_folders_are_one_line_errors(batch_folder, capsys):
    assert main(["batch", str(batch_folder / "nope"), "-o", str(batch_folder / "out")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    (batch_folder / "a-file").write_bytes(b"")
    assert main(["batch", str(batch_folder / "in"), "-o", str(batch_folder / "a-file")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main([*batch_argv(batch_folder, "out"), "--quality", "80"]) == 2
    assert os.listdir(batch_folder / "out") == []


def test_an_output_folder_that_is_the_input_folder_never_replaces_an_input(batch_folder, capsys):
    src = batch_folder / "in"
    Image.fromarray(make_photo(64, 80, seed=7)).save(src / "x.jpg", quality=95)
    Image.fromarray(make_photo(64, 80, seed=8)).save(src / "x.png")
    batch_mask(64, 80).save(src / "x.mask.png")
    before = (src / "x.png").read_bytes()
    argv = ["batch", str(src), "-o", str(src), "--model", str(batch_folder / "tiny.pth"), "--iterations", "1",
            "--quiet", "--overwrite", "--json"]
    assert main(argv) == 2
    reports = {json.loads(line)["input"]["image"].split("/")[-1]: json.loads(line)
               for line in capsys.readouterr().out.splitlines()}
    assert reports["x.jpg"]["status"] == reports["x.png"]["status"] == "failed"
    assert "would replace an input" in reports["x.jpg"]["summary"]
    assert (src / "x.png").read_bytes() == before


def test_a_missing_output_folder_is_created_and_the_summary_counts_what_holds(batch_folder, capsys):
    out = batch_folder / "new" / "protected"
    argv = ["batch", str(batch_folder / "in"), "--masks", str(batch_folder / "masks"), "-o", str(out), "--model",
            str(batch_folder / "tiny.pth"), "--iterations", "1", "--quiet"]
    assert main(argv) == 2  # a-corrupt fails; the others are written into the new folder
    assert sorted(p.name for p in out.iterdir()) == ["c-rgba.png", "d-grey.png"]
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert summary.startswith("2 written (0 protected, 2 not holding), 1 skipped, 1 failed, of 4 images")


def test_the_summary_never_calls_a_protection_that_does_not_hold_protected():
    from guardpaint.core.batch import BatchTally

    tally = BatchTally()
    for held in (True, False, True):
        tally.add({"status": "done", "protected": held})
    assert tally.summary(3) == "3 written (2 protected, 1 not holding), 0 skipped, 0 failed, of 3 images"
    skipped = BatchTally()
    skipped.add({"status": "skipped"})
    assert skipped.summary() == "0 written (none), 1 skipped, 0 failed, of 1 image"


def test_a_partial_output_is_redone_and_a_complete_one_skipped(batch_folder, capsys):
    out = batch_folder / "out"
    (out / "c-rgba.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")  # an interrupted write of another tool
    assert main(batch_argv(batch_folder, "out", "--json")) == 2
    reports = {json.loads(line)["input"]["image"].split("/")[-1]: json.loads(line)
               for line in capsys.readouterr().out.splitlines()}
    assert reports["c-rgba.png"]["status"] == "done" and is_complete(out / "c-rgba.png")


def test_a_batch_that_is_all_done_says_so_without_loading_a_model(batch_folder, capsys, monkeypatch):
    argv = [arg for arg in batch_argv(batch_folder, "out") if arg != "--json"]
    main(argv)  # the first run writes what it can (one image is corrupt, one has no mask)
    capsys.readouterr()
    corrupt = batch_folder / "in" / "a-corrupt.png"
    corrupt.unlink()  # every image with a mask is now done

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("guardpaint.cli.batch.load_models_for", no_loading)
    started = time.monotonic()
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "nothing to do: every image with a mask is already protected" in err and time.monotonic() - started < 10
    assert "0 written (none), 3 skipped, 0 failed, of 3 images" in err


def test_a_batch_with_the_demo_model_says_so_first_and_in_its_tally(batch_folder, capsys):
    argv = [arg for arg in batch_argv(batch_folder, "out") if not arg.startswith("--model") and
            not arg.endswith(".pth")]
    main([*argv, "--iterations", "1"])
    err = capsys.readouterr().err.splitlines()
    warning = next(i for i, line in enumerate(err) if line.startswith("warning: Made with the demo model"))
    assert warning <= 1 and "made with the demo model, which no noise can move" in err[-1]
