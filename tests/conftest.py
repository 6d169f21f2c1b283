"""Shared fixtures: tiny seeded LaMa-family models, small synthetic photos, isolated settings."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
import torch

from guardpaint.models.lama import FFCResNetGenerator, LamaConfig
from guardpaint.models.lama_family import LamaInpainter

TINY = LamaConfig(ngf=8, n_downsampling=3, n_blocks=1)


def make_tiny_generator(seed: int = 0, config: LamaConfig = TINY) -> FFCResNetGenerator:
    """A random LaMa-family generator with non-trivial BatchNorm statistics (eval mode)."""
    torch.manual_seed(seed)
    model = FFCResNetGenerator(config)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.8, 1.2)
                module.bias.uniform_(-0.1, 0.1)
            elif isinstance(module, torch.nn.Conv2d):
                module.weight.mul_(2.0)  # livelier outputs than PyTorch's default init
    return model.eval()


def make_tiny_model(seed: int = 0, config: LamaConfig = TINY, name: str = "tiny") -> LamaInpainter:
    """:func:`make_tiny_generator` as a model on the CPU."""
    return LamaInpainter(make_tiny_generator(seed, config), name, "cpu")


def make_photo(height: int = 64, width: int = 80, seed: int = 0) -> np.ndarray:
    """A smooth, textured synthetic colour image (uint8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = [
        127 + 90 * np.sin(xx / (6 + 3 * c) + c) * np.cos(yy / (9 - 2 * c)) + rng.normal(0, 8, (height, width))
        for c in range(3)
    ]
    return np.clip(np.dstack(channels), 0, 255).astype(np.uint8)


def make_mask(height: int = 64, width: int = 80) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[20:40, 30:52] = True
    return mask


def write_case(folder, photo: np.ndarray, mask: np.ndarray) -> dict:
    """An image, its mask and tiny weights as files in ``folder``: what the CLI tests feed the command."""
    from PIL import Image

    image, mask_path, weights = folder / "photo.png", folder / "mask.png", folder / "tiny.pth"
    Image.fromarray(photo).save(image)
    Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)
    torch.save(make_tiny_generator().state_dict(), weights)
    return {"image": image, "mask": mask_path, "model": weights, "dir": folder}


@pytest.fixture(scope="session")
def tiny_generator() -> FFCResNetGenerator:
    return make_tiny_generator()


@pytest.fixture(scope="session")
def tiny_model(tiny_generator) -> LamaInpainter:
    return LamaInpainter(tiny_generator, "tiny", "cpu")


@pytest.fixture
def photo() -> np.ndarray:
    return make_photo()


@pytest.fixture
def mask() -> np.ndarray:
    return make_mask()


@pytest.fixture(autouse=True)
def _isolated_model_cache(tmp_path_factory, monkeypatch):
    """Tests never see or fill the user's model cache."""
    monkeypatch.setenv("GUARDPAINT_MODEL_DIR", str(tmp_path_factory.mktemp("model-cache")))


# ---------------------------------------------------------------- the GUI tests' window (Qt imported lazily)
@pytest.fixture
def store(tmp_path):
    """Settings in a temporary INI file: tests never touch the user's settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def files(tmp_path):
    from PIL import Image

    image = tmp_path / "photo.png"
    Image.fromarray(make_photo(96, 128)).save(image)
    weights = tmp_path / "tiny.pth"
    torch.save(make_tiny_generator().state_dict(), weights)
    mask = tmp_path / "mask.png"
    m = np.zeros((96, 128), np.uint8)
    m[30:60, 40:80] = 255
    Image.fromarray(m).save(mask)
    return {"image": image, "weights": weights, "mask": mask, "dir": tmp_path}


@pytest.fixture
def window(qtbot, store, files):
    from guardpaint.gui.main_window import MainWindow

    win = MainWindow(store)
    win.errors = []
    win.ui.error = win.errors.append  # capture instead of a modal box
    win.ui.ask = lambda question: True
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.set_model(str(files["weights"]))
    win.panel.settings.iterations.setValue(3)
    assert win.open_image(files["image"])
    yield win
    # A cancelled or replaced task finishes its current step in the background: let it, before the
    # window (and the worker threads it owns) is destroyed.
    win.runner.shutdown()
    qtbot.waitUntil(lambda: not win.runner.has_running_threads(), timeout=30_000)


def _mouse(widget, kind, pos, button=None):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    button = Qt.MouseButton.LeftButton if button is None else button
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def paint_stroke(canvas, points):
    """Press, move through ``points`` (scene coordinates) and release on the canvas viewport."""
    from PySide6.QtCore import QEvent, QPointF, Qt

    viewport = canvas.viewport()
    view_points = [canvas.mapFromScene(QPointF(*p)) for p in points]
    _mouse(viewport, QEvent.Type.MouseButtonPress, view_points[0])
    for p in view_points[1:]:
        _mouse(viewport, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, view_points[-1])
