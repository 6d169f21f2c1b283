"""Model registry: resolving names and paths, and the explicit, verified, atomic download."""
import hashlib

import pytest

from guardpaint.errors import DownloadError, InputError, ModelError
from guardpaint.models import registry


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    """Register a model served from a local file:// URL (no network)."""
    source = tmp_path / "served.pt"
    source.write_bytes(b"weights" * 1000)
    spec = registry.ModelSpec(name="fake", description="test", filename="fake.pt", url=source.as_uri(),
                              md5=hashlib.md5(source.read_bytes(), usedforsecurity=False).hexdigest(), size_mb=0.007)
    monkeypatch.setitem(registry.REGISTRY, "fake", spec)
    return spec


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(registry.CACHE_ENV, str(tmp_path / "cache"))
    assert registry.cache_dir() == tmp_path / "cache"
    assert registry.model_path("big-lama") == tmp_path / "cache" / "big-lama.pt"


def test_download_verifies_and_renames_atomically(fake_model):
    seen = []
    path = registry.download("fake", progress=lambda done, total: seen.append(done))
    assert path == registry.model_path("fake") and path.read_bytes() == b"weights" * 1000
    assert seen and seen[-1] == 7000
    assert registry.resolve("fake") == path
    assert not list(path.parent.glob("*.part"))


def test_checksum_mismatch_leaves_nothing(fake_model, monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "fake",
                        registry.ModelSpec(**{**fake_model.__dict__, "md5": "0" * 32}))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        registry.download("fake")
    assert not registry.model_path("fake").exists()
    assert not list(registry.model_path("fake").parent.glob("*.part"))


def test_unreachable_server_is_a_clean_error(fake_model, monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "fake",
                        registry.ModelSpec(**{**fake_model.__dict__, "url": "http://127.0.0.1:9/fake.pt"}))
    with pytest.raises(DownloadError, match="offline"):
        registry.download("fake", timeout=5)
    assert not registry.model_path("fake").exists()


def test_cancelled_download_leaves_nothing(fake_model):
    from guardpaint.errors import Cancelled

    with pytest.raises(Cancelled):
        registry.download("fake", should_cancel=lambda: True)
    assert not registry.model_path("fake").exists()


def test_resolve_names_and_paths(tmp_path):
    with pytest.raises(ModelError, match="not installed"):
        registry.resolve("big-lama")
    with pytest.raises(InputError, match="neither a known model"):
        registry.resolve(str(tmp_path / "missing.pt"))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"x")
    assert registry.resolve(str(weights)) == weights
    with pytest.raises(InputError, match="unknown model"):
        registry.spec("nope")


def test_anime_lama_is_registered_and_checked(tmp_path, monkeypatch):
    entry = registry.spec("anime-lama")
    assert entry.md5 == "29f284f36a0a510bcacf39ecf4c4d54f" and entry.family == "lama" and not entry.bundled
    assert registry.model_path("anime-lama").name == "anime-manga-big-lama.pt"
    served = tmp_path / "served.pt"
    served.write_bytes(b"not the anime weights")
    monkeypatch.setitem(registry.REGISTRY, "anime-lama", registry.ModelSpec(**{**entry.__dict__,
                                                                               "url": served.as_uri()}))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        registry.download("anime-lama")
    assert not registry.is_available("anime-lama")
    assert hashlib.md5(served.read_bytes(), usedforsecurity=False).hexdigest() != entry.md5
