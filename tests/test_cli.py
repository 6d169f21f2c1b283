"""The command-line contract: outputs, JSON, exit codes, and bad input that leaves nothing behind."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

from guardpaint.cli import main
from guardpaint.cli.main import build_parser

from high_gain import HighGainInpainter


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_protect_writes_png_and_one_json_object(case, capsys, photo):
    out = case["dir"] / "protected.png"
    code, stdout, _ = run(capsys, "protect", case["image"], "--mask", case["mask"], "-o", out,
                          "--model", case["model"], "--iterations", 3, "--device", "cpu", "--seed", 7, "--json")
    assert code == 0
    report = json.loads(stdout)
    written = np.array(Image.open(out))
    assert written.shape == photo.shape
    assert np.abs(written.astype(int) - photo).max() <= 7
    assert report["imperceptibility"]["max_abs_diff"] == np.abs(written.astype(int) - photo).max()
    assert report["imperceptibility"]["psnr"] >= 32
    assert len(report["settings"]) and report["settings"]["seed"] == 7
    assert [e["editor"] for e in report["edits"]] == ["iopaint", "comfyui"]  # the default editors
    (region,) = report["edits"][0]["regions"]
    assert set(region) >= {"region", "ssim", "psnr", "target_distance_protected", "holds", "ring_ssim"}
    assert report["protected"] is all(e["holds"] for e in report["edits"]) is report["regions"][0]["holds"]
    assert report["schema"] == "guardpaint-report/4"
    assert report["provenance"]["models"][0]["name"] == "tiny.pth"


def test_inpaint_then_verify(case, capsys):
    edited = case["dir"] / "edited.png"
    code, _, _ = run(capsys, "inpaint", case["image"], "--mask", case["mask"], "-o", edited, "--model",
                     case["model"])
    assert code == 0 and edited.is_file()
    code, stdout, _ = run(capsys, "verify", case["image"], case["image"], "--mask", case["mask"],
                          "--model", case["model"], "--json")
    report = json.loads(stdout)
    assert code == 0 and report["imperceptibility"]["max_abs_diff"] == 0 and report["imperceptibility"]["psnr"] is None
    assert report["edits"][0]["regions"][0]["ssim"] == pytest.approx(1.0)


def test_protect_robust_level(case, capsys):
    out = case["dir"] / "robust.png"
    code, stdout, _ = run(capsys, "protect", case["image"], "--mask", case["mask"], "-o", out, "--model",
                          case["model"], "--iterations", 2, "--level", "robust", "--json")
    report = json.loads(stdout)
    assert code == 0 and out.is_file() and report["settings"]["level"] == "robust"
    assert report["optimisation"]["final_losses"]["robust"] > 0
    code, _, err = run(capsys, "protect", case["image"], "--mask", case["mask"], "-o", out, "--level", "max")
    assert code == 2 and "error:" in err


def test_verify_suite_reports_every_group(case, capsys):
    code, stdout, _ = run(capsys, "verify", case["image"], case["image"], "--mask", case["mask"],
                          "--model", case["model"], "--suite", "--json")
    (suite,) = json.loads(stdout)["suite"]
    assert code == 0 and set(suite["held"]) == {"mask", "pipeline", "transform", "purification", "all"}
    names = {c["name"] for c in suite["cases"]}
    assert names >= {"exact", "IOPaint (crop)", "ComfyUI", "JPEG at 90", "AdverseCleaner", "shifted 7 px"}
    cleaner = next(c for c in suite["cases"] if c["name"] == "AdverseCleaner")
    assert cleaner["group"] == "purification" and cleaner["params"]["bilateral"] == [64, 5, 8.0]
    code, stdout, _ = run(capsys, "verify", case["image"], case["image"], "--mask", case["mask"],
                          "--model", case["model"], "--suite")
    assert code == 0 and "attacker suite (tiny.pth):" in stdout and "held: mask 0%" in stdout


def test_models_list_and_path(capsys):
    code, stdout, _ = run(capsys, "models", "list")
    assert code == 0 and "big-lama" in stdout and "demo" in stdout
    code, stdout, err = run(capsys, "models", "path", "big-lama")
    assert code == 2 and not stdout and "not installed" in err and "models download big-lama" in err
    code, stdout, _ = run(capsys, "models", "path", "demo")
    assert code == 0 and stdout.strip().endswith("demo-lama.safetensors")


def _bad_cases(case):
    d = case["dir"]
    Image.new("L", (10, 10)).save(d / "small-mask.png")
    Image.new("L", (80, 64)).save(d / "empty-mask.png")
    Image.new("L", (80, 64), 255).save(d / "full-mask.png")
    (d / "corrupt.pth").write_bytes(b"\x80\x04garbage")
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    img, mask, model = case["image"], case["mask"], case["model"]
    return {
        "missing image": ["protect", d / "nope.png", "--mask", mask],
        "broken image": ["protect", d / "broken.png", "--mask", mask],
        "mask size": ["protect", img, "--mask", d / "small-mask.png"],
        "empty mask": ["protect", img, "--mask", d / "empty-mask.png"],
        "full mask": ["protect", img, "--mask", d / "full-mask.png"],
        "unknown output format": ["protect", img, "--mask", mask, "--model", model, "-o", d / "out.gif"],
        "quality for png": ["protect", img, "--mask", mask, "--model", model, "--quality", 80],
        "corrupt weights": ["protect", img, "--mask", mask, "--model", d / "corrupt.pth"],
        "unknown model": ["protect", img, "--mask", mask, "--model", "no-such-model"],
        "not downloaded": ["protect", img, "--mask", mask, "--model", "big-lama"],
        "bad device": ["protect", img, "--mask", mask, "--model", model, "--device", "tpu"],
        "no cuda": ["protect", img, "--mask", mask, "--model", model, "--device", "cuda"],
        "zero iterations": ["protect", img, "--mask", mask, "--model", model, "--iterations", 0],
        "bad strength": ["protect", img, "--mask", mask, "--model", model, "--strength", "-1"],
        "not a number": ["protect", img, "--mask", mask, "--model", model, "--iterations", "many"],
        "missing mask option": ["protect", img],
        "inpaint bad mask": ["inpaint", img, "--mask", d / "small-mask.png", "--model", model],
        "verify size mismatch": ["verify", img, d / "small-mask.png", "--mask", mask, "--model", model],
        "unknown download": ["models", "download", "nothing"],
    }


def test_every_bad_input_exits_2_with_one_line_and_no_file(case, capsys):
    for name, argv in _bad_cases(case).items():
        out = case["dir"] / "out.png"
        if "-o" not in argv:
            argv = [*argv, "-o", out] if argv[0] in ("protect", "inpaint") else argv
        code, _, stderr = run(capsys, *argv)
        assert code == 2, (name, stderr)
        errors = [line for line in stderr.strip().splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and stderr.strip().endswith(errors[0]), (name, stderr)  # after a status line or two
        assert "Traceback" not in stderr
        assert not out.exists(), name
        assert not list(case["dir"].glob("*.part")), name


def test_require_protected_exit_status(case, capsys, monkeypatch):
    argv = ["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(case["dir"] / "o.png"),
            "--model", str(case["model"]), "--iterations", "2", "--require-protected", "--overwrite"]
    assert main(argv) == 3 and (case["dir"] / "o.png").is_file()  # the file is still written; the status says it
    assert main([a for a in argv if a != "--require-protected"]) == 0
    monkeypatch.setattr("guardpaint.models.load_model", lambda spec, device: HighGainInpainter())
    assert main([*argv[:-2], "--iterations", "20", "--against", "iopaint", "--require-protected", "--overwrite"]) == 0
    capsys.readouterr()


def test_python_dash_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "guardpaint", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("guardpaint ")


def test_the_app_without_its_system_libraries_is_one_line_and_exit_2(monkeypatch, capsys):
    from guardpaint.cli import gui_launch

    monkeypatch.setattr(gui_launch.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(gui_launch, "missing_libraries", lambda plugin: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"])
    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sudo apt install libxcb-cursor0 libxcb-icccm4" in err[0]
    monkeypatch.delenv("DISPLAY")
    assert main([]) == 2 and "DISPLAY is not set" in capsys.readouterr().err


def test_help_says_the_bare_command_opens_the_app(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "without arguments to open the desktop app" in out.replace("\n", " ")


def test_help_answers_without_importing_torch():
    probe = ("import sys\nfrom guardpaint.cli.main import main\n"
             "code = main(['--help'])\nprint(code, 'torch' in sys.modules, 'PySide6' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "0 False False"


def test_the_exit_statuses_include_130():
    assert "130 interrupted" in " ".join(build_parser().epilog.split())


def test_out_of_memory_is_one_message_on_every_torch():
    from guardpaint.gui.work import describe_failure
    from guardpaint.models.device import out_of_memory_message

    old_style = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")  # torch < 2.5
    host = RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                        "you tried to allocate 10000000000000 bytes. Error code 12 (Cannot allocate memory)")
    assert out_of_memory_message(old_style).startswith("out of memory on the GPU: try a smaller region")
    assert "the CPU (--device cpu" in out_of_memory_message(old_style)
    assert out_of_memory_message(host) == out_of_memory_message(MemoryError())
    assert out_of_memory_message(host).startswith("out of memory on this computer") and "memory saving" in \
        out_of_memory_message(host) and "--device cpu" not in out_of_memory_message(host)
    if hasattr(torch, "OutOfMemoryError"):
        assert out_of_memory_message(torch.OutOfMemoryError("boom")) is not None
    assert describe_failure(old_style).startswith("Out of memory")
    assert out_of_memory_message(RuntimeError("shape mismatch")) is None


@pytest.mark.skipif(sys.platform != "linux", reason="the address-space limit is Linux's")
def test_torchs_own_allocation_failure_is_one_line_and_status_2(case, tmp_path):
    """The address space limited, as ``ulimit -v`` does: torch's CPU allocator fails for real."""
    import resource

    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((2400, 2400, 3), np.uint8) + 90).save(big)
    mask = np.zeros((2400, 2400), np.uint8)
    mask[1000:1400, 1000:1400] = 255
    Image.fromarray(mask).save(tmp_path / "big.mask.png")

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3_000_000_000, 3_000_000_000))

    argv = ["protect", str(big), "--mask", str(tmp_path / "big.mask.png"), "-o", str(tmp_path / "out.png"), "--model",
            str(case["model"]), "--against", "iopaint:full", "--iterations", "1", "--device", "cpu"]
    done = subprocess.run([sys.executable, "-m", "guardpaint", *argv], capture_output=True, text=True,
                          preexec_fn=limited, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("error: out of memory on this computer: try a smaller")
    assert not (tmp_path / "out.png").exists()


def test_against_takes_editors_older_names_and_says_which_is_unknown(case, capsys):
    out = case["dir"] / "p.png"
    code, stdout, _ = run(capsys, "protect", case["image"], "--mask", case["mask"], "-o", out, "--model",
                          case["model"], "--iterations", 1, "--against", "auto,comfyui", "--json")
    report = json.loads(stdout)
    assert code == 0 and report["settings"]["editors"] == ["iopaint", "comfyui"]
    assert [e["editor"] for e in report["edits"]] == ["iopaint", "comfyui"]
    code, _, err = run(capsys, "protect", case["image"], "--mask", case["mask"], "-o", case["dir"] / "q.png",
                       "--against", "iopaint,gimp")
    assert code == 2 and "unknown editor 'gimp'" in err and len(err.strip().splitlines()) <= 2
    assert not (case["dir"] / "q.png").exists()


def test_inpaint_makes_each_editors_edit_and_verify_judges_under_several(case, capsys):
    outputs = {}
    for editor in ("comfyui", "lama-512-resize"):
        outputs[editor] = case["dir"] / f"{editor}.png"
        code, stdout, _ = run(capsys, "inpaint", case["image"], "--mask", case["mask"], "-o", outputs[editor],
                              "--model", case["model"], "--editor", editor)
        assert code == 0 and outputs[editor].is_file()
    assert (np.array(Image.open(outputs["comfyui"])) != np.array(Image.open(outputs["lama-512-resize"]))).any()
    code, stdout, _ = run(capsys, "verify", case["image"], case["image"], "--mask", case["mask"], "--model",
                          case["model"], "--editor", "iopaint,comfyui", "--json")
    report = json.loads(stdout)
    assert code == 0 and [e["editor"] for e in report["edits"]] == ["iopaint", "comfyui"]
    code, stdout, _ = run(capsys, "verify", case["image"], case["image"], "--mask", case["mask"], "--model",
                          case["model"], "--pipeline", "crop", "--json")  # the older name of IOPaint's strategies
    assert code == 0 and [e["editor"] for e in json.loads(stdout)["edits"]] == ["iopaint:crop"]


def test_mps_is_not_offered_and_says_why(case, capsys):
    from guardpaint.models.device import available_devices

    assert "mps" not in available_devices()
    code, _, err = run(capsys, "protect", case["image"], "--mask", case["mask"], "-o", case["dir"] / "m.png",
                       "--model", case["model"], "--device", "mps")
    assert code == 2 and "MPS is not offered" in err and "IOPaint runs LaMa on the CPU on a Mac" in err


def test_protect_shows_progress_in_a_log_from_its_first_seconds(case, tmp_path):
    """Standard error redirected to a file (no terminal): a line when the model loads, then progress lines
    with the time left, while the protection runs."""
    log = tmp_path / "log.txt"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "guardpaint", "protect", str(case["image"]), "--mask",
                                    str(case["mask"]), "-o", str(tmp_path / "out.png"), "--model", str(case["model"]),
                                    "--iterations", "40", "--against", "iopaint", "--device", "cpu"],
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        started, lines = time.monotonic(), []
        while time.monotonic() - started < 10 and not any(line.startswith("step 1: 1/40 it") for line in lines):
            time.sleep(0.2)
            lines = log.read_text().splitlines()
        process.wait(timeout=300)
    assert lines[0].startswith("loading ") and any(line.startswith("step 1: 1/40 it") for line in lines)
    assert process.returncode == 0 and any(", ETA " in line for line in log.read_text().splitlines())
