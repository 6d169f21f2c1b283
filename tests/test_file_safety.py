"""Never lose work: no output over an input, ordinary file modes, and bad destinations found up front."""
import os
import stat
import time

import numpy as np
import pytest

from guardpaint.cli import main
from guardpaint.core.io.files import check_output, write_atomic
from guardpaint.core.io.formats import encode_image
from guardpaint.core.io.images import save_mask
from guardpaint.errors import InputError, OutOfSpace


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def _protect(case, output, *extra):
    return main(["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(output), "--model",
                 str(case["model"]), "--iterations", "1", "--device", "cpu", *extra])


def _refused(case, command, output, capsys, *extra) -> str:
    """``command`` (protect or inpaint) of the case into ``output``: status 2 and its one error line."""
    argv = [command, str(case["image"]), "--mask", str(case["mask"]), "-o", str(output), "--model",
            str(case["model"]), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    return err[0]


@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink"])
def test_output_over_the_input_is_refused_and_the_input_kept(case, capsys, spelling):
    before = case["image"].read_bytes()
    if spelling == "same":
        output = case["image"]
    elif spelling == "dotdot":
        output = case["dir"] / "sub" / ".." / "photo.png"
        (case["dir"] / "sub").mkdir()
    else:
        output = case["dir"] / "link.png"
        output.symlink_to(case["image"])
    for command in ("protect", "inpaint"):
        for extra in ((), ("--overwrite",)):  # never over the original, even when asked to overwrite
            err = _refused(case, command, output, capsys, *extra)
            assert "is the input file" in err and "never writes over its input" in err
            assert case["image"].read_bytes() == before


def test_an_existing_output_is_replaced_only_with_overwrite(case, capsys):
    out = case["dir"] / "out.png"
    out.write_bytes(b"an earlier export")
    for command in ("protect", "inpaint"):
        err = _refused(case, command, out, capsys)
        assert "already exists" in err and "--overwrite" in err
        assert out.read_bytes() == b"an earlier export"
    assert _protect(case, out, "--overwrite") == 0 and out.read_bytes() != b"an earlier export"


@pytest.mark.parametrize("command", ["protect", "inpaint", "batch"])
def test_help_states_the_one_overwrite_rule(command, capsys):
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "without it protect and inpaint stop with status 2 and batch skips the image" in text


def test_outputs_get_the_mode_an_ordinary_write_gives(case, umask_022):
    out = case["dir"] / "out.png"
    assert _protect(case, out) == 0 and _mode(out) == 0o644
    edited = case["dir"] / "edited.png"
    assert main(["inpaint", str(case["image"]), "--mask", str(case["mask"]), "-o", str(edited), "--model",
                 str(case["model"])]) == 0
    assert _mode(edited) == 0o644
    os.umask(0o077)
    save_mask(case["dir"] / "private-mask.png", np.ones((4, 4), bool))
    assert _mode(case["dir"] / "private-mask.png") == 0o600
    existing = case["dir"] / "existing.png"
    existing.write_bytes(b"")
    existing.chmod(0o640)
    write_atomic(existing, encode_image(np.zeros((8, 8, 3), np.uint8)))  # replacing a file keeps its mode
    assert _mode(existing) == 0o640


def test_without_fchmod_the_mode_is_set_by_path_as_on_windows(tmp_path, umask_022, monkeypatch):
    """Windows before Python 3.13 has no os.fchmod: the fallback gives the same ordinary mode."""
    import guardpaint.osfiles as osfiles

    monkeypatch.delattr(osfiles.os, "fchmod")
    monkeypatch.setattr("builtins.open", _no_proc(open))  # no /proc either: the umask comes from os.umask
    out = write_atomic(tmp_path / "out.png", encode_image(np.zeros((8, 8, 3), np.uint8)))
    assert _mode(out) == 0o644 and osfiles.current_umask() == 0o022


def _no_proc(real_open):
    def fake(path, *args, **kwargs):
        if str(path).startswith("/proc/"):
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    return fake


def test_a_missing_output_folder_fails_in_seconds(case, capsys):
    start = time.perf_counter()
    code = _protect(case, case["dir"] / "no-such-folder" / "out.png", "--iterations", "500")
    assert code == 2 and time.perf_counter() - start < 10
    assert "does not exist" in capsys.readouterr().err


def test_unwritable_folder_and_full_disk_are_found_before_any_work(tmp_path):
    with pytest.raises(InputError, match="cannot write"):
        check_output("/proc/out.png")  # no one, not even root, creates files there
    with pytest.raises(InputError, match="not enough free space"):
        check_output(tmp_path / "out.png", needed_bytes=10**18)
    with pytest.raises(InputError, match="is a folder"):
        check_output(tmp_path)


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OutOfSpace, match=r"no room to write it .* nothing was written under this name"):
        write_atomic(tmp_path / "out.png", b"data")
    assert list(tmp_path.iterdir()) == []

    def other(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", other)
    with pytest.raises(OSError, match="Input/output"):  # not a full disk: not said to be one
        write_atomic(tmp_path / "out.png", b"data")
    assert list(tmp_path.iterdir()) == []
