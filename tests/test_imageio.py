"""Image and mask input of every mode, and faithful, atomic output in every format."""
import io

import numpy as np
import pytest
from PIL import Image

from guardpaint.core.io.files import write_atomic
from guardpaint.core.io.formats import OutputFormat, check_storable, decode_image, encode_image, format_for
from guardpaint.core.io.images import LoadedImage, load_image, load_mask, save_mask
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import ProtectionSettings
from guardpaint.errors import InputError


def save_png(path, rgb, template=None):
    return write_atomic(path, encode_image(rgb, template))


def _write(tmp_path, name, img, **kw):
    path = tmp_path / name
    img.save(path, **kw)
    return path


def test_rgb_png_round_trip_keeps_pixels_icc_and_dpi(tmp_path, photo):
    icc = b"fake-but-opaque-icc-bytes" * 4
    path = _write(tmp_path, "in.png", Image.fromarray(photo), icc_profile=icc, dpi=(300, 300))
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded.rgb, photo)
    out = tmp_path / "out.png"
    save_png(out, loaded.rgb, template=loaded)
    with Image.open(out) as reread:
        assert reread.info.get("icc_profile") == icc
        assert tuple(round(v) for v in reread.info["dpi"]) == (300, 300)
        np.testing.assert_array_equal(np.array(reread), photo)


def test_alpha_is_kept_aside_and_restored(tmp_path, photo):
    alpha = np.tile(np.linspace(0, 255, photo.shape[1]).astype(np.uint8), (photo.shape[0], 1))
    path = _write(tmp_path, "rgba.png", Image.fromarray(np.dstack([photo, alpha]), "RGBA"))
    loaded = load_image(path)
    assert loaded.rgb.shape == photo.shape
    np.testing.assert_array_equal(loaded.alpha, alpha)
    reread = np.array(Image.open(io.BytesIO(encode_image(loaded.rgb, loaded))))
    np.testing.assert_array_equal(reread[..., 3], alpha)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16", "LA", "1"])
def test_other_modes_become_rgb(tmp_path, photo, mode):
    base = Image.fromarray(photo)
    if mode == "I;16":
        img = Image.fromarray(np.array(base.convert("L")).astype(np.uint16) * 257)
        suffix = ".png"
    else:
        img = base.convert(mode)
        suffix = ".jpg" if mode == "CMYK" else ".png"
    loaded = load_image(_write(tmp_path, f"img{suffix}", img))
    assert loaded.rgb.shape == photo.shape and loaded.rgb.dtype == np.uint8
    if mode == "I;16":
        np.testing.assert_array_equal(loaded.rgb[..., 0], np.array(base.convert("L")))


def test_exif_orientation_is_applied(tmp_path, photo):
    img = Image.fromarray(photo)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 CW when displayed
    loaded = load_image(_write(tmp_path, "rot.jpg", img, exif=exif, quality=95))
    assert loaded.rgb.shape == (photo.shape[1], photo.shape[0], 3)


def test_bad_files_are_one_line_input_errors(tmp_path, photo):
    truncated = tmp_path / "cut.png"
    data = io.BytesIO()
    Image.fromarray(photo).save(data, format="PNG")
    truncated.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    text = tmp_path / "notes.png"
    text.write_text("hello")
    cases = [(truncated, "truncated"), (text, "not one of the images"), (tmp_path / "none.png", "no such file")]
    for path, pattern in cases:
        with pytest.raises(InputError, match=pattern) as info:
            load_image(path)
        assert "\n" not in str(info.value)


def test_tiny_image_rejected(tmp_path):
    with pytest.raises(InputError, match="smaller than"):
        load_image(_write(tmp_path, "t.png", Image.new("RGB", (4, 30))))


def test_mask_threshold_size_check_and_round_trip(tmp_path, mask):
    gray = np.where(mask, 128, 127).astype(np.uint8)
    path = _write(tmp_path, "m.png", Image.fromarray(gray))
    np.testing.assert_array_equal(load_mask(path), mask)
    with pytest.raises(InputError, match="mask is 80x64 but the image is 81x64"):
        load_mask(path, (81, 64))
    saved = save_mask(tmp_path / "saved.png", mask)
    np.testing.assert_array_equal(load_mask(saved, (80, 64)), mask)


def test_output_formats_follow_the_suffix():
    assert format_for("a.png") == OutputFormat("png") and format_for("a.WEBP").kind == "webp"
    assert format_for("a.jpeg", 80) == OutputFormat("jpeg", 80) and format_for("a.jpg").quality == 90
    for bad, quality in (("a.gif", None), ("a", None), ("a.png", 80), ("a.jpg", 0)):
        with pytest.raises(InputError):
            format_for(bad, quality)


@pytest.mark.parametrize("kind", ["png", "webp", "jpeg"])
def test_every_format_keeps_icc_dpi_exif_and_greyness(tmp_path, photo, kind):
    icc = b"fake-but-opaque-icc-bytes" * 4
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "Camera Maker", 6  # make, and a rotation to apply
    path = _write(tmp_path, "in.jpg", Image.fromarray(photo), icc_profile=icc, dpi=(300, 300), exif=exif.tobytes())
    loaded = load_image(path)
    assert loaded.rgb.shape == (photo.shape[1], photo.shape[0], 3)  # orientation applied
    data = encode_image(loaded.rgb, loaded, OutputFormat(kind))
    with Image.open(io.BytesIO(data)) as reread:
        assert reread.info.get("icc_profile") == icc
        tags = reread.getexif()
        assert tags.get(0x010F) == "Camera Maker" and tags.get(0x0112) in (None, 1)
        dpi = tuple(round(v) for v in reread.info.get("dpi", ()))
        assert round(float(tags.get(282, 0))) == 300  # EXIF XResolution: the one place WebP has for it
        assert kind == "webp" or dpi == (300, 300)
    if kind != "jpeg":
        np.testing.assert_array_equal(decode_image(data), loaded.rgb)  # lossless
    grey = load_image(_write(tmp_path, "grey.png", Image.fromarray(photo).convert("L")))
    assert grey.grey
    with Image.open(io.BytesIO(encode_image(grey.rgb, grey, OutputFormat(kind)))) as reread:
        assert reread.mode == ("L" if kind != "webp" else "RGB")  # WebP has no greyscale mode


def test_jpeg_refuses_transparency_and_16_bit_input_is_announced(tmp_path, photo):
    rgba = load_image(_write(tmp_path, "a.png", Image.fromarray(np.dstack([photo, photo[..., 0]]), "RGBA")))
    with pytest.raises(InputError, match="transparency"):
        check_storable(rgba, OutputFormat("jpeg"))  # what the door runs (protection request, inpaint)
    with pytest.raises(InputError, match="transparency"):
        ProtectionRequest.checked(rgba, np.ones(photo.shape[:2], bool) & (np.arange(photo.shape[1]) < 9),
                                  ProtectionSettings(), OutputFormat("jpeg"))
    import cv2

    cv2.imwrite(str(tmp_path / "rgb16.png"), photo.astype(np.uint16) * 257)
    assert any("16-bit" in note for note in load_image(tmp_path / "rgb16.png").notes)


def test_failed_write_keeps_the_previous_file(tmp_path, photo, monkeypatch):
    out = tmp_path / "out.png"
    out.write_bytes(b"previous")
    import guardpaint.core.io.files as files

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError):
        save_png(out, photo)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_lossless_webp_keeps_the_colour_under_transparent_pixels(photo):
    alpha = np.full(photo.shape[:2], 255, np.uint8)
    alpha[:, :20] = 0  # transparent, with colour underneath
    data = encode_image(photo, LoadedImage(photo, alpha=alpha), OutputFormat("webp"))
    with Image.open(io.BytesIO(data)) as img:
        rgba = np.array(img.convert("RGBA"))
    assert (rgba[..., :3] == photo).all() and (rgba[..., 3] == alpha).all()


def test_a_dark_16_bit_image_stays_dark(tmp_path):
    dark = (np.arange(64 * 80).reshape(64, 80) % 200).astype(np.uint16)  # at most 199 of 65535
    Image.fromarray(dark).save(tmp_path / "dark16.png")
    loaded = load_image(tmp_path / "dark16.png")
    assert loaded.rgb.max() <= 1 and any("16" in note for note in loaded.notes)
