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
