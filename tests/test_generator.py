"""The noise generator: its one pass within the budget, its file (strict as weights), training (seeded,
resumable, distributed on two CPU workers), its use in protect, batch and the app, and its refusals."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from guardpaint.cli import main
from guardpaint.core.generator import training
from guardpaint.core.generator.evaluation import evaluate
from guardpaint.core.generator.samples import MASK_KINDS, SampleSource, photos_in, random_mask, recoloured
from guardpaint.core.generator.training import Trainer, TrainingSettings, state_path, train
from guardpaint.core.io.images import LoadedImage
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.sources import GeneratorSource
from guardpaint.core.protection.target import CANDIDATE_COLOURS, choose_target_colour
from guardpaint.core.workflow import protect_image
from guardpaint.models import load_model
from guardpaint.models.noise_generator import GeneratorConfig, NoiseGenerator, NoiseNetwork, read_generator

from conftest import make_photo, make_tiny_model, make_tiny_noise_generator, save_tiny_weights

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TINY = {"crop": 48, "batch": 2, "width": 4, "depth": 2, "blocks": 1, "checkpoint_every": 2, "validate_every": 1000,
        "precision": "fp32"}


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    for seed in range(3):
        Image.fromarray(make_photo(64, 80, seed=seed)).save(folder / f"p{seed}.png")
    return folder


def _trainer(model, photos: Path, seed: int = 0) -> Trainer:
    return Trainer([model], SampleSource(photos_in(photos), TINY["crop"], seed),
                   TrainingSettings(**TINY, seed=seed))


def test_one_pass_stays_within_the_budget_at_any_size():
    torch.manual_seed(0)
    generator = NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)))
    for height, width in ((37, 53), (64, 80)):
        image = torch.rand(1, 3, height, width)
        budget = torch.rand(1, 1, height, width) * 0.02
        budget[..., :5, :] = 0  # transparent pixels: no budget at all
        colour = torch.tensor([0.0, 1, 0]).view(1, 3, 1, 1)
        noise = generator.noise(image, torch.zeros(1, 1, height, width), budget, colour)
        assert noise.shape == image.shape and (noise.abs() <= budget + 1e-7).all() and (noise[..., :5, :] == 0).all()
        assert noise.abs().max() > 0


def test_a_generator_file_is_read_back_exactly_with_its_metadata(tmp_path):
    torch.manual_seed(1)
    made = NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)), [{"name": "tiny", "sha256": "ab" * 32}],
                          {"steps": 3}, {"held": 0.5})
    path = tmp_path / "gen.safetensors"
    path.write_bytes(made.to_bytes())
    read = read_generator(path)
    assert (read.trained_against, read.training, read.validation) == (made.trained_against, {"steps": 3},
                                                                       {"held": 0.5})
    assert read.network.config == GeneratorConfig(4, 2, 1) and len(read.sha256) == 64
    features = torch.rand(1, 9, 24, 40)
    assert torch.equal(read.network(features), made.network.eval()(features))


def test_a_generator_used_with_another_model_is_refused_with_both_named(case, capsys):
    other = save_tiny_weights(case["dir"] / "other.pth", seed=5)
    generator = NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)),
                               [{"name": "other.pth", "sha256": load_model(other, torch.device("cpu")).sha256}])
    (case["dir"] / "gen.safetensors").write_bytes(generator.to_bytes())
    out = case["dir"] / "out.png"
    code = main(["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(out), "--model",
                 str(case["model"]), "--generator", str(case["dir"] / "gen.safetensors")])
    error = [line for line in capsys.readouterr().err.strip().splitlines() if line.startswith("error:")]
    assert code == 2 and len(error) == 1 and not out.exists()
    assert "gen.safetensors was trained against other.pth" in error[0] and "not tiny.pth" in error[0]
    assert main(["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(out), "--model", str(other),
                 "--generator", str(case["dir"] / "gen.safetensors"), "--refine", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["generator"]["file"].endswith("gen.safetensors") and report["generator"]["refine_iterations"] == 1
    assert report["generator"]["trained_against"][0]["name"] == "other.pth"
    assert main(["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(out), "--model", str(other),
                 "--generator", str(case["dir"] / "gen.safetensors"), "--overwrite"]) == 0
    assert "noise generator: " in capsys.readouterr().out  # the text output names the generator it started from
    assert main(["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(out), "--refine", "2"]) == 2


def test_evaluate_reports_each_mode_and_tells_each_protection(case, capsys):
    model = load_model(case["model"], torch.device("cpu"))
    generator = make_tiny_noise_generator(model)
    (case["dir"] / "gen.safetensors").write_bytes(generator.to_bytes())
    held = case["dir"] / "held"
    held.mkdir()
    Image.open(case["image"]).save(held / "photo.png")
    Image.open(case["mask"]).save(held / "photo.mask.png")
    assert main(["generator", "evaluate", str(case["dir"] / "gen.safetensors"), "--model", str(case["model"]),
                 "--images", str(held), "--refine", "1", "--iterations", "2", "--json"]) == 0
    modes = json.loads(capsys.readouterr().out)["modes"]
    assert list(modes) == ["one pass", "one pass + 1 refine", "loop of 2"]
    assert all(mode["pairs"] == 1 and mode["held"] in (0.0, 1.0) and mode["seconds_per_image"] > 0
               for mode in modes.values())
    heard = []
    pairs = [SampleSource(photos_in(held), 48, 0).sample(index) for index in range(2)]
    evaluate([model], generator, pairs, 1, 2, on_outcome=lambda mode, pair, outcome: heard.append(
        (mode, pair.photo, len(outcome.result.history))))
    assert heard == [("one pass", "photo.png", 0)] * 2 + [("one pass + 1 refine", "photo.png", 1)] * 2 + \
        [("loop of 2", "photo.png", 2)] * 2


def test_masks_of_every_kind_and_samples_are_a_function_of_the_seed_and_index(photos):
    rng = np.random.default_rng(0)
    for _ in range(40):
        mask = random_mask(rng, 48, 48)
        assert 0 < mask.mean() <= 0.35
    assert len(MASK_KINDS) == 4
    a, b = SampleSource(photos_in(photos), 48, 3), SampleSource(photos_in(photos), 48, 3)
    assert all((a.sample(i).rgb == b.sample(i).rgb).all() and (a.sample(i).mask == b.sample(i).mask).all()
               for i in (0, 5, 17))
    assert not (a.sample(0).rgb == a.sample(1).rgb).all()


def test_training_recolours_its_samples_so_photos_of_one_cast_teach_every_target(tmp_path, monkeypatch):
    warm = make_photo(64, 80, seed=4)
    warm[..., 0] = 200 + warm[..., 0] // 5
    warm[..., 2] //= 4  # red and no blue: the target is always blue
    Image.fromarray(warm).save(tmp_path / "warm.png")
    source = SampleSource(photos_in(tmp_path), TINY["crop"], 0)
    assert {choose_target_colour(source.sample(i).rgb) for i in range(12)} == {(0, 0, 255)}
    sample, rng = source.sample(0), np.random.default_rng(0)
    recoloured_ones = [recoloured(sample, rng) for _ in range(30)]
    assert all((r.mask == sample.mask).all() and (np.sort(r.rgb, axis=2) == np.sort(sample.rgb, axis=2)).all()
               for r in recoloured_ones)
    assert {choose_target_colour(r.rgb) for r in recoloured_ones} == set(CANDIDATE_COLOURS)
    chosen = []
    monkeypatch.setattr(training, "choose_target_colour", lambda rgb: chosen.append(choose_target_colour(rgb))
                        or chosen[-1])
    trainer = Trainer([make_tiny_model()], source, TrainingSettings(**(TINY | {"batch": 6})))
    trainer.train_step()
    trainer.train_step()
    assert set(chosen) == set(CANDIDATE_COLOURS)


def test_training_is_seeded_and_resumes_to_the_same_weights(photos, tmp_path):
    model = make_tiny_model()
    whole = _trainer(model, photos)
    first = [whole.train_step().total for _ in range(4)]
    train(whole, tmp_path / "whole.safetensors", 6, None)
    assert whole.step == 6
    part = _trainer(model, photos)
    train(part, tmp_path / "part.safetensors", 3, None)
    assert state_path(tmp_path / "part.safetensors").is_file()
    resumed = _trainer(model, photos)
    resumed.resume(tmp_path / "part.safetensors")
    assert resumed.step == 3
    train(resumed, tmp_path / "part.safetensors", 6, None)
    for name, value in whole.generator.network.state_dict().items():
        torch.testing.assert_close(resumed.generator.network.state_dict()[name], value, rtol=1e-5, atol=1e-6)
    recorded = read_generator(tmp_path / "part.safetensors").training
    assert recorded["steps"] == 6 and recorded["recoloured"] is True
    assert all(np.isfinite(first))
    again = _trainer(model, photos)
    assert [again.train_step().total for _ in range(4)] == first  # seeded: the same run twice


def test_two_cpu_workers_train_the_same_generator_as_one_process(photos, tmp_path, case):
    """torchrun with two gloo workers, each half of every batch, against one process on the whole batch."""
    argv = ["generator", "train", "--model", str(case["model"]), "--images", str(photos), "--steps", "2", "--crop",
            "48", "--batch", "2", "--width", "4", "--seed", "3", "--quiet", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run([sys.executable, "-m", "guardpaint", *argv, "-o", str(tmp_path / "one.safetensors")],
                            capture_output=True, text=True, timeout=600, env=env)
    assert single.returncode == 0, single.stderr
    double = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port",
                             "29531", "-m", "guardpaint", *argv, "-o", str(tmp_path / "two.safetensors")],
                            capture_output=True, text=True, timeout=600, env=env)
    assert double.returncode == 0, double.stderr[-3000:]
    one, two = read_generator(tmp_path / "one.safetensors"), read_generator(tmp_path / "two.safetensors")
    assert two.training["world_size"] == 2 and one.training["world_size"] == 1
    for name, value in one.network.state_dict().items():
        torch.testing.assert_close(two.network.state_dict()[name], value, rtol=1e-4, atol=1e-6)


def test_one_pass_protects_and_is_judged_on_the_written_file(photo, mask):
    model = make_tiny_model()
    torch.manual_seed(0)
    generator = NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)), [{"name": "tiny", "sha256": model.sha256}])
    settings = ProtectionSettings(auto_strength=False)
    one = protect_image(model, LoadedImage(photo), mask, settings, source=GeneratorSource(generator, 0))
    assert one.result.history == [] and np.abs(one.result.noise).max() <= 5 and np.abs(one.result.noise).max() > 0
    assert one.generator["refine_iterations"] == 0 and one.verification is not None
    refined = protect_image(model, LoadedImage(photo), mask, settings, source=GeneratorSource(generator, 3))
    assert [h.iteration for h in refined.result.history] == [1, 2, 3]
    assert refined.result.settings.budget == "texture"  # the generator decides where the noise acts


def test_the_app_starts_from_a_chosen_generator_and_plots_the_refine_iterations(window, qtbot, files):
    from conftest import protect_in_window

    model = window.protection.models.get([str(files["weights"])], "cpu")[0]
    generator = NoiseGenerator(NoiseNetwork(GeneratorConfig(4, 2, 1)),
                               [{"name": "tiny.pth", "sha256": model.sha256}])
    path = files["dir"] / "gen.safetensors"
    path.write_bytes(generator.to_bytes())
    lines = []
    window.runner.partial.connect(lambda value: lines.append(value) if isinstance(value, str) else None)
    assert window.models.use_generator(path, 2)
    assert window.panel.generator_note.isVisibleTo(window) and "gen.safetensors" in window.panel.generator_note.text()
    outcome = protect_in_window(window, qtbot, files["mask"])
    assert any(line.startswith("Starting from the noise generator gen.safetensors: one pass, then 2 refine")
               for line in lines)
    assert outcome.generator["refine_iterations"] == 2
    assert {h.iteration for h in outcome.result.history} == {1, 2}
    qtbot.waitUntil(lambda: window.panel.plot.point_count() == len(outcome.result.history), timeout=5000)
    assert window.models.use_generator(None) and not window.panel.generator_note.isVisibleTo(window)


def test_training_draws_an_editor_per_sample_from_the_chosen_ones_and_the_file_records_them(photos, tmp_path,
                                                                                            monkeypatch):
    drawn = []
    set_up = training.set_up
    monkeypatch.setattr(training, "set_up", lambda *args, **kwargs: drawn.append(args[3].editors)
                        or set_up(*args, **kwargs))
    settings = TrainingSettings(**(TINY | {"batch": 6}), editors=("auto", "comfyui", "lama-512-resize"))
    trainer = Trainer([make_tiny_model()], SampleSource(photos_in(photos), TINY["crop"], 0), settings)
    assert trainer.settings.editors == ("iopaint", "comfyui", "lama-512-resize")  # older names read as today's
    trainer.train_step()
    trainer.train_step()
    assert set(drawn) == {("iopaint",), ("comfyui",), ("lama-512-resize",)}
    train(trainer, tmp_path / "gen.safetensors", 2, None)
    generator = read_generator(tmp_path / "gen.safetensors")
    assert generator.editors == ["iopaint", "comfyui", "lama-512-resize"]
    assert generator.provenance()["editors"] == generator.editors
