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
from guardpaint.errors import InputError

from conftest import write_case


@pytest.fixture
def files(tmp_path, photo, mask):
    return write_case(tmp_path, photo, mask)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def _protect(files, output, *extra):
    return main(["protect", str(files["image"]), "--mask", str(files["mask"]), "-o", str(output), "--model",
                 str(files["model"]), "--iterations", "1", "--device", "cpu", *extra])


def _refused(files, command, output, capsys) -> str:
    """``command`` (protect or inpaint) of the case into ``output``: status 2 and its one error line."""
    argv = [command, str(files["image"]), "--mask", str(files["mask"]), "-o", str(output), "--model",
            str(files["model"])]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    return err[0]


@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink"])
def test_output_over_the_input_is_refused_and_the_input_kept(files, capsys, spelling):
    before = files["image"].read_bytes()
    if spelling == "same":
        output = files["image"]
    elif spelling == "dotdot":
        output = files["dir"] / "sub" / ".." / "photo.png"
        (files["dir"] / "sub").mkdir()
    else:
        output = files["dir"] / "link.png"
        output.symlink_to(files["image"])
    for command in ("protect", "inpaint"):
        err = _refused(files, command, output, capsys)
        assert "is the input file" in err and "--overwrite" in err
        assert files["image"].read_bytes() == before
    assert _protect(files, output, "--overwrite") == 0  # asked for explicitly: the path now holds the output
    assert output.read_bytes() != before and not output.is_symlink()


def test_an_existing_output_is_replaced_only_with_overwrite(files, capsys):
    out = files["dir"] / "out.png"
    out.write_bytes(b"an earlier export")
    for command in ("protect", "inpaint"):
        err = _refused(files, command, out, capsys)
        assert "already exists" in err and "--overwrite" in err
        assert out.read_bytes() == b"an earlier export"
    assert _protect(files, out, "--overwrite") == 0 and out.read_bytes() != b"an earlier export"


@pytest.mark.parametrize("command", ["protect", "inpaint", "batch"])
def test_help_states_the_one_overwrite_rule(command, capsys):
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "without it protect and inpaint stop with status 2 and batch skips the image" in text


def test_outputs_get_the_mode_an_ordinary_write_gives(files, umask_022):
    out = files["dir"] / "out.png"
    assert _protect(files, out) == 0 and _mode(out) == 0o644
    edited = files["dir"] / "edited.png"
    assert main(["inpaint", str(files["image"]), "--mask", str(files["mask"]), "-o", str(edited), "--model",
                 str(files["model"])]) == 0
    assert _mode(edited) == 0o644
    os.umask(0o077)
    save_mask(files["dir"] / "private-mask.png", np.ones((4, 4), bool))
    assert _mode(files["dir"] / "private-mask.png") == 0o600
    existing = files["dir"] / "existing.png"
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


def test_a_missing_output_folder_fails_in_seconds(files, capsys):
    start = time.perf_counter()
    code = _protect(files, files["dir"] / "no-such-folder" / "out.png", "--iterations", "500")
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
    with pytest.raises(OSError):
        write_atomic(tmp_path / "out.png", b"data")
    assert list(tmp_path.iterdir()) == []
