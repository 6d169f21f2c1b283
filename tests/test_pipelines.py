"""The attacker's editor, reproduced: IOPaint's crop boxes, its per-component crops, its resize rule."""
import numpy as np
import pytest
import torch
from PIL import Image

from guardpaint.cli import main
from guardpaint.core.editor.geometry import Box, component_boxes, crop_box
from guardpaint.core.editor.inpaint import Editor
from guardpaint.core.editor.transfers import to_uint8
from guardpaint.core.editor.views import iopaint_views

from conftest import make_photo, make_tiny_generator


def crop_boxes(mask):
    """The boxes of the editor's per-component crops."""
    return [view.box for view in iopaint_views(mask, "crop")]


@pytest.mark.parametrize("component,expected", [
    (Box(20, 1500, 80, 1560), Box(0, 1284, 316, 1600)),  # past the top and right edges: shifted inward
    (Box(500, 700, 560, 761), Box(372, 572, 688, 888)),  # odd width 317: the crop is 1 px narrower
    (Box(1100, 10, 1199, 40), Box(846, 0, 1200, 286)),  # past the bottom and left edges (odd height)
    (Box(0, 0, 1200, 1600), Box(0, 0, 1200, 1600)),  # larger than the image: clipped to it
])
def test_crop_box_follows_iopaint(component, expected):
    assert crop_box(component, (1200, 1600)) == expected


def test_each_component_gets_its_own_crop_in_contour_order():
    mask = np.zeros((900, 1000), bool)
    mask[100:150, 100:180] = True
    mask[600:700, 700:760] = True
    mask[620:640, 720:740] = False  # a hole: still one external contour
    boxes = component_boxes(mask)
    assert sorted(boxes, key=lambda b: b.top) == [Box(100, 100, 150, 180), Box(600, 700, 700, 760)]
    assert boxes[0].top == 600  # OpenCV lists the lower component first; IOPaint pastes in that order
    assert [b.height for b in crop_boxes(mask)] == [356, 306]


def test_output_is_truncated_like_numpy_on_x86():
    assert to_uint8(np.array([254.9, -1.7, 256.4, 10.0])).tolist() == [254, 255, 0, 10]


@pytest.fixture(scope="module")
def model():
    from guardpaint.models.lama_family import LamaInpainter

    return LamaInpainter(make_tiny_generator(seed=2), "tiny", "cpu")


def test_inpaint_above_800_px_equals_cropping_the_iopaint_box_yourself(model, tmp_path):
    photo = make_photo(1200, 1600, seed=3)
    mask = np.zeros((1200, 1600), bool)
    mask[30:90, 1480:1560] = True  # near the top-right corner: the box slides inward
    image, mask_path, out = tmp_path / "big.png", tmp_path / "mask.png", tmp_path / "edited.png"
    Image.fromarray(photo).save(image)
    Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)
    torch.save(model.generator.state_dict(), tmp_path / "tiny.pth")
    assert main(["inpaint", str(image), "--mask", str(mask_path), "-o", str(out), "--model",
                 str(tmp_path / "tiny.pth")]) == 0
    edited = np.array(Image.open(out))
    (box,) = crop_boxes(mask)
    assert box == Box(0, 1264, 316, 1600)
    by_hand = photo.copy()
    by_hand[box.slices] = Editor(model, "full").inpaint(photo[box.slices], mask[box.slices])
    assert np.abs(edited.astype(int) - by_hand).max() <= 1
    assert (edited[~mask] == photo[~mask]).all()
    far = photo.copy()
    far[600:, :600] = 0  # outside the crop the editor never looks
    assert (Editor(model).inpaint(far, mask)[mask] == edited[mask]).all()


def test_small_images_are_inpainted_whole_and_never_resized(model):
    photo = make_photo(300, 400, seed=1)
    mask = np.zeros((300, 400), bool)
    mask[100:150, 200:260] = True
    whole = Editor(model, "full").inpaint(photo, mask)
    assert (Editor(model).inpaint(photo, mask) == whole).all()  # auto, at most 800 px: the whole frame
    assert (Editor(model, "resize").inpaint(photo, mask) == whole).all()  # at most 1280 px: never resized
    assert not (Editor(model, "crop").inpaint(photo, mask) == whole).all()  # a crop by hand sees less


def test_resize_applies_above_the_limit_and_pastes_only_the_mask(model):
    photo = make_photo(1000, 1400, seed=5)
    mask = np.zeros((1000, 1400), bool)
    mask[400:500, 600:720] = True
    resized = Editor(model, "resize").inpaint(photo, mask)
    assert (resized[~mask] == photo[~mask]).all()
    assert not (resized[mask] == Editor(model, "full").inpaint(photo, mask)[mask]).all()
