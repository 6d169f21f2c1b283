"""Download failures name their cause, print one line, and leave no file behind (local HTTP server)."""
import errno
import hashlib
import http.server
import io
import os
import stat
import threading

import pytest

from guardpaint.cli import main
from guardpaint.errors import DownloadError
from guardpaint.models import registry
from guardpaint.osfiles import current_umask

BODY = b"weights!" * 4096
BODY_MD5 = hashlib.md5(BODY, usedforsecurity=False).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/missing.pt":
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY[: len(BODY) // 3] if self.path == "/truncated.pt" else BODY)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _register(monkeypatch, url, md5=BODY_MD5):
    spec = registry.ModelSpec(name="fake", description="test", filename="fake.pt", url=url, md5=md5,
                              size_mb=len(BODY) / 1e6)
    monkeypatch.setitem(registry.REGISTRY, "fake", spec)


def _leftovers():
    folder = registry.model_path("fake").parent
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("path,md5,cause", [
    ("/missing.pt", None, "HTTP 404"),
    ("/truncated.pt", None, "cut off"),
    ("/good.pt", "0" * 32, "checksum mismatch"),
])
def test_cli_download_failure_is_one_line_and_leaves_nothing(server, monkeypatch, capsys, path, md5, cause):
    _register(monkeypatch, server + path, **({"md5": md5} if md5 else {}))
    assert main(["models", "download", "fake"]) == 2
    out, err = capsys.readouterr()
    errors = [line for line in err.strip().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and err.strip().endswith(errors[0]) and cause in errors[0], err
    assert "Traceback" not in err and "0.00B" not in err and not out
    assert _leftovers() == []


def test_no_network_is_named(monkeypatch):
    _register(monkeypatch, "http://127.0.0.1:9/fake.pt")
    with pytest.raises(DownloadError, match="no connection"):
        registry.download("fake", timeout=5)
    assert _leftovers() == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to simulate a full disk")
class _FullDisk(io.RawIOBase):
    """A file on a full disk: every write fails with ENOSPC."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def test_full_disk_is_named(server, monkeypatch):
    _register(monkeypatch, server + "/good.pt")
    monkeypatch.setattr(registry.os, "fdopen", lambda fd, mode: _FullDisk(fd))
    with pytest.raises(DownloadError, match="not enough disk space"):
        registry.download("fake")
    assert _leftovers() == []


def test_a_link_planted_where_the_download_is_written_is_not_followed(server, monkeypatch, tmp_path):
    _register(monkeypatch, server + "/good.pt")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    folder = registry.model_path("fake").parent
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fake.pt.part").symlink_to(victim)  # the name downloads used to write through
    downloaded = registry.download("fake")
    assert downloaded.read_bytes() == BODY and victim.read_bytes() == b"keep me"
    assert stat.S_IMODE(downloaded.stat().st_mode) == 0o666 & ~current_umask()  # as an ordinary write leaves it


def test_a_good_download_is_verified_and_in_place(server, monkeypatch):
    _register(monkeypatch, server + "/good.pt")
    assert registry.download("fake").read_bytes() == BODY and _leftovers() == ["fake.pt"]
