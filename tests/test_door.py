"""A protection is checked once, at the door: one `guardpaint protect` (with a noise generator, so every check
has something to check) runs each check exactly once, and the core past the door trusts the request."""
import sys
from collections import Counter

import torch

from guardpaint.cli import main
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.io.files import check_output
from guardpaint.core.io.formats import check_storable
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.models import load_model
from guardpaint.models.noise_generator import NoiseGenerator

from conftest import make_tiny_noise_generator

#: The checks a protection runs, by the code objects that run them (however a module imported them).
CHECKS = {function.__code__: function.__qualname__ for function in (
    validate_mask, check_output, check_storable, choose_target_colour, ProtectionSettings.validated,
    NoiseGenerator.check_model)}


def _counted(argv: list[str]) -> tuple[int, Counter]:
    """``main(argv)``'s exit status and how often each check ran (a profiler hears every call)."""
    calls: Counter = Counter()

    def hear(frame, event, _arg) -> None:
        if event == "call" and frame.f_code in CHECKS:
            calls[CHECKS[frame.f_code]] += 1

    sys.setprofile(hear)
    try:
        code = main(argv)
    finally:
        sys.setprofile(None)
    return code, calls


def test_one_protect_runs_each_check_once(case, capsys):
    model = load_model(case["model"], torch.device("cpu"))
    (case["dir"] / "gen.safetensors").write_bytes(make_tiny_noise_generator(model).to_bytes())
    out = case["dir"] / "out.png"
    code, calls = _counted(["protect", str(case["image"]), "--mask", str(case["mask"]), "-o", str(out), "--model",
                            str(case["model"]), "--generator", str(case["dir"] / "gen.safetensors"), "--refine", "1"])
    capsys.readouterr()
    assert code == 0 and out.exists()
    assert calls == Counter(dict.fromkeys(CHECKS.values(), 1))


def test_a_bad_request_stops_at_the_door_before_any_model_loads(case, capsys, monkeypatch):
    loads = []
    monkeypatch.setattr("guardpaint.cli.options.load_models_for", lambda args: loads.append(args))
    monkeypatch.setattr("guardpaint.cli.commands.load_models_for", lambda args: loads.append(args))
    case["image"].with_name("taken.png").write_bytes(b"")
    for extra in (["-o", str(case["image"].with_name("taken.png"))], ["-o", str(case["dir"] / "o.png"),
                                                                       "--strength", "0"]):
        assert main(["protect", str(case["image"]), "--mask", str(case["mask"]), *extra]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "already exists" in errors[0] and "strength" in errors[1]
    assert loads == [] and not (case["dir"] / "o.png").exists()
