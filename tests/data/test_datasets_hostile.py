"""Data loaders against hostile and unusual input: every Pillow mode, Pillow's warnings, sizes that would
exhaust memory, undecodable labels, objects in .npz files, wrong argument types.

Every failure must be a DatasetError (a DeepstepError, so a ValueError) of one line naming the argument;
never an OSError, UnicodeError, MemoryError, TypeError or a warning on the terminal.
"""

import argparse
import io
import struct
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from _picture_helpers import Image, write_cat_file

import deepstep as ds
from deepstep import datasets, limits
from deepstep.cli import fraction_arg, main, size_arg
from deepstep.datasets import (
    DatasetError,
    load_cat_dataset,
    load_csv,
    load_dataset,
    load_image,
    load_image_folder,
    load_npz,
    make_blobs,
    make_circles,
    make_moons,
    make_planar,
)


def one_line_error(match, fn, *args, **kwargs):
    """fn(*args, **kwargs) raises a one-line DatasetError matching ``match``, and no warning escapes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DatasetError, match=match) as exc:
            fn(*args, **kwargs)
    assert isinstance(exc.value, ds.DeepstepError) and isinstance(exc.value, ValueError)
    assert "\n" not in str(exc.value), str(exc.value)
    assert exc.value.__cause__ is None or isinstance(exc.value.__cause__, DatasetError)
    assert [str(w.message) for w in caught] == []
    return str(exc.value)


def read(path, h, w):
    """load_image at the picture's own size, as (h, w, 3), with no warning let through."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = load_image(path, size=(h, w))
    assert [str(c.message) for c in caught] == []
    assert x.shape == (h * w * 3, 1) and x.dtype == np.float64
    assert x.min() >= 0 and x.max() <= 1
    return x.reshape(h, w, 3)


def gray3(values):
    """A grey picture as RGB: the same value in the three channels."""
    return np.repeat(np.asarray(values, dtype=np.float64)[..., np.newaxis], 3, axis=2)


def saved(im, path, mode, **kwargs):
    """Save ``im`` and check that Pillow reopens it in ``mode`` (so the test really exercises that mode)."""
    im.save(path, **kwargs)
    with Image.open(path) as again:
        assert again.mode == mode
    return path


RNG = np.random.default_rng(2024)
H, W = 5, 7


# -- every Pillow mode, against values computed here --------------------------------------------


def test_mode_1_black_and_white(tmp_path):
    bits = RNG.random((H, W)) < 0.5
    path = saved(Image.fromarray(bits), tmp_path / "bw.png", "1")
    np.testing.assert_array_equal(read(path, H, W), gray3(bits.astype(float)))


def test_mode_L_8_bit_grey(tmp_path):
    v = RNG.integers(0, 256, (H, W), dtype=np.uint8)
    v[0, :2] = (0, 255)
    path = saved(Image.fromarray(v), tmp_path / "grey.png", "L")
    np.testing.assert_array_equal(read(path, H, W), gray3(v / 255))


def test_mode_LA_grey_with_alpha_drops_the_alpha(tmp_path):
    v = RNG.integers(0, 256, (H, W), dtype=np.uint8)
    alpha = RNG.integers(0, 256, (H, W), dtype=np.uint8)
    alpha[0, 0] = 0  # fully transparent: its grey value is still read
    im = Image.frombytes("LA", (W, H), np.stack([v, alpha], axis=-1).tobytes())
    path = saved(im, tmp_path / "grey_alpha.png", "LA")
    np.testing.assert_array_equal(read(path, H, W), gray3(v / 255))


def test_mode_RGBA_drops_the_alpha(tmp_path):
    rgb = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
    alpha = RNG.integers(0, 256, (H, W, 1), dtype=np.uint8)
    alpha[0, 0] = 0
    path = saved(Image.fromarray(np.concatenate([rgb, alpha], axis=-1)), tmp_path / "rgba.png", "RGBA")
    np.testing.assert_array_equal(read(path, H, W), rgb / 255)


def palette_picture(n_colours=6):
    idx = RNG.integers(0, n_colours, (H, W), dtype=np.uint8)
    idx.flat[:n_colours] = np.arange(n_colours)  # every entry used
    palette = RNG.integers(0, 256, (n_colours, 3), dtype=np.uint8)
    im = Image.frombytes("P", (W, H), idx.tobytes())
    im.putpalette(palette.ravel().tolist())
    return im, palette[idx] / 255  # the palette's RGB / 255, looked up here


def test_mode_P_palette(tmp_path):
    im, expected = palette_picture()
    np.testing.assert_array_equal(read(saved(im, tmp_path / "p.png", "P"), H, W), expected)
    np.testing.assert_array_equal(read(saved(im, tmp_path / "p.gif", "P"), H, W), expected)


def test_mode_P_with_one_transparent_entry(tmp_path):
    im, expected = palette_picture()
    path = saved(im, tmp_path / "p_trns.png", "P", transparency=3)
    with Image.open(path) as again:
        assert again.info["transparency"] == 3
    np.testing.assert_array_equal(read(path, H, W), expected)  # the transparent entry keeps its colour
    np.testing.assert_array_equal(read(saved(im, tmp_path / "p_trns.gif", "P", transparency=2), H, W), expected)


def test_mode_P_with_alpha_per_entry_reads_without_pillow_warning(tmp_path):
    """Pillow warns "Palette images with Transparency expressed in bytes ..." when such a picture goes to RGB."""
    im, expected = palette_picture()
    path = saved(im, tmp_path / "p_alphas.png", "P", transparency=bytes([255, 0, 128, 255, 10, 255]))
    with Image.open(path) as again:
        assert isinstance(again.info["transparency"], bytes)
    np.testing.assert_array_equal(read(path, H, W), expected)  # read() fails on any warning


def test_mode_RGB_is_unchanged(tmp_path):
    rgb = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
    path = saved(Image.fromarray(rgb), tmp_path / "rgb.png", "RGB")
    np.testing.assert_array_equal(read(path, H, W), rgb / 255)


def test_mode_CMYK(tmp_path):
    cmyk = RNG.integers(0, 256, (H, W, 4), dtype=np.uint8)
    cmyk[0, 0], cmyk[0, 1], cmyk[0, 2] = (0, 0, 0, 0), (255, 255, 255, 0), (0, 0, 0, 255)
    path = saved(Image.frombytes("CMYK", (W, H), cmyk.tobytes()), tmp_path / "cmyk.tif", "CMYK")
    c, m, y, k = np.moveaxis(cmyk / 255, -1, 0)
    # R = (1 - C)(1 - K), G = (1 - M)(1 - K), B = (1 - Y)(1 - K), which Pillow rounds to 8 bits
    expected = np.stack([(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)], axis=-1)
    got = read(path, H, W)
    np.testing.assert_allclose(got, expected, rtol=0, atol=0.5 / 255 + 1e-12)
    np.testing.assert_array_equal(got[0, :3], [[1, 1, 1], [0, 0, 0], [0, 0, 0]])


SIXTEEN = np.array([0, 1, 255, 256, 257, 1000, 32768, 40000, 65534, 65535], dtype=np.uint16)


def sixteen_bit_values():
    v = RNG.integers(0, 65536, (H, W), dtype=np.uint16)
    v.flat[: SIXTEEN.size] = SIXTEEN
    return v


def test_mode_I16_png_is_scaled_by_65535_not_clipped(tmp_path):
    v = sixteen_bit_values()
    path = saved(Image.fromarray(v), tmp_path / "grey16.png", "I;16")
    got = read(path, H, W)
    np.testing.assert_allclose(got, gray3(v / 65535), rtol=0, atol=1e-15)
    assert np.unique(got).size == np.unique(v).size  # no two 16-bit levels merged


def test_mode_I16_tiff(tmp_path):
    v = sixteen_bit_values()
    path = saved(Image.fromarray(v), tmp_path / "grey16.tif", "I;16")
    np.testing.assert_allclose(read(path, H, W), gray3(v / 65535), rtol=0, atol=1e-15)


def test_mode_I16B_big_endian_tiff(tmp_path):
    v = sixteen_bit_values()
    im = Image.frombytes("I;16B", (W, H), v.astype(">u2").tobytes())
    path = saved(im, tmp_path / "grey16b.tif", "I;16B")
    np.testing.assert_allclose(read(path, H, W), gray3(v / 65535), rtol=0, atol=1e-15)


def test_mode_I_32_bit_holding_16_bit_values(tmp_path):
    v = sixteen_bit_values().astype(np.int32)
    path = saved(Image.fromarray(v), tmp_path / "grey32.tif", "I")
    np.testing.assert_allclose(read(path, H, W), gray3(v / 65535), rtol=0, atol=1e-15)


@pytest.mark.parametrize("bad", [70000, -1])
def test_mode_I_beyond_16_bits_is_refused(tmp_path, bad):
    v = sixteen_bit_values().astype(np.int32)
    v[2, 3] = bad
    path = saved(Image.fromarray(v), tmp_path / "grey32.tif", "I")
    one_line_error(rf"path: expected .*0\.\.65535.*grey32.tif.*{bad}", load_image, path, size=(H, W))


def test_mode_F_float_in_0_1(tmp_path):
    v = RNG.random((H, W)).astype(np.float32)
    v[0, :2] = (0, 1)
    path = saved(Image.fromarray(v), tmp_path / "float.tif", "F")
    np.testing.assert_array_equal(read(path, H, W), gray3(v.astype(np.float64)))


@pytest.mark.parametrize("bad", [1.5, -0.25, np.nan, np.inf])
def test_mode_F_beyond_0_1_is_refused(tmp_path, bad):
    v = RNG.random((H, W)).astype(np.float32)
    v[1, 1] = bad
    path = saved(Image.fromarray(v), tmp_path / "float.tif", "F")
    one_line_error(r"path: expected .*in \[0, 1\].*float.tif", load_image, path, size=(H, W))


@pytest.mark.parametrize("level", [1000, 40000, 65535])
@pytest.mark.parametrize("size", [(4, 4), (16, 12)])
def test_16_bit_resizing_keeps_16_bit_precision(tmp_path, level, size):
    path = saved(Image.fromarray(np.full((8, 8), level, np.uint16)), tmp_path / "flat16.png", "I;16")
    got = read(path, *size)
    np.testing.assert_allclose(got, level / 65535, rtol=0, atol=1e-6)  # 8 bits would be off by up to 2e-3


def test_16_bit_levels_closer_than_one_8_bit_step_stay_apart_when_resized(tmp_path):
    v = np.full((4, 16), 30000, np.uint16)
    v[:, 8:] = 30100  # both are 117 in 8 bits
    path = saved(Image.fromarray(v), tmp_path / "steps16.png", "I;16")
    got = read(path, 4, 8)
    np.testing.assert_allclose(got[:, 0], 30000 / 65535, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[:, -1], 30100 / 65535, rtol=0, atol=1e-6)


def test_a_folder_mixing_modes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rgb = RNG.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a" / "rgb.png")
    Image.fromarray(np.full((6, 6), 40000, np.uint16)).save(tmp_path / "b" / "grey16.png")
    im, expected = palette_picture()
    im.save(tmp_path / "b" / "palette.png", transparency=bytes([255, 0, 128, 255, 10, 255]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, Y, classes = load_image_folder(tmp_path, size=(6, 6))
        again = load_image_folder(tmp_path, size=(H, W))[0]
    assert caught == [] and classes == ["a", "b"] and Y.tolist() == [[0, 1, 1]]
    assert X.shape == (108, 3) and X.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], rgb.ravel() / 255)
    np.testing.assert_allclose(X[:, 1], 40000 / 65535, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(again[:, 2], expected.ravel())
    for j, name in enumerate(["a/rgb.png", "b/grey16.png"]):
        np.testing.assert_array_equal(load_image(tmp_path / name, size=(6, 6)), X[:, [j]])


# -- Pillow's warnings and huge pictures ---------------------------------------------------------


def png_claiming(width, height):
    """A PNG header saying width x height 8-bit grey, followed by a few bytes of picture data only."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100))


def test_a_truncated_picture_claiming_100_million_pixels_warns_nothing(tmp_path):
    """Pillow warns (DecompressionBombWarning) above 89.5 million pixels, then the read fails."""
    (tmp_path / "huge.png").write_bytes(png_claiming(10_000, 10_000))
    message = one_line_error(r"path: .*huge.png.*10000 x 10000", load_image, tmp_path / "huge.png")
    assert "100000000 pixels" in message


def test_a_truncated_picture_claiming_billions_of_pixels(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_claiming(60_000, 60_000))
    one_line_error(r"path: .*huge.png.*3600000000 pixels", load_image, tmp_path / "huge.png")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("RGB", (3, 3)).save(tmp_path / "a" / "fine.png")
    (tmp_path / "b" / "huge.png").write_bytes(png_claiming(60_000, 60_000))
    one_line_error(r"path: .*huge.png", load_image_folder, tmp_path)


def test_deepstep_has_its_own_pixel_limit_below_pillows(tmp_path):
    assert datasets.MAX_PICTURE_PIXELS <= Image.MAX_IMAGE_PIXELS
    (tmp_path / "big.png").write_bytes(png_claiming(9000, 9000))  # Pillow says nothing about 81 million
    one_line_error(rf"path: expected a picture of at most {datasets.MAX_PICTURE_PIXELS} pixels .*9000 x 9000",
                   load_image, tmp_path / "big.png")


def test_pixel_limit_is_checked_on_real_pictures(tmp_path, monkeypatch):
    Image.new("RGB", (40, 40), (1, 2, 3)).save(tmp_path / "p.png")
    monkeypatch.setattr(limits, "MAX_PICTURE_PIXELS", 1000)
    one_line_error(r"path: expected a picture of at most 1000 pixels .*40 x 40", load_image, tmp_path / "p.png")


def test_pillows_own_warning_becomes_a_dataset_error(tmp_path, monkeypatch):
    """With Image.MAX_IMAGE_PIXELS lowered, a real 40 x 40 picture sets off Pillow's decompression-bomb warning."""
    Image.new("RGB", (40, 40), (1, 2, 3)).save(tmp_path / "p.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # warns above 1000 pixels, refuses above 2000
    one_line_error(r"path: Pillow .*p.png.*decompression bomb", load_image, tmp_path / "p.png")


def test_any_other_pillow_warning_becomes_a_dataset_error(tmp_path, monkeypatch):
    from PIL import ImageOps

    Image.new("RGB", (4, 4)).save(tmp_path / "p.png")
    real = ImageOps.exif_transpose

    def warning_transpose(im, **kwargs):
        warnings.warn("Possibly corrupt EXIF data", UserWarning, stacklevel=1)
        return real(im, **kwargs)

    monkeypatch.setattr(ImageOps, "exif_transpose", warning_transpose)
    one_line_error(r"path: Pillow .*p.png.*Possibly corrupt EXIF data", load_image, tmp_path / "p.png")


# -- bounds on sizes and fractions ----------------------------------------------------------------


def test_image_size_has_an_upper_bound(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "p.png")
    one_line_error(r"size: expected at most 4096 x 4096 pixels.*\(100000, 100000\)", load_image,
                   tmp_path / "p.png", size=(100_000, 100_000))
    one_line_error(r"size: expected at most 4096 x 4096", load_image, tmp_path / "p.png", size=(4097, 1))
    one_line_error(r"size: expected at most 4096 x 4096", load_image_folder, tmp_path, size=(1, 4097))
    one_line_error(r"image_size: expected at most 4096 x 4096", load_dataset, tmp_path, image_size=(5000, 64))
    assert datasets.MAX_IMAGE_SIDE == 4096


def test_a_folder_that_would_not_fit_in_memory_is_refused_before_reading(tmp_path, monkeypatch):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for k in range(3):
            Image.new("RGB", (4, 4)).save(tmp_path / cls / f"{k}.png")
    assert load_image_folder(tmp_path, size=(4, 4))[0].shape == (48, 6)
    monkeypatch.setattr(limits, "MAX_VALUES", 6 * 48 - 1)
    one_line_error(r"^size: expected at most 287 values .*6 pictures of 4 x 4 x 3 = 288 values", load_image_folder,
                   tmp_path, size=(4, 4))
    one_line_error(r"^image_size: expected at most 287 values", load_dataset, tmp_path, image_size=(4, 4))


def test_cli_image_size_has_the_same_bound(capsys):
    assert size_arg("4096x4096") == (4096, 4096) and size_arg("64X32") == (64, 32)
    for bad in ("100000x100000", "4097x64", "64x4097", "0x64", "64", "axb", "64x64x3"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"HEIGHTxWIDTH .*4096x4096") as exc:
            size_arg(bad)
        assert repr(bad) in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(SystemExit) as stop:
        main(["train", "moons", "--image-size", "100000x100000"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--image-size" in err and "4096x4096" in err


def test_cli_test_fraction_too_close_to_1_is_one_line(tmp_path, capsys):
    assert main(["train", "--dataset", "moons", "--test-fraction", "0.999999999", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "test_fraction: expected at most 10000000 test examples" in err


def test_cli_fraction_parser():
    assert fraction_arg("0.2") == 0.2
    for bad in ("0", "1", "1.5", "nan", "inf", "-0.1", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"expected a number between 0 and 1"):
            fraction_arg(bad)


@pytest.mark.parametrize("make", [make_planar, make_moons, make_circles, make_blobs])
def test_generated_sets_have_an_upper_bound_on_m(make):
    assert datasets.MAX_EXAMPLES == 10_000_000
    for m in (10_000_001, 10**12):
        one_line_error(r"^m: expected at most 10000000 examples", make, m=m, rng=0)


def test_dispatcher_refuses_a_generated_set_too_big_for_memory():
    one_line_error(r"^m: expected at most 10000000", load_dataset, "moons", m=10**12, rng=0)


@pytest.mark.parametrize("fraction", [0.999999999, 0.99999])
def test_a_test_fraction_near_1_is_refused_for_generated_sets(fraction):
    """m_test = round(m f / (1 - f)): 4e11 examples for 0.999999999, 40 million for 0.99999."""
    message = one_line_error(r"^test_fraction: expected at most 10000000 test examples.*test set of \d+ examples",
                             load_dataset, "moons", test_fraction=fraction, rng=0)
    assert repr(fraction) in message


def test_a_test_fraction_that_fits_is_still_fine():
    data = load_dataset("moons", m=10, test_fraction=0.9, rng=0)
    assert data.test_X.shape == (2, 90)


def test_a_file_split_leaving_no_training_example_is_refused(tmp_path):
    m = 50
    np.savez(tmp_path / "d.npz", X=np.vstack([np.arange(m), -np.arange(m)]), Y=np.arange(m) % 5 == 0)
    message = one_line_error(r"^test_fraction: ", load_dataset, tmp_path / "d.npz", test_fraction=0.999999999,
                             rng=0)
    assert "0.999999999" in message and "no training example" in message and "m = 50" in message
    # the other side: too few examples to hold any out
    message = one_line_error(r"^test_fraction: expected enough examples", load_dataset, tmp_path / "d.npz",
                             test_fraction=0.001, rng=0)
    assert "no test example" in message


# -- .npz labels and objects ----------------------------------------------------------------------


def test_npz_byte_labels_that_are_not_utf8(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 3)), Y=np.array([b"caf\xe9", b"dog", b"caf\xe9"]))
    one_line_error(r"^Y in .*d.npz.*: expected UTF-8 text labels.*byte", load_npz, tmp_path / "d.npz")
    one_line_error(r"^Y in .*d.npz.*UTF-8", load_dataset, tmp_path / "d.npz")


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_utf8_byte_labels_still_read(tmp_path, save):
    save(tmp_path / "d.npz", X=np.ones((2, 3)), Y=np.array(["café".encode(), b"dog", "café".encode()]))
    X, Y, classes = load_npz(tmp_path / "d.npz")
    assert classes == ["café", "dog"] and Y.tolist() == [[0, 1, 0]]
    save(tmp_path / "e.npz", X=np.ones((2, 3)), Y=np.array([0, 1, 0]), classes=np.array(["é".encode(), b"b"]))
    assert load_npz(tmp_path / "e.npz")[2] == ["é", "b"]


def test_npz_class_names_that_are_not_utf8(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 3)), Y=np.array([0, 1, 0]), classes=np.array([b"\xff\xfe", b"b"]))
    one_line_error(r"^classes: expected UTF-8 .*d.npz", load_npz, tmp_path / "d.npz")


@pytest.mark.parametrize("key", ["X", "Y", "classes"])
def test_npz_object_arrays_are_refused_naming_the_array(tmp_path, key):
    arrays = {"X": np.ones((2, 3)), "Y": np.array([0, 1, 0]), "classes": np.array(["a", "b"])}
    arrays[key] = np.array([1, "two", None], dtype=object)
    np.savez(tmp_path / "d.npz", **arrays)
    message = one_line_error(rf"^{key}: .*d.npz.*object", load_npz, tmp_path / "d.npz")
    assert "pickle" in message


def npz_with_raw_member(path, name, header, data=b"\0" * 64):
    """A .npz whose ``name``.npy has the given header dict and only ``data`` after it; the other of X and Y is fine."""
    raw = io.BytesIO()
    np.lib.format.write_array_header_1_0(raw, header)
    raw.write(data)
    other = "Y" if name == "X" else "X"
    good = io.BytesIO()
    np.save(good, np.array([0, 1, 0]) if other == "Y" else np.ones((2, 3)))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}.npy", raw.getvalue())
        z.writestr(f"{other}.npy", good.getvalue())


def test_npz_header_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    header = {"descr": "<f8", "fortran_order": False, "shape": (1_000_000, 1_000_000)}
    npz_with_raw_member(tmp_path / "d.npz", "X", header)
    one_line_error(r"^X: .*d.npz.*\(1000000, 1000000\)", load_npz, tmp_path / "d.npz")
    npz_with_raw_member(tmp_path / "e.npz", "Y", {"descr": "<i8", "fortran_order": False, "shape": (10**11,)})
    one_line_error(r"^Y: .*e.npz", load_npz, tmp_path / "e.npz")


def test_npz_header_claiming_more_than_the_file_holds(tmp_path):
    npz_with_raw_member(tmp_path / "d.npz", "X", {"descr": "<f8", "fortran_order": False, "shape": (2, 3000)})
    one_line_error(r"^X: expected 48000 bytes of data in .*d.npz.*got 64", load_npz, tmp_path / "d.npz")


def test_npz_arrays_have_an_upper_bound(tmp_path, monkeypatch):
    np.savez(tmp_path / "d.npz", X=np.ones((10, 30)), Y=np.arange(30) % 2)
    assert load_npz(tmp_path / "d.npz")[0].shape == (10, 30)
    monkeypatch.setattr(limits, "MAX_VALUES", 299)
    one_line_error(r"^X: expected at most 299 values .*d.npz.*\(10, 30\)", load_npz, tmp_path / "d.npz")


# -- other argument kinds ------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", ["", ";;", "\n", '"', 5, None])
def test_csv_delimiter_must_be_one_character(tmp_path, delimiter):
    (tmp_path / "d.csv").write_text("a,label\n1,x\n2,y\n")
    one_line_error(r"^delimiter: expected one character", load_csv, tmp_path / "d.csv", delimiter=delimiter)


@pytest.mark.parametrize("fn", [load_npz, load_csv, load_image, load_image_folder, load_dataset])
@pytest.mark.parametrize("bad", [None, 3.5, b"\xff.npz"])
def test_paths_of_the_wrong_type(fn, bad):
    name = "name_or_path" if fn is load_dataset else "path"
    one_line_error(rf"^{name}: expected .*path", fn, bad)


def test_cat_folder_of_the_wrong_type():
    one_line_error(r"^data_dir: expected .*path", load_cat_dataset, 5)


def test_generator_arguments_give_dataset_errors():
    one_line_error(r"^rng: ", make_moons, m=10, rng="seed")
    one_line_error(r"^rng: ", load_dataset, "planar", rng="seed")
    one_line_error(r"^m: expected a positive integer", make_planar, m="many")
    one_line_error(r"^m: expected a positive integer", load_dataset, "circles", m=0)
    one_line_error(r"^noise: ", make_blobs, noise=-1)
    one_line_error(r"^n_classes: ", make_blobs, n_classes=1)
    one_line_error(r"^factor: ", make_circles, factor=2)
    one_line_error(r"^test_fraction: ", load_dataset, "moons", test_fraction="0.2")


# -- the cat files -------------------------------------------------------------------------------------


def cat_files(folder, classes=(b"non-cat", b"cat"), x=None):
    x = np.zeros((2, 64, 64, 3), np.uint8) if x is None else x
    for prefix in ("train", "test"):
        write_cat_file(folder / f"{prefix}_catvnoncat.h5", prefix, x, np.array([0, 1]), classes)


def test_cat_class_names_that_are_not_utf8(tmp_path):
    cat_files(tmp_path, classes=(b"non-cat", b"\xffcat"))
    one_line_error(r"^data_dir: expected .*'list_classes' .*train_catvnoncat.h5.*UTF-8", load_cat_dataset, tmp_path)


def test_cat_file_declaring_a_huge_array_is_refused_before_reading(tmp_path):
    cat_files(tmp_path, x=(10**7, 64, 64, 3))  # 123 GB declared in a 10 kB file
    one_line_error(r"^data_dir: expected at most \d+ pictures in 'train_set_x' .*10000000", load_cat_dataset, tmp_path)


def test_cat_file_with_a_group_where_the_pictures_belong(tmp_path):
    cat_files(tmp_path, x="group")
    one_line_error(r"^data_dir: expected 'train_set_x' .*to be an array", load_cat_dataset, tmp_path)
