"""Shared fixtures and helpers: tiny models and their weight files, photos and masks, CLI, batch and app cases."""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
import torch
from PIL import Image

from guardpaint.models.base import Inpainter
from guardpaint.models.lama import FFCResNetGenerator, LamaConfig
from guardpaint.models.lama_family import LamaInpainter
from guardpaint.models.noise_generator import GeneratorConfig, NoiseGenerator, NoiseNetwork

#: pytest's exit status, kept for :func:`pytest_unconfigure`.
_EXIT_STATUS = pytest.StashKey[int]()
TINY = LamaConfig(ngf=8, n_downsampling=3, n_blocks=1)
#: IOPaint alone: for tests of what does not depend on the editor, and for the high-gain model on images under
#: 256 px, which ComfyUI enlarges (nearest-exact repeats pixels: no one-pixel checkerboard reaches its model).
IOPAINT = ("iopaint",)


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


def make_tiny_noise_generator(model: Inpainter) -> NoiseGenerator:
    """A small untrained noise generator (seed 0) that names ``model`` as the one it was trained against."""
    torch.manual_seed(0)
    return NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)), [{"name": model.name, "sha256": model.sha256}])


def save_tiny_weights(path: Path, seed: int = 0) -> Path:
    """:func:`make_tiny_generator`'s weights (a plain state dict) written to ``path``."""
    torch.save(make_tiny_generator(seed).state_dict(), path)
    return path


def make_photo(height: int = 64, width: int = 80, seed: int = 0) -> np.ndarray:
    """A smooth, textured synthetic colour image (uint8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = [
        127 + 90 * np.sin(xx / (6 + 3 * c) + c) * np.cos(yy / (9 - 2 * c)) + rng.normal(0, 8, (height, width))
        for c in range(3)
    ]
    return np.clip(np.dstack(channels), 0, 255).astype(np.uint8)


def editors_drawn(models: list[Inpainter], folder: Path, monkeypatch, batch: int) -> list[tuple[str, ...]]:
    """The editors each sample of one noise-generator training step was drawn in, against ``models`` (a tiny
    generator, two small photos in ``folder``, protection for IOPaint and ComfyUI, in float32)."""
    from guardpaint.core.generator import training
    from guardpaint.core.generator.samples import SampleSource, photos_in
    from guardpaint.core.generator.training import Trainer, TrainingSettings

    folder.mkdir()
    for seed in range(2):
        Image.fromarray(make_photo(64, 80, seed=seed)).save(folder / f"p{seed}.png")
    drawn: list[tuple[str, ...]] = []
    set_up_first = training.set_up
    monkeypatch.setattr(training, "set_up", lambda *args, **kwargs: drawn.append(args[3].editors)
                        or set_up_first(*args, **kwargs))
    settings = TrainingSettings(crop=48, batch=batch, width=4, depth=2, blocks=1, precision="fp32",
                                editors=("iopaint", "comfyui"))
    Trainer(models, SampleSource(photos_in(folder), 48, 0), settings).train_step()
    return drawn


def make_mask(height: int = 64, width: int = 80) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[20:40, 30:52] = True
    return mask


def write_case(folder, photo: np.ndarray, mask: np.ndarray) -> dict:
    """An image, its mask and tiny weights as files in ``folder``: what the CLI tests feed the command."""
    image, mask_path, weights = folder / "photo.png", folder / "mask.png", folder / "tiny.pth"
    Image.fromarray(photo).save(image)
    Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)
    save_tiny_weights(weights)
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
    """Tests never see or fill the user's model cache, nor the app's data folder (its autosaves)."""
    monkeypatch.setenv("GUARDPAINT_MODEL_DIR", str(tmp_path_factory.mktemp("model-cache")))
    monkeypatch.setenv("GUARDPAINT_DATA_DIR", str(tmp_path_factory.mktemp("app-data")))


@pytest.fixture
def case(tmp_path, photo, mask) -> dict:
    """:func:`write_case` in the test's folder: photo.png, mask.png and tiny.pth (keys image, mask, model, dir)."""
    return write_case(tmp_path, photo, mask)


@pytest.fixture
def weights_pair(case) -> tuple[Path, Path]:
    """Two different tiny weight files beside the case, named by their seeds: tiny0.pth and tiny1.pth."""
    return tuple(save_tiny_weights(case["dir"] / f"tiny{seed}.pth", seed) for seed in (0, 1))


def mask_shapes(height: int, width: int) -> dict[str, np.ndarray]:
    """The shapes people protect: a blob, strokes 3-5 px wide (a signature), a ring and a 4 px dot."""
    import cv2

    shapes = {}
    blob = np.zeros((height, width), np.uint8)
    cv2.circle(blob, (width // 2, height // 2), 25, 1, -1)
    shapes["blob"] = blob
    for thickness in (3, 4, 5):
        stroke = np.zeros((height, width), np.uint8)
        cv2.line(stroke, (20, 20), (width - 30, height - 40), 1, thickness)
        shapes[f"stroke {thickness} px"] = stroke
    ring = np.zeros((height, width), np.uint8)
    cv2.circle(ring, (width // 2, height // 2), 30, 1, 4)
    shapes["ring"] = ring
    dot = np.zeros((height, width), np.uint8)
    dot[60:64, 70:74] = 1
    shapes["4 px dot"] = dot
    return {name: shape.astype(bool) for name, shape in shapes.items()}


# ---------------------------------------------------------------- folders for guardpaint batch (and --ray)
def batch_mask(height: int, width: int, start: int = 3) -> Image.Image:
    """A mask file's image: white from (height // start, width // start) to the image's centre, black elsewhere."""
    mask = np.zeros((height, width), np.uint8)
    mask[height // start:height // 2, width // start:width // 2] = 255
    return Image.fromarray(mask)


def write_batch_folder(root: Path, mask_start: int = 3, more: bool = False) -> Path:
    """Images in ``root / "in"``, their :func:`batch_mask` (from ``mask_start``) in ``root / "masks"`` and tiny.pth:
    a corrupt PNG, one image without a mask, RGBA with a transparent corner and a greyscale JPEG; ``more`` adds a
    colour JPEG of another size, a PNG and a smaller PNG."""
    src, masks = root / "in", root / "masks"
    src.mkdir(), masks.mkdir()
    (src / "a-corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    Image.fromarray(make_photo(64, 80, seed=1)).save(src / "b-no-mask.png")
    rgba = np.dstack([make_photo(64, 80, seed=2), np.full((64, 80), 255, np.uint8)])
    rgba[:10, :10, 3] = 0  # a fully transparent corner
    Image.fromarray(rgba, "RGBA").save(src / "c-rgba.png")
    Image.fromarray(make_photo(64, 80, seed=3)).convert("L").save(src / "d-grey.jpg", quality=95)
    sizes = {"a-corrupt": (64, 80), "c-rgba": (64, 80), "d-grey": (64, 80)}  # b-no-mask has none
    if more:
        Image.fromarray(make_photo(72, 96, seed=4)).save(src / "e-colour.jpg", quality=90)
        Image.fromarray(make_photo(64, 80, seed=5)).save(src / "f-photo.png")
        Image.fromarray(make_photo(48, 64, seed=6)).save(src / "g-small.png")
        sizes.update({"e-colour": (72, 96), "f-photo": (64, 80), "g-small": (48, 64)})
    for stem, (height, width) in sizes.items():
        batch_mask(height, width, mask_start).save(masks / f"{stem}.png")
    save_tiny_weights(root / "tiny.pth")
    return root


@pytest.fixture
def batch_folder(tmp_path) -> Path:
    """:func:`write_batch_folder`'s four images, masks from a third of each image, and an empty out/."""
    folder = write_batch_folder(tmp_path)
    (folder / "out").mkdir()
    return folder


@pytest.fixture
def cluster_folder(tmp_path) -> Path:
    """Seven images: PNG, JPEG, greyscale, alpha, a corrupt file and one without a mask; masks from a quarter."""
    return write_batch_folder(tmp_path, mask_start=4, more=True)


def batch_argv(folder: Path, out: str, *extra: str) -> list[str]:
    """``guardpaint batch`` of ``folder``'s in/ with its masks/ into ``folder / out`` on its tiny.pth: two
    iterations on the CPU, quietly, then ``extra``."""
    return ["batch", str(folder / "in"), "--masks", str(folder / "masks"), "-o", str(folder / out), "--model",
            str(folder / "tiny.pth"), "--iterations", "2", "--device", "cpu", "--quiet", *extra]


# ---------------------------------------------------------------- the GUI tests' window (Qt imported lazily)
@pytest.fixture
def store(tmp_path):
    """Settings in a temporary INI file: tests never touch the user's settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def files(tmp_path):
    """The app tests' case: a 128 x 96 photo, its mask and tiny weights (keys image, mask, weights, dir)."""
    image = tmp_path / "photo.png"
    Image.fromarray(make_photo(96, 128)).save(image)
    weights = save_tiny_weights(tmp_path / "tiny.pth")
    mask = tmp_path / "mask.png"
    m = np.zeros((96, 128), np.uint8)
    m[30:60, 40:80] = 255
    Image.fromarray(m).save(mask)
    return {"image": image, "weights": weights, "mask": mask, "dir": tmp_path}


def open_window(qtbot, store, size: tuple[int, int] | None = None):
    """A shown main window on ``store``, no image open: its error messages go to ``errors`` (not a modal box),
    its questions to ``questions``, and each question is answered with ``answer`` (True until a test says not)."""
    from guardpaint.gui.shell import MainWindow

    win = MainWindow(store)
    win.errors, win.questions = [], []
    win.ui.error = win.errors.append
    win.answer = True
    win.ui.ask = lambda question: (win.questions.append(question), win.answer)[1]
    qtbot.addWidget(win)
    if size is not None:
        win.resize(*size)
    win.show()
    return win


@pytest.fixture
def window(qtbot, store, files):
    """:func:`open_window` with the ``files`` case open on its weights, 3 iterations."""
    win = open_window(qtbot, store, size=(1200, 800))
    win.set_model(str(files["weights"]))
    win.panel.settings.widget("iterations").setValue(3)
    assert win.open_image(files["image"])
    yield win
    # A cancelled or replaced task finishes its current step in the background: let it, before the
    # window (and the worker threads it owns) is destroyed.
    win.runner.shutdown()
    qtbot.waitUntil(lambda: not win.runner.has_running_threads(), timeout=30_000)


def protect_in_window(window, qtbot, mask_file):
    """Load ``mask_file`` onto the protection layer, protect and wait for the result: the outcome."""
    assert window.load_mask_file(mask_file)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        window.start_protection()
    return window.protection.outcome


def protect_case(window, qtbot, case, weights):
    """The ``case`` fixture's image and mask protected in ``window`` against ``weights``, two iterations."""
    window.set_model(str(weights))
    window.panel.settings.widget("iterations").setValue(2)
    assert window.open_image(case["image"])
    return protect_in_window(window, qtbot, case["mask"])


def answer_save_dialog(monkeypatch, *answers):
    """Answer QFileDialog.getSaveFileName with ``answers`` in turn; the calls' (folder or suggestion, options)."""
    from PySide6.QtWidgets import QFileDialog

    calls, queue = [], list(answers)

    def answer(parent, title, suggestion, filters, *args, options=None, **kwargs):
        calls.append((suggestion, options))
        return (str(queue.pop(0)) if queue else "", "")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return calls


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


def pytest_sessionfinish(session, exitstatus) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config) -> None:
    """End the test process once pytest has reported, with pytest's own status. Interpreter teardown after a
    run that loaded Qt, torch and Ray crashed natively once in five full runs on a 2-core machine (status
    139 after "432 passed"); the app's own exit is tested on its own (test_faults, test_app_run)."""
    if _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])
