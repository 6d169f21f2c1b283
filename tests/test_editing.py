"""edit(x, k) semantics of docs/method.md: masking, padding, blending, cropping."""
import numpy as np
import pytest
import torch

from guardpaint.core.editor.differentiable import edit, pad_symmetric
from guardpaint.core.editor.inpaint import Editor
from guardpaint.models.base import Inpainter


class _Padding:
    """Just an Inpainter's padding rule (:meth:`Inpainter.padded_shape` reads only these)."""

    padded_shape = Inpainter.padded_shape

    def __init__(self, multiple: int, square: bool = False, min_side: int = 0) -> None:
        self.pad_multiple, self.pad_square, self.min_side = multiple, square, min_side


def _iopaint_padded_shape(height: int, width: int, mod: int, square: bool, min_size: int) -> tuple[int, int]:
    """IOPaint 1.6's ``pad_img_to_modulo`` sizes (helper.py), written out as it reads."""
    out_height, out_width = -(-height // mod) * mod, -(-width // mod) * mod
    if min_size:
        out_height, out_width = max(min_size, out_height), max(min_size, out_width)
    if square:
        out_height = out_width = max(out_height, out_width)
    return out_height, out_width


@pytest.mark.parametrize("height,width", [(16, 16), (17, 23), (9, 31)])
@pytest.mark.parametrize("rule", [(8, False, 0), (512, True, 512)], ids=["lama", "migan"])
def test_pad_symmetric_matches_numpy(height, width, rule):
    """LaMa's multiple of 8, and MI-GAN's 512 px square (many mirrorings of a small crop), as numpy pads."""
    x = torch.rand(1, 2, height, width)
    padded = pad_symmetric(x, _Padding(*rule))
    out_height, out_width = _iopaint_padded_shape(height, width, *rule)
    assert padded.shape[-2:] == (out_height, out_width)
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), (0, out_height - height), (0, out_width - width)),
                      mode="symmetric")
    np.testing.assert_array_equal(padded.numpy(), expected)


@pytest.mark.parametrize("height,width", [(64, 80), (37, 53), (30, 41)])
def test_unmasked_pixels_unchanged_and_size_kept(tiny_model, height, width):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = np.zeros((height, width), bool)
    mask[5:20, 7:25] = True
    out = Editor(tiny_model).inpaint(rgb, mask)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~mask], rgb[~mask])
    assert not np.array_equal(out[mask], rgb[mask])


def test_masked_content_is_invisible_to_the_model(tiny_model):
    """Changing pixels under the mask cannot change the edit: the trigger lives in the context."""
    x = torch.rand(1, 3, 32, 40)
    k = torch.zeros(1, 1, 32, 40)
    k[..., 8:20, 10:30] = 1
    y = x.clone()
    y[..., 8:20, 10:30] = torch.rand(1, 3, 12, 20)
    with torch.no_grad():
        torch.testing.assert_close(edit(tiny_model, x, k) * k, edit(tiny_model, y, k) * k)


def test_edit_matches_manual_pad_predict_blend_crop(tiny_model, tiny_generator):
    x = torch.rand(1, 3, 30, 41)
    k = (torch.rand(1, 1, 30, 41) > 0.6).float()
    xp = torch.from_numpy(np.pad(x.numpy(), ((0, 0), (0, 0), (0, 2), (0, 7)), mode="symmetric"))
    kp = torch.from_numpy(np.pad(k.numpy(), ((0, 0), (0, 0), (0, 2), (0, 7)), mode="symmetric"))
    with torch.no_grad():
        pred = tiny_generator(torch.cat([xp * (1 - kp), kp], 1))
        expected = (kp * pred + (1 - kp) * xp)[..., :30, :41]
        torch.testing.assert_close(edit(tiny_model, x, k), expected)


def test_batched_edits_equal_single_edits(tiny_model):
    x = torch.rand(1, 3, 32, 32)
    masks = (torch.rand(3, 1, 32, 32) > 0.5).float()
    with torch.no_grad():
        batched = edit(tiny_model, x.expand(3, -1, -1, -1), masks)
        single = torch.cat([edit(tiny_model, x, m[None]) for m in masks])
    torch.testing.assert_close(batched, single, atol=1e-5, rtol=1e-5)
