"""Training a noise generator against the user's own model(s), on the protection's own objective.

Each step draws a batch of samples (:mod:`~guardpaint.core.generator.samples`), a strength from the
ladder's range, a budget (texture or uniform), an order of the colour channels and, when it is trained
for several, one of the editors per sample, lets the generator make the noise in one pass, and
back-propagates the protection's objective (attack, incomplete trigger, twice the hide term, through
that editor's views:
:func:`~guardpaint.core.protection.setup.set_up`) into the generator. The noise
is a leaf for the objective, exactly as in the optimisation loop; its gradient is then carried through
the generator in one backward pass.

Several processes (torchrun, one per GPU or CPU worker) train one generator with PyTorch's
DistributedDataParallel: each takes its share of every batch and the gradients are averaged, so the run
equals a single process on the whole batch. Checkpoints are written atomically by the first process;
a run resumes from its training state exactly (samples, strengths and optimiser state).
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from guardpaint.core.editor.editors import runs
from guardpaint.core.editor.inpaint import check_editors_run
from guardpaint.core.editor.tensors import mask_to_tensor
from guardpaint.core.generator.samples import Sample, SampleSource, recoloured
from guardpaint.core.generator.settings import TrainingSettings
from guardpaint.core.io.files import write_atomic
from guardpaint.core.protection.loss_terms import TERM_NAMES
from guardpaint.core.protection.loss_terms import weights as term_weights
from guardpaint.core.protection.settings import LEVELS, ProtectionSettings
from guardpaint.core.protection.setup import set_up
from guardpaint.core.protection.target import choose_target_colour
from guardpaint.errors import InputError, ModelError
from guardpaint.models.base import Inpainter
from guardpaint.models.device import resolve_precision
from guardpaint.models.noise_generator import (
    GeneratorConfig,
    NoiseGenerator,
    NoiseNetwork,
    generator_inputs,
    read_generator,
)

STATE_FORMAT = "guardpaint-generator-training/1"
#: The strengths trained for (levels of 255): from the ladder's first step to maximum strength.
STRENGTHS = (2.5, 6.375)
#: The budgets trained for: texture (the generator's default) and uniform (maximum strength, the last step).
BUDGETS = ("texture", "uniform")


@dataclass
class StepReport:
    """What one step measured (means over its batch) and, every so often, the validation share."""

    step: int
    losses: dict[str, float]
    total: float
    seconds: float
    held: float | None = None  # share of validation pairs holding after one pass


def _world() -> tuple[int, int]:
    """(rank, world size): (0, 1) unless this process is one of a distributed run."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class Trainer:
    """One generator's training against ``models`` on samples from ``source``."""

    def __init__(self, models: list[Inpainter], source: SampleSource, settings: TrainingSettings,
                 generator: NoiseGenerator | None = None) -> None:
        self.settings = settings = settings.validated()
        check_editors_run(models, settings.editors)
        self.models, self.source = models, source
        self.device = models[0].device
        if generator is None:
            torch.manual_seed(settings.seed)
            network = NoiseNetwork(GeneratorConfig(settings.width, settings.depth, settings.blocks))
            generator = NoiseGenerator(network, [{"name": m.name, "sha256": m.sha256} for m in models])
        self.generator = generator
        self.generator.network.to(self.device).train().requires_grad_(True)
        self.optimiser = torch.optim.Adam(self.generator.network.parameters(), lr=settings.learning_rate)
        self.step = 0
        self.seconds = 0.0  # training time before this process (a resumed run)
        self.rank, self.world = _world()
        self.parallel = None
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.parallel = DistributedDataParallel(self.generator.network)
        self.protection = ProtectionSettings(precision=resolve_precision(settings.precision, self.device),
                                             memory_saving=settings.memory_saving, auto_strength=False)

    # ------------------------------------------------------------------ one step
    def _noise(self, features_of: Callable[[NoiseNetwork], torch.Tensor]) -> torch.Tensor:
        return features_of(self.parallel or self.generator.network)

    def _sample_loss(self, sample: Sample, rng: np.random.Generator, scale: float) -> torch.Tensor:
        """Back-propagate ``scale`` times one sample's objective into the generator; its terms (detached)."""
        strength = float(rng.uniform(*STRENGTHS)) / LEVELS
        settings = replace(self.protection, epsilon=strength, budget=BUDGETS[int(rng.integers(len(BUDGETS)))])
        sample = recoloured(sample, rng)
        # Drawn last, and only among several, so that earlier runs stay exact; among the editors that run every model
        # (ComfyUI does not run MI-GAN, the 512 px apps only LaMa: a sample drawn there would have no view of it).
        editors = tuple(name for name in self.settings.editors
                        if all(runs(name, model.kind) for model in self.models))
        editor = editors[0] if len(editors) == 1 else editors[int(rng.integers(len(editors)))]
        setup = set_up(self.models, sample.rgb, sample.mask, replace(settings, editors=(editor,)),
                       choose_target_colour(sample.rgb))
        noise, budget = setup.noise, setup.noise.budgets[0]
        features = generator_inputs(noise.images[0], mask_to_tensor(sample.mask, self.device), budget, setup.target)
        made = self._noise(lambda network: network(features)) * budget
        with torch.no_grad():
            noise.deltas[0].copy_(made if noise.deltas[0].shape[1] == 3 else made.mean(dim=1, keepdim=True))
        scores = setup.objective.step(noise, with_gradient=True)
        gradient = noise.deltas[0].grad
        if gradient.shape[1] == 1:
            gradient = gradient.expand(-1, 3, -1, -1) / 3
        made.backward(gradient * scale)
        return scores.terms.detach()

    def train_step(self) -> StepReport:
        """One optimiser step over the next batch (this process's share of it)."""
        started = time.perf_counter()
        settings = self.settings
        self.optimiser.zero_grad(set_to_none=True)
        mine = [i for i in range(settings.batch) if i % self.world == self.rank]
        terms = []
        for position, i in enumerate(mine):
            index = self.step * settings.batch + i
            rng = np.random.default_rng([settings.seed, index, 1])
            sync = self.parallel is None or position == len(mine) - 1
            with nullcontext() if sync else self.parallel.no_sync():
                terms.append(self._sample_loss(self.source.sample(index), rng, self.world / settings.batch))
        self.optimiser.step()
        self.step += 1
        mean = torch.stack(terms).mean(dim=0).tolist()
        losses = dict(zip(TERM_NAMES, mean, strict=True))
        weights = term_weights(self.protection)
        return StepReport(self.step, losses, sum(weights[name] * value for name, value in losses.items()),
                          time.perf_counter() - started)

    # ------------------------------------------------------------------ files
    def finished_generator(self, validation: dict | None = None) -> NoiseGenerator:
        """The generator as it is now, with what it was trained against and how."""
        network = NoiseNetwork(self.generator.network.config)
        network.load_state_dict(self.generator.network.state_dict())
        training = asdict(self.settings) | {"steps": self.step, "seconds": round(self.seconds, 1),
                                            "world_size": self.world, "recoloured": True}  # samples.recoloured
        return NoiseGenerator(network.eval(), self.generator.trained_against, training,
                              validation or self.generator.validation)

    def save(self, path: Path, validation: dict | None = None) -> None:
        """The generator at ``path`` and the training state beside it (``<path>.state``), each written
        atomically; only the first process writes."""
        if self.rank != 0:
            return
        generator = self.finished_generator(validation)
        write_atomic(path, generator.to_bytes())
        tensors, layout = {}, []
        for group_index, group in enumerate(self.optimiser.param_groups):
            for param_index, param in enumerate(group["params"]):
                for key, value in self.optimiser.state.get(param, {}).items():
                    name = f"{group_index}.{param_index}.{key}"
                    tensors[name] = value.detach().float().cpu().contiguous().reshape(value.shape)
                    layout.append(name)
        metadata = {"format": STATE_FORMAT, "step": str(self.step), "seconds": str(self.seconds),
                    "settings": json.dumps(asdict(self.settings))}
        write_atomic(state_path(path), save_tensors(tensors, metadata))

    def resume(self, path: Path) -> None:
        """Continue from the generator at ``path`` and its training state: weights, optimiser and step."""
        saved = read_generator(path, self.device)
        if saved.network.config != self.generator.network.config:
            raise InputError(f"{path}: its architecture {asdict(saved.network.config)} is not this run's")
        self.generator.network.load_state_dict(saved.network.state_dict())
        try:
            tensors = load_tensors(state_path(path).read_bytes())
            with safe_open(state_path(path), framework="pt") as handle:
                metadata = handle.metadata()
        except (OSError, SafetensorError, ValueError) as exc:
            raise ModelError(f"{state_path(path)}: cannot read the training state ({exc})") from None
        if metadata.get("format") != STATE_FORMAT:
            raise ModelError(f"{state_path(path)}: not a generator training state")
        for group_index, group in enumerate(self.optimiser.param_groups):
            for param_index, param in enumerate(group["params"]):
                state = {}
                for key in ("step", "exp_avg", "exp_avg_sq"):
                    name = f"{group_index}.{param_index}.{key}"
                    if name in tensors:
                        value = tensors[name]
                        state[key] = value if key == "step" else value.to(param.device).reshape(param.shape)
                if state:
                    self.optimiser.state[param] = state
        self.step, self.seconds = int(metadata["step"]), float(metadata["seconds"])


def state_path(path: Path) -> Path:
    """Where a generator's training state is kept: beside it, ``<name>.state``."""
    return path.with_name(path.name + ".state")


def train(trainer: Trainer, output: Path, steps: int | None, minutes: float | None,
          validate: Callable[[NoiseGenerator], dict] | None = None,
          on_step: Callable[[StepReport], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> dict | None:
    """Train until ``steps`` steps in all (a resumed run counts its earlier ones) or ``minutes`` of this run,
    checkpointing and validating every so often; the last validation figures."""
    if steps is None and minutes is None:
        raise InputError("give --steps or --minutes")
    deadline = None if minutes is None else time.perf_counter() + 60 * minutes
    validation = None
    settings = trainer.settings
    while steps is None or trainer.step < steps:
        if deadline is not None and _agreed(time.perf_counter() >= deadline):
            break
        if should_stop is not None and should_stop():
            break
        report = trainer.train_step()
        trainer.seconds += report.seconds
        if validate is not None and trainer.step % settings.validate_every == 0 and trainer.rank == 0:
            validation = validate(trainer.finished_generator())
            report.held = validation.get("held")
        if trainer.step % settings.checkpoint_every == 0:
            trainer.save(output, validation)
        if on_step is not None:
            on_step(report)
    if validate is not None and trainer.rank == 0:
        validation = validate(trainer.finished_generator())
    trainer.save(output, validation)
    return validation


def _agreed(flag: bool) -> bool:
    """In a distributed run, whether any process says so (so all stop at the same step)."""
    if _world()[1] == 1:
        return flag
    value = torch.tensor([int(flag)])
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def init_distributed() -> None:
    """Join the run torchrun started (its environment says so): gloo on CPUs, NCCL on GPUs."""
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1 \
            and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


