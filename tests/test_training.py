"""The demo model's trainer: a few real steps on scikit-image photos produce loadable, recorded weights."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("skimage")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from train_demo import TrainSettings, train

from guardpaint.models import load_model
from guardpaint.models.lama import FFCResNetGenerator, LamaConfig

from data import TRAIN_IMAGES, VALIDATION_IMAGES, CropSampler, load_photo, random_mask


def test_validation_photos_are_held_out_and_all_photos_load():
    assert not set(TRAIN_IMAGES) & set(VALIDATION_IMAGES)
    for name in TRAIN_IMAGES + VALIDATION_IMAGES:
        photo = load_photo(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8


def test_masks_and_crops_are_seeded_and_leave_context():
    masks = [random_mask(64, np.random.default_rng(seed)) for seed in range(20)]
    assert all(0 < m.mean() <= 0.6 for m in masks)
    sampler = CropSampler([load_photo("astronaut.png")], 64)
    a = sampler.batch(2, np.random.default_rng(1))
    b = sampler.batch(2, np.random.default_rng(1))
    assert a[0].shape == (2, 3, 64, 64) and a[1].shape == (2, 1, 64, 64)
    assert all((x == y).all() for x, y in zip(a, b, strict=True))


def test_a_short_run_writes_weights_the_loader_reads_and_records_its_settings(tmp_path):
    settings = TrainSettings(ngf=8, n_blocks=1, crop=32, batch=2, steps=3, gan_start_step=1, r1_every=2,
                             minutes=5, threads=1, lr_g=1e-2)
    train(settings, tmp_path / "first")
    weights = tmp_path / "first" / "demo-lama.safetensors"
    model = load_model(str(weights), torch.device("cpu"))
    assert model.generator.config.ngf == 8 and model.generator.config.n_blocks == 1
    torch.manual_seed(settings.seed)  # the trainer's initial weights, to see that it stepped
    initial = FFCResNetGenerator(LamaConfig(ngf=8, n_blocks=1)).state_dict()
    trained = model.generator.state_dict()
    assert any((trained[k].float() - initial[k]).abs().max() > 1e-3 for k in initial if k.endswith("weight"))
    recorded = json.loads((tmp_path / "first" / "settings.json").read_text())
    assert recorded["steps"] == 3 and recorded["validation_images"] == list(VALIDATION_IMAGES)
    train(settings, tmp_path / "second", resume=weights)
    assert json.loads((tmp_path / "second" / "settings.json").read_text())["resumed_from"] == str(weights)
