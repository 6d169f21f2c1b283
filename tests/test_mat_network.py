"""MAT's network alone: GuardPaint's generator against the official code on seeded weights, its configuration read
off the tensors, its random draws, gradients, bfloat16 and larger inputs.

The fixture ``tests/fixtures/mat-128-official.npz`` was made by ``scripts/fixtures/mat_official.py`` (its run is
in ``docs/mat-parity.log``): the official ``networks/mat.py`` (fenglinglwb/MAT, commit d273d89) built at the small
configuration of ``tests/mat_seeded.py``, fed its seeded weights with a strict load, IOPaint's latent and torch's
generator seeded with ``DROPOUT_SEED``, on the CPU.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from mat_seeded import DROPOUT_SEED, SEED, SMALL, network_inputs, seeded_case, seeded_state

from guardpaint.models.mat import MatConfig, MatGenerator, infer_config, shift_mask
from guardpaint.models.mat_family import iopaint_latent

FIXTURE = Path(__file__).parent / "fixtures" / "mat-128-official.npz"
#: The official generator at the released size (``Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=512,
#: img_channels=3, synthesis_kwargs={"use_noise": False})``, as IOPaint builds it): its 465 tensors' names and
#: shapes, sorted, one "name (shape)" a line, hashed; and its parameter count.
OFFICIAL_LAYOUT_SHA256 = "08325df063d8c79a79bc1813e94cc0e51d7e51fcf9f9e203dda81aeb8fd2dff0"
OFFICIAL_PARAMETERS = 61_562_507


@pytest.fixture(scope="module")
def official() -> dict[str, np.ndarray]:
    return dict(np.load(FIXTURE))


@pytest.fixture(scope="module")
def generator() -> MatGenerator:
    state = seeded_state()
    model = MatGenerator(infer_config(state))
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def case() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The seeded case: image, known pixels, IOPaint's latent (float32)."""
    image, known = network_inputs(*seeded_case())
    return image, known, torch.from_numpy(iopaint_latent(SMALL.z_dim)).float()


def run(generator: MatGenerator, image: torch.Tensor, known: torch.Tensor, latent: torch.Tensor,
        seed: int = DROPOUT_SEED) -> torch.Tensor:
    with torch.no_grad():
        return generator(image, known, latent, torch.Generator().manual_seed(seed))


def layout(state: dict[str, torch.Tensor]) -> str:
    lines = sorted(f"{name} {tuple(tensor.shape)}".replace(", ", ",") for name, tensor in state.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_reproduces_the_official_code(official, generator, case):
    image, known, latent = case
    rgb, hole = seeded_case()
    assert int(official["seed"]) == SEED and int(official["dropout_seed"]) == DROPOUT_SEED
    assert np.array_equal(official["rgb"], rgb) and np.array_equal(official["hole"], hole)
    assert np.array_equal(official["latent"], latent[0].numpy())
    output = run(generator, image, known, latent)[0]
    reference = torch.from_numpy(official["output"])
    assert reference[:, torch.from_numpy(hole)].std() > 0.3  # a lively fill, not a constant
    assert (output - reference).abs().max() < 1e-5


def test_iopaint_latent_is_numpys_first_draw_after_seeding_240():
    before = np.random.get_state()[1].copy()
    latent = iopaint_latent()
    assert latent.shape == (1, 512) and latent.dtype == np.float64
    assert np.array_equal(np.random.get_state()[1], before)  # numpy's global generator untouched
    np.random.seed(240)
    assert np.array_equal(latent, np.random.randn(1, 512))


def test_config_read_off_the_tensors():
    assert infer_config(seeded_state()) == SMALL
    with torch.device("meta"):
        full = MatGenerator(MatConfig()).state_dict()
        assert infer_config(full) == MatConfig()
        again = MatGenerator(infer_config(full))
    assert layout(full) == OFFICIAL_LAYOUT_SHA256
    assert {name: t.shape for name, t in again.state_dict().items()} == {name: t.shape for name, t in full.items()}
    assert sum(p.numel() for p in again.parameters()) == OFFICIAL_PARAMETERS
    assert all(t.is_meta for t in full.values())


def test_bad_configs_and_tensors_are_refused(generator, case):
    with pytest.raises(ValueError, match="multiple of its 6 attention heads"):
        MatConfig(resolution=128, dim=20, channels=SMALL.channels)
    with pytest.raises(ValueError, match="power of two"):
        MatConfig(resolution=96)
    with pytest.raises(ValueError, match="not a MAT generator"):
        infer_config({"encoder.b256.fromrgb.weight": torch.zeros(1)})
    state = seeded_state()
    del state["synthesis.to_style.fc.weight"]
    with pytest.raises(ValueError, match="not a MAT generator"):
        infer_config(state)
    with pytest.raises(ValueError, match="masks_like"):
        MatGenerator(SMALL, masks_like="comfyui")
    image, known, latent = case
    with pytest.raises(ValueError, match="multiples of 128"):
        generator(image[..., :96], known[..., :96], latent)


def test_the_draws_decide_the_fill(generator, case):
    image, known, latent = case
    first = run(generator, image, known, latent, seed=1)
    assert torch.equal(first, run(generator, image, known, latent, seed=1))
    other = run(generator, image, known, latent, seed=2)
    hole = known[0, 0] == 0
    assert (other - first)[0][:, hole].abs().mean() > 0.01
    assert torch.equal(other[0][:, ~hole], first[0][:, ~hole])
    torch.manual_seed(1)  # no generator given: torch's default one
    with torch.no_grad():
        assert torch.equal(generator(image, known, latent), first)


def test_iopaint_draws_the_coarse_mask_in_another_order(generator, case):
    image, known, latent = case
    iopaint = MatGenerator(SMALL, masks_like="iopaint")
    iopaint.load_state_dict(generator.state_dict())
    assert not torch.equal(run(iopaint, image, known, latent), run(generator, image, known, latent))
    pair, pair_known = torch.cat([image, image.flip(-1)]), torch.cat([known, known.flip(-1)])
    # The official code draws a batch's coarse mask token by token too.
    assert torch.equal(run(iopaint, pair, pair_known, latent), run(generator, pair, pair_known, latent))


def test_gradients_reach_the_known_pixels_only(generator, case):
    image, known, latent = case
    image = image.clone().requires_grad_(True)
    output = generator(image, known, latent, torch.Generator().manual_seed(DROPOUT_SEED))
    (output * (1 - known)).square().sum().backward()  # the fill alone
    grad = image.grad[0].abs().sum(dim=0)
    hole = known[0, 0] == 0
    assert torch.all(grad[hole] == 0)  # every path reads the image times the known mask
    assert (grad[~hole] > 0).float().mean() > 0.99


def test_bfloat16_runs_close_to_float32(generator, case):
    image, known, latent = case
    half = MatGenerator(SMALL)
    half.load_state_dict(generator.state_dict())
    half = half.to(torch.bfloat16)
    output = run(half, image.bfloat16(), known.bfloat16(), latent.bfloat16())
    assert output.dtype == torch.bfloat16
    difference = (output.float() - run(generator, image, known, latent)).abs()
    assert difference.mean() < 0.02 and difference.max() < 0.25


def test_twice_the_side_runs_and_keeps_the_known_pixels(generator, case):
    _, _, latent = case
    image, known = network_inputs(*seeded_case(2 * SMALL.resolution))
    output = run(generator, image, known, latent)
    hole = known[0, 0] == 0
    assert output.shape == image.shape and torch.isfinite(output).all()
    assert torch.equal(output[0][:, ~hole], image[0][:, ~hole])
    assert output[0][:, hole].std() > 0.3
    # A grid of another size recomputes the shifted windows' masks; at the resolution's own the buffers serve.
    block = generator.synthesis.first_stage.tran[0].blocks[1]
    assert torch.equal(block.attn_mask, shift_mask(64, 64, 8, 4))
