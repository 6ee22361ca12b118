"""Data sets: the cat pictures, the toy generators, user files and the dispatcher."""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from _picture_helpers import Image, h5py, write_cat_file
from hypothesis import given, settings
from hypothesis import strategies as st

import deepstep as ds
from conftest import needs_cats
from deepstep import datasets
from deepstep.datasets import (
    Dataset,
    DatasetError,
    column_to_image,
    load_cat_dataset,
    load_csv,
    load_dataset,
    load_image,
    load_image_folder,
    load_npz,
    make_blobs,
    make_circles,
    make_gaussian,
    make_moons,
    make_planar,
    make_spiral,
    make_xor,
)

TOYS = [make_planar, make_moons, make_circles, make_blobs, make_spiral, make_xor, make_gaussian]
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# -- the real cat files (DEEPSTEP_DATA) ----------------------------------------------------



@pytest.fixture(scope="module")
def real_cats():
    return load_cat_dataset()


@needs_cats
def test_real_cat_files_shapes_values_and_published_counts(real_cats):
    train_X, train_Y, test_X, test_Y, classes = real_cats
    assert train_X.shape == (12288, 209) and test_X.shape == (12288, 50)
    assert train_Y.shape == (1, 209) and test_Y.shape == (1, 50)
    assert train_X.dtype == np.float64 and test_X.dtype == np.float64
    assert train_Y.dtype == np.int64 and test_Y.dtype == np.int64
    for X in (train_X, test_X):
        assert X.min() >= 0 and X.max() <= 1
    assert classes == ["non-cat", "cat"]
    # published in the data README: train 72 cats / 137 non-cats, test 33 / 17
    assert (int(train_Y.sum()), int((train_Y == 0).sum())) == (72, 137)
    assert (int(test_Y.sum()), int((test_Y == 0).sum())) == (33, 17)
    # mean pixel value (0..255 units): train 103.01, test 107.37
    assert train_X.mean() * 255 == pytest.approx(103.01, abs=0.005)
    assert test_X.mean() * 255 == pytest.approx(107.37, abs=0.005)


@needs_cats
def test_real_cat_columns_are_the_flattened_pictures(real_cats):
    train_X, train_Y, test_X, test_Y, _ = real_cats
    folder = Path(os.environ["DEEPSTEP_DATA"])
    for X, Y, name, prefix in ((train_X, train_Y, "train_catvnoncat.h5", "train"),
                               (test_X, test_Y, "test_catvnoncat.h5", "test")):
        with h5py.File(folder / name, "r") as f:
            x, y = f[f"{prefix}_set_x"][()], f[f"{prefix}_set_y"][()]
        np.testing.assert_array_equal(X, x.reshape(x.shape[0], -1).T / 255)
        np.testing.assert_array_equal(Y[0], y)
        for j in (0, 7, x.shape[0] - 1):
            np.testing.assert_array_equal(column_to_image(X[:, j]), x[j])
            np.testing.assert_array_equal(column_to_image(X[:, [j]], shape=(64, 64, 3)), x[j])


@needs_cats
def test_real_cats_by_argument_and_through_the_dispatcher(real_cats, monkeypatch):
    folder = os.environ["DEEPSTEP_DATA"]
    monkeypatch.delenv("DEEPSTEP_DATA")
    again = load_cat_dataset(folder)
    for a, b in zip(real_cats[:4], again[:4], strict=True):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setenv("DEEPSTEP_DATA", folder)
    data = load_dataset("cats")
    assert data.kind == "image" and data.image_shape == (64, 64, 3) and data.classes == ["non-cat", "cat"]
    np.testing.assert_array_equal(data.test_X, real_cats[2])
    np.testing.assert_array_equal(data.train_Y, real_cats[1])


# -- cat files made here ------------------------------------------------------------------


def small_cats(folder, m_train=3, m_test=2, seed=0):
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, (m_train, 64, 64, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (m_test, 64, 64, 3), dtype=np.uint8)
    y_train, y_test = np.arange(m_train) % 2, np.arange(m_test) % 2
    folder.mkdir(exist_ok=True)
    write_cat_file(folder / "train_catvnoncat.h5", "train", x_train, y_train)
    write_cat_file(folder / "test_catvnoncat.h5", "test", x_test, y_test)
    return x_train, y_train, x_test, y_test


def test_small_cat_files_load_as_columns(tmp_path):
    x_train, y_train, x_test, y_test = small_cats(tmp_path / "cats")
    train_X, train_Y, test_X, test_Y, classes = load_cat_dataset(tmp_path / "cats")
    assert train_X.shape == (12288, 3) and test_X.shape == (12288, 2)
    for j in range(3):  # column j is picture j, flattened row by row, channel last
        np.testing.assert_array_equal(train_X[:, j], x_train[j].ravel() / 255)
        assert train_X[5, j] == x_train[j, 0, 1, 2] / 255
    np.testing.assert_array_equal(test_X[:, 1] * 255, x_test[1].ravel())
    np.testing.assert_array_equal(train_Y, y_train[np.newaxis, :])
    np.testing.assert_array_equal(test_Y, y_test[np.newaxis, :])
    assert classes == ["non-cat", "cat"] and all(type(c) is str for c in classes)


def test_cat_folder_comes_from_the_environment(tmp_path, monkeypatch):
    x_train, *_ = small_cats(tmp_path / "cats")
    monkeypatch.setenv("DEEPSTEP_DATA", str(tmp_path / "cats"))
    np.testing.assert_array_equal(load_cat_dataset()[0][:, 2] * 255, x_train[2].ravel())


def test_unset_variable_says_how_to_set_it(monkeypatch):
    monkeypatch.delenv("DEEPSTEP_DATA", raising=False)
    with pytest.raises(DatasetError, match=r"data_dir: expected the folder holding train_catvnoncat.h5") as exc:
        load_cat_dataset()
    assert "DEEPSTEP_DATA" in str(exc.value)
    assert isinstance(exc.value, ds.DeepstepError) and isinstance(exc.value, ValueError)


def test_missing_folder_names_where_it_looked(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("DEEPSTEP_DATA", str(missing))
    with pytest.raises(DatasetError, match="does not exist") as exc:
        load_cat_dataset()
    assert str(missing) in str(exc.value) and "from DEEPSTEP_DATA" in str(exc.value)
    with pytest.raises(DatasetError, match="does not exist") as exc:
        load_cat_dataset(missing)
    assert "DEEPSTEP_DATA" not in str(exc.value)


def test_missing_file_lists_the_folder(tmp_path):
    small_cats(tmp_path)
    (tmp_path / "test_catvnoncat.h5").unlink()
    with pytest.raises(DatasetError, match=r"expected test_catvnoncat.h5 in .*not there.*train_catvnoncat.h5"):
        load_cat_dataset(tmp_path)


LFS_POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:7f2b4b0c6bb41bbb7e4b4ab4ae1ad3e8d2e4e3b2e1c0b9a8f7e6d5c4b3a29180\nsize 2572022\n")
HTML_PAGE = b"\n<!DOCTYPE html>\n<html lang='en'><head><title>datasets/train_catvnoncat.h5</title></head></html>\n"


@pytest.mark.parametrize(
    "content, expected",
    [
        (LFS_POINTER, r"looks like a Git LFS pointer .*2572022-byte file.*git lfs pull"),
        (HTML_PAGE, r"looks like an HTML page"),
        (b"", r"it is empty"),
        (b"just some bytes, not HDF5 at all", r"does not start with the HDF5 signature"),
    ],
)
def test_files_that_are_not_hdf5_are_named_and_explained(tmp_path, content, expected):
    small_cats(tmp_path)
    (tmp_path / "train_catvnoncat.h5").write_bytes(content)
    with pytest.raises(DatasetError, match=expected) as exc:
        load_cat_dataset(tmp_path)
    assert "train_catvnoncat.h5" in str(exc.value) and "expected" in str(exc.value)


def test_hdf5_signature_is_what_tells(tmp_path):
    small_cats(tmp_path)
    assert (tmp_path / "train_catvnoncat.h5").read_bytes()[:8] == HDF5_SIGNATURE
    # the signature followed by garbage passes the sniffing but not h5py
    (tmp_path / "test_catvnoncat.h5").write_bytes(HDF5_SIGNATURE + b"\0" * 100)
    with pytest.raises(DatasetError, match=r"expected a readable HDF5 file at .*test_catvnoncat.h5"):
        load_cat_dataset(tmp_path)


def test_missing_key_and_wrong_shapes(tmp_path):
    x, y = np.zeros((2, 64, 64, 3), np.uint8), np.array([0, 1])
    small_cats(tmp_path)
    write_cat_file(tmp_path / "train_catvnoncat.h5", "train", x, y, skip=("train_set_y",))
    with pytest.raises(DatasetError, match=r"expected the key\(s\) \['train_set_y'\] .*found keys"):
        load_cat_dataset(tmp_path)
    write_cat_file(tmp_path / "train_catvnoncat.h5", "train", np.zeros((2, 32, 32, 3), np.uint8), y)
    with pytest.raises(DatasetError, match=r"'train_set_x' .*shape \(m, 64, 64, 3\), got array of shape \(2, 32"):
        load_cat_dataset(tmp_path)
    write_cat_file(tmp_path / "train_catvnoncat.h5", "train", x, np.array([0, 1, 1]))
    with pytest.raises(DatasetError, match=r"'train_set_y' .*2 integer labels"):
        load_cat_dataset(tmp_path)
    write_cat_file(tmp_path / "train_catvnoncat.h5", "train", x, np.array([0, 2]))
    with pytest.raises(DatasetError, match=r"labels 0/1"):
        load_cat_dataset(tmp_path)
    # a test file written with the train keys
    write_cat_file(tmp_path / "train_catvnoncat.h5", "train", x, y)
    write_cat_file(tmp_path / "test_catvnoncat.h5", "train", x, y)
    with pytest.raises(DatasetError, match=r"\['test_set_x', 'test_set_y'\] in .*test_catvnoncat.h5"):
        load_cat_dataset(tmp_path)


def test_missing_h5py_names_the_extra(tmp_path, monkeypatch):
    small_cats(tmp_path)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(DatasetError, match=r"h5py is needed.*pip install 'deepstep\[data\]'"):
        load_cat_dataset(tmp_path)


def test_column_to_image_checks_its_input():
    x = np.arange(12) / 11
    image = column_to_image(x, shape=(2, 2, 3))
    assert image.dtype == np.uint8 and image.shape == (2, 2, 3)
    np.testing.assert_array_equal(image.ravel(), np.rint(np.arange(12) * 255 / 11))
    with pytest.raises(ds.DeepstepError, match=r"x: expected one column of 12 values"):
        column_to_image(np.ones(13) / 2, shape=(2, 2, 3))
    with pytest.raises(ds.DeepstepError, match=r"x: expected one column"):
        column_to_image(np.ones((12, 2)) / 2, shape=(2, 2, 3))
    with pytest.raises(ds.DeepstepError, match=r"x: expected values in \[0, 1\].*255"):
        column_to_image(np.arange(12) * 20.0, shape=(2, 2, 3))


# -- toy generators ---------------------------------------------------------------------


@pytest.mark.parametrize("make", TOYS)
@pytest.mark.parametrize("m", [400, 7, 2])
def test_toy_shapes_dtypes_and_balanced_labels(make, m):
    X, Y = make(m=m, rng=0)
    assert X.shape == (2, m) and Y.shape == (1, m)
    assert X.dtype == np.float64 and Y.dtype == np.int64
    assert np.isfinite(X).all()
    counts = np.bincount(Y[0], minlength=2)
    assert len(counts) == 2 and counts.min() >= 1 and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("make", TOYS)
def test_toy_determinism_and_no_global_state(make):
    np.random.seed(2024)  # noqa: NPY002 -- the global state must stay untouched
    before = np.random.get_state()  # noqa: NPY002
    a, b = make(m=50, rng=3), make(m=50, rng=3)
    np.testing.assert_array_equal(a[0], b[0])
    g1, g2 = make(m=50, rng=np.random.default_rng(9)), make(m=50, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(g1[0], g2[0])
    r = make(m=50, rng=np.random.RandomState(3))
    np.testing.assert_array_equal(r[0], a[0])  # an int seed is a RandomState(seed)
    assert not np.array_equal(make(m=50, rng=4)[0], a[0])
    assert not np.array_equal(make(m=50, rng=None)[0], make(m=50, rng=None)[0])
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def course_planar():
    """The course's load_planar_dataset(), with its np.random.seed(1) as a RandomState(1)."""
    rs = np.random.RandomState(1)
    m, N, a = 400, 200, 4
    X, Y = np.zeros((m, 2)), np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rs.randn(N) * 0.2
        r = a * np.sin(4 * t) + rs.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_planar_is_the_course_flower():
    X, Y = make_planar(m=400, rng=1)
    Xc, Yc = course_planar()
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(Y, Yc)


def test_planar_gives_class_0_half_of_m_rounded_down():
    _, Y = make_planar(m=7, rng=0)
    assert Y.tolist() == [[0, 0, 0, 1, 1, 1, 1]]


def test_planar_points_lie_on_the_rose_without_noise():
    X, Y = make_planar(m=100, noise=0.0, rng=0)
    x, y = X
    theta = np.concatenate([np.linspace(0, 3.12, 50), np.linspace(3.12, 6.24, 50)])
    r = 4 * np.sin(4 * theta)
    np.testing.assert_allclose(x, r * np.sin(theta), atol=1e-12)
    np.testing.assert_allclose(y, r * np.cos(theta), atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planar_beats_a_straight_line_only_with_a_hidden_layer(seed):
    X, Y = make_planar(m=400, rng=seed)
    line = ds.DeepNetwork([2, 1], init="zeros")
    line.fit(X, Y, learning_rate=1.2, num_iterations=300)
    assert line.accuracy(X, Y) <= 0.60
    hidden = ds.DeepNetwork([2, 4, 1], hidden_activation="tanh", rng=2)
    hidden.fit(X, Y, learning_rate=1.2, num_iterations=2000)
    assert hidden.accuracy(X, Y) >= 0.85


def test_moons_without_noise_are_two_centred_half_circles():
    X, Y = make_moons(m=200, noise=0.0, rng=0)
    up, down = X[:, Y[0] == 0], X[:, Y[0] == 1]
    np.testing.assert_allclose(np.hypot(up[0] + 0.5, up[1] + 0.25), 1, atol=1e-12)
    np.testing.assert_allclose(np.hypot(down[0] - 0.5, down[1] - 0.25), 1, atol=1e-12)
    assert (up[1] >= -0.25 - 1e-12).all() and (down[1] <= 0.25 + 1e-12).all()
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-12)


def test_circles_radii_and_factor():
    X, Y = make_circles(m=100, noise=0.0, rng=0, factor=0.3)
    radius = np.hypot(*X)
    np.testing.assert_allclose(radius[Y[0] == 0], 1, atol=1e-12)
    np.testing.assert_allclose(radius[Y[0] == 1], 0.3, atol=1e-12)
    noisy, _ = make_circles(m=2000, noise=0.05, rng=0)
    assert np.std(noisy - make_circles(m=2000, noise=0.0)[0]) == pytest.approx(0.05, rel=0.1)
    with pytest.raises(ds.DeepstepError, match=r"factor: expected a number with 0 < factor < 1"):
        make_circles(factor=1.5)


def test_blobs_classes_centres_and_spread():
    X, Y = make_blobs(m=3000, noise=0.5, rng=0, n_classes=3)
    assert np.bincount(Y[0]).tolist() == [1000, 1000, 1000]
    clean, _ = make_blobs(m=3000, noise=0.0, rng=0, n_classes=3)
    centres = np.stack([clean[:, Y[0] == k][:, 0] for k in range(3)], axis=1)
    for k in range(3):  # without noise every point of a class is its centre, 2.5 from the origin
        np.testing.assert_array_equal(clean[:, Y[0] == k], np.repeat(centres[:, [k]], 1000, axis=1))
        np.testing.assert_allclose(X[:, Y[0] == k].mean(axis=1), centres[:, k], atol=0.06)
        np.testing.assert_allclose(X[:, Y[0] == k].std(axis=1), 0.5, rtol=0.1)
    np.testing.assert_allclose(np.hypot(*centres), 2.5)
    assert len({tuple(np.round(c, 6)) for c in centres.T}) == 3
    with pytest.raises(ds.DeepstepError, match=r"n_classes: expected at least 2"):
        make_blobs(n_classes=1)
    with pytest.raises(ds.DeepstepError, match=r"m: expected at least 5 examples"):
        make_blobs(m=4, n_classes=5)


@pytest.mark.parametrize("make", TOYS)
@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"m": 0}, r"m: expected a positive integer"),
        ({"m": 1}, r"m: expected at least 2 examples"),
        ({"m": 2.5}, r"m: expected a positive integer"),
        ({"noise": -0.1}, r"noise: expected a finite number >= 0"),
        ({"noise": float("nan")}, r"noise: expected a finite number >= 0"),
        ({"rng": "seed"}, r"rng: expected None, an int seed from 0 to 2\*\*32 - 1"),
    ],
)
def test_toy_bad_arguments(make, kwargs, expected):
    with pytest.raises(ds.DeepstepError, match=expected):
        make(**kwargs)


# -- .npz files ---------------------------------------------------------------------------


def test_npz_columns_rows_and_label_shapes(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 10))
    labels = np.array([0, 1] * 5)
    for name, stored_X, stored_Y in [
        ("cols.npz", X, labels[np.newaxis, :]),
        ("rows.npz", X.T, labels),
        ("rows_m1.npz", X.T.astype(np.float32), labels[:, np.newaxis]),
    ]:
        np.savez(tmp_path / name, X=stored_X, Y=stored_Y)
        X2, Y2, classes = load_npz(tmp_path / name)
        np.testing.assert_allclose(X2, X, rtol=1e-7)
        assert X2.dtype == np.float64 and X2.shape == (3, 10)
        np.testing.assert_array_equal(Y2, labels[np.newaxis, :])
        assert Y2.dtype == np.int64 and classes == ["0", "1"]


def test_npz_label_values_become_sorted_classes(tmp_path):
    X = np.arange(8.0).reshape(2, 4)
    np.savez(tmp_path / "words.npz", X=X, Y=np.array(["dog", "cat", "dog", "bird"]))
    _, Y, classes = load_npz(tmp_path / "words.npz")
    assert classes == ["bird", "cat", "dog"] and Y.tolist() == [[2, 1, 2, 0]]
    np.savez(tmp_path / "signs.npz", X=X, Y=np.array([1, -1, -1, 1]))
    _, Y, classes = load_npz(tmp_path / "signs.npz")
    assert classes == ["-1", "1"] and Y.tolist() == [[1, 0, 0, 1]]
    np.savez(tmp_path / "named.npz", X=X, Y=np.array([1, 1, 0, 1]), classes=np.array(["no", "yes"]))
    _, Y, classes = load_npz(tmp_path / "named.npz")
    assert classes == ["no", "yes"] and Y.tolist() == [[1, 1, 0, 1]]


@settings(max_examples=25, deadline=None)
@given(n0=st.integers(1, 6), m=st.integers(2, 9), rows=st.booleans(), flat=st.booleans())
def test_npz_orientation_follows_the_labels(n0, m, rows, flat):
    X = np.arange(n0 * m, dtype=np.float64).reshape(n0, m)
    Y = np.arange(m) % 2
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.npz"
        np.savez(path, X=X.T if rows else X, Y=Y if flat else Y[np.newaxis, :])
        if n0 == m > 1:  # a square X: its orientation cannot be told, so it is refused ...
            with pytest.raises(DatasetError) as e:
                load_npz(path)
            assert str(e.value).startswith("X:") and "X_rows" in str(e.value)
            np.savez(path, X_rows=X.T, Y=Y)  # ... and given as X_rows, one example per row, it is read
        X2, Y2, _ = load_npz(path)
    # rows when only the first axis matches the labels
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(Y2[0], Y)


def test_npz_errors(tmp_path):
    with pytest.raises(DatasetError, match=r"path: expected a .npz file .*does not exist"):
        load_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "keys.npz", features=np.ones((2, 3)), Y=np.array([0, 1, 0]))
    with pytest.raises(DatasetError, match=r"missing \['X'\]; found \['Y', 'features'\]"):
        load_npz(tmp_path / "keys.npz")
    np.savez(tmp_path / "len.npz", X=np.ones((2, 3)), Y=np.array([0, 1, 0, 1]))
    with pytest.raises(DatasetError, match=r"X: expected shape \(n0, 4\) .* or \(4, n0\) .*got shape \(2, 3\)"):
        load_npz(tmp_path / "len.npz")
    np.savez(tmp_path / "text.npz", X=np.array([["a", "b"], ["c", "d"]]), Y=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"X: expected numeric features .*dtype <U1"):
        load_npz(tmp_path / "text.npz")
    np.savez(tmp_path / "nan.npz", X=np.array([[1.0, np.nan]]), Y=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"X: expected finite values .*1 NaN or inf"):
        load_npz(tmp_path / "nan.npz")
    np.savez(tmp_path / "one.npz", X=np.ones((2, 3)), Y=np.array([1, 1, 1]))
    with pytest.raises(DatasetError, match=r"expected at least two different labels"):
        load_npz(tmp_path / "one.npz")
    np.savez(tmp_path / "idx.npz", X=np.ones((2, 3)), Y=np.array([0, 1, 2]), classes=np.array(["a", "b"]))
    with pytest.raises(DatasetError, match=r"Y: expected class indices 0..1"):
        load_npz(tmp_path / "idx.npz")
    (tmp_path / "fake.npz").write_text("X,Y\n1,0\n")
    with pytest.raises(DatasetError, match=r"expected a readable .npz file"):
        load_npz(tmp_path / "fake.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(DatasetError, match=r"got a single array"):
        load_npz(tmp_path / "single.npy")


# -- .csv files ---------------------------------------------------------------------------


def test_csv_label_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\ufeffx1,label,x2\n1.5,dog,2\n-3,cat,4e-1\n\n0,dog,7\n", encoding="utf-8")
    X, Y, classes = load_csv(path)
    np.testing.assert_array_equal(X, [[1.5, -3, 0], [2, 0.4, 7]])
    assert X.dtype == np.float64 and Y.dtype == np.int64
    assert classes == ["cat", "dog"] and Y.tolist() == [[1, 0, 1]]
    with pytest.raises(DatasetError, match=r"label: expected numeric features .*'dog' on line 2"):
        load_csv(path, label_column="x2")
    last = tmp_path / "last.csv"
    last.write_text('a,b,kind\n1,2,10\n3,"4",9\n5,6,10\n')
    X, Y, classes = load_csv(last)
    np.testing.assert_array_equal(X, [[1, 3, 5], [2, 4, 6]])
    assert classes == ["9", "10"] and Y.tolist() == [[1, 0, 1]]  # numbers sort by value
    X, Y, classes = load_csv(last, label_column="a")
    np.testing.assert_array_equal(X, [[2, 4, 6], [10, 9, 10]])
    assert classes == ["1", "3", "5"] and Y.tolist() == [[0, 1, 2]]
    semi = tmp_path / "semi.csv"
    semi.write_text("a;label\n0.5;1\n1.5;0\n")
    X, Y, classes = load_csv(semi, delimiter=";")
    assert X.tolist() == [[0.5, 1.5]] and Y.tolist() == [[1, 0]] and classes == ["0", "1"]


@pytest.mark.parametrize(
    "text, kwargs, expected",
    [
        ("a,label\n1,x\nfoo,y\n", {}, r"a: expected numeric features .*'foo' on line 3"),
        ("a,label\n1,x\n,y\n", {}, r"a: expected a finite number .*'' on line 3"),
        ("a,label\n1,x\ninf,y\n", {}, r"a: expected a finite number .*'inf' on line 3"),
        ("a,b,label\n1,2,x\n3,y\n", {}, r"expected 3 fields on every row .*got 2 on line 3"),
        ("a,label\n1,x\n2,y\n", {"label_column": "kind"}, r"label_column: expected one of .*\['a', 'label'\]"),
        ("", {}, r"expected a header row and data rows .*empty file"),
        ("a,label\n", {}, r"expected data rows after the header"),
        ("a\n1\n", {}, r"expected at least two columns"),
        ("a,label\n1,x\n2,x\n", {}, r"expected at least two different labels .*\['x'\]"),
        ("a,label\n1,x\n2, \n", {}, r"label: expected a label .*empty cell on line 3"),
    ],
)
def test_csv_errors(tmp_path, text, kwargs, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=expected):
        load_csv(path, **kwargs)


def test_csv_missing_file(tmp_path):
    with pytest.raises(DatasetError, match=r"path: expected a CSV file .*does not exist"):
        load_csv(tmp_path / "none.csv")


# -- pictures -----------------------------------------------------------------------------


def picture(rng, h=8, w=8):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_image_folder_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    pics = {("dog", "b.png"): picture(rng), ("dog", "a.png"): picture(rng), ("cat", "z.png"): picture(rng)}
    for (cls, name), arr in pics.items():
        (tmp_path / cls).mkdir(exist_ok=True)
        Image.fromarray(arr).save(tmp_path / cls / name)
    (tmp_path / "dog" / "notes.txt").write_text("not a picture")
    (tmp_path / ".thumbnails").mkdir()
    X, Y, classes = load_image_folder(tmp_path, size=(8, 8))
    assert classes == ["cat", "dog"] and Y.tolist() == [[0, 1, 1]] and Y.dtype == np.int64
    order = [("cat", "z.png"), ("dog", "a.png"), ("dog", "b.png")]
    stack = np.stack([pics[k] for k in order])
    np.testing.assert_array_equal(X, stack.reshape(3, -1).T / 255)
    assert X.dtype == np.float64 and X.shape == (8 * 8 * 3, 3)
    for j, key in enumerate(order):
        np.testing.assert_array_equal(column_to_image(X[:, j], shape=(8, 8, 3)), pics[key])
        np.testing.assert_array_equal(load_image(tmp_path / key[0] / key[1], size=(8, 8)), X[:, [j]])


def test_pictures_are_resized_to_height_width_and_made_rgb(tmp_path):
    top_red = np.zeros((10, 20, 3), np.uint8)
    top_red[:5] = (255, 0, 0)
    top_red[5:] = (0, 0, 255)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(top_red).save(tmp_path / "a" / "halves.png")
    Image.new("L", (7, 3), color=77).save(tmp_path / "b" / "grey.png")
    Image.new("RGBA", (5, 5), color=(10, 20, 30, 128)).save(tmp_path / "b" / "alpha.png")
    X, Y, _ = load_image_folder(tmp_path, size=(4, 6))
    assert X.shape == (4 * 6 * 3, 3)
    halves = column_to_image(X[:, 0], shape=(4, 6, 3)).astype(int)
    assert (halves[:2, :, 0] > halves[:2, :, 2]).all() and (halves[2:, :, 0] < halves[2:, :, 2]).all()
    assert (halves[0, :, 0] > 200).all() and (halves[-1, :, 2] > 200).all() and not halves[..., 1].any()
    np.testing.assert_array_equal(column_to_image(X[:, 1], shape=(4, 6, 3)), np.full((4, 6, 3), [10, 20, 30]))
    np.testing.assert_array_equal(column_to_image(X[:, 2], shape=(4, 6, 3)), np.full((4, 6, 3), 77))
    x = load_image(tmp_path / "a" / "halves.png", size=(4, 6))
    assert x.shape == (72, 1)
    np.testing.assert_array_equal(x, X[:, [0]])
    # the same picture turned on its side: red on the left, blue on the right
    Image.fromarray(np.ascontiguousarray(top_red.transpose(1, 0, 2))).save(tmp_path / "side.png")
    side = column_to_image(load_image(tmp_path / "side.png", size=(4, 6)), shape=(4, 6, 3)).astype(int)
    assert (side[:, :3, 0] > side[:, :3, 2]).all() and (side[:, 3:, 0] < side[:, 3:, 2]).all()


def test_load_image_turns_the_picture_upright(tmp_path):
    left_red = np.zeros((4, 6, 3), np.uint8)
    left_red[:, :3] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: shown rotated 90 degrees clockwise
    Image.fromarray(left_red).save(tmp_path / "phone.png", exif=exif)
    upright = column_to_image(load_image(tmp_path / "phone.png", size=(6, 4)), shape=(6, 4, 3))
    assert (upright[:3, :, 0] == 255).all() and (upright[3:, :, 0] == 0).all()


def test_picture_errors(tmp_path):
    with pytest.raises(DatasetError, match=r"path: expected a picture file, got .*does not exist"):
        load_image(tmp_path / "none.png")
    (tmp_path / "broken.png").write_bytes(b"not a picture at all")
    with pytest.raises(DatasetError, match=r"expected a picture Pillow can read, got .*broken.png"):
        load_image(tmp_path / "broken.png")
    with pytest.raises(ds.DeepstepError, match=r"size: expected \(height, width\)"):
        load_image(tmp_path / "broken.png", size=64)
    with pytest.raises(ds.DeepstepError, match=r"size: expected two positive integers"):
        load_image(tmp_path / "broken.png", size=(0, 64))


def test_image_folder_errors(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match=r"expected a folder with one sub-folder .*does not exist"):
        load_image_folder(tmp_path / "none")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(DatasetError, match=r"expected a folder .*is a file"):
        load_image_folder(tmp_path / "file.png")
    (tmp_path / "cat").mkdir()
    with pytest.raises(DatasetError, match=r"expected at least two class sub-folders .*got \['cat'\]"):
        load_image_folder(tmp_path)
    (tmp_path / "dog").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "cat" / "c.png")
    (tmp_path / "dog" / "readme.txt").write_text("no pictures here")
    with pytest.raises(DatasetError, match=r"expected pictures \(.png, .jpg.*\) in the class folder .*dog.*got none"):
        load_image_folder(tmp_path)
    (tmp_path / "dog" / "d.jpg").write_bytes(b"\xff\xd8 broken jpeg")
    with pytest.raises(DatasetError, match=r"expected a picture Pillow can read, got .*d.jpg"):
        load_image_folder(tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(DatasetError, match=r"Pillow is needed.*pip install 'deepstep\[data\]'"):
        load_image_folder(tmp_path)


# -- the dispatcher -----------------------------------------------------------------------


@pytest.mark.parametrize("name, make", [("planar", make_planar), ("moons", make_moons), ("circles", make_circles),
                                        ("blobs", make_blobs), ("spiral", make_spiral), ("xor", make_xor),
                                        ("gaussian", make_gaussian)])
def test_named_toy_sets_draw_train_then_test_from_one_generator(name, make):
    data = load_dataset(name, m=120, rng=5)
    assert isinstance(data, Dataset)
    assert data.kind == "points" and data.image_shape is None and data.name == name and data.classes == ["0", "1"]
    assert data.train_X.shape == (2, 120) and data.test_X.shape == (2, 30)  # test: 20% of all
    gen = np.random.RandomState(5)
    train_X, train_Y = make(m=120, rng=gen)
    test_X, test_Y = make(m=30, rng=gen)
    np.testing.assert_array_equal(data.train_X, train_X)
    np.testing.assert_array_equal(data.test_X, test_X)
    np.testing.assert_array_equal(data.train_Y, train_Y)
    np.testing.assert_array_equal(data.test_Y, test_Y)
    again = load_dataset(name.upper(), m=120, rng=5)
    np.testing.assert_array_equal(again.test_X, data.test_X)
    assert not np.array_equal(load_dataset(name, m=120, rng=6).train_X, data.train_X)
    assert repr(data).startswith(f"Dataset(name='{name}'") and "(2, 120)" in repr(data)


def test_dispatcher_passes_noise_and_test_fraction():
    data = load_dataset("circles", m=60, noise=0.0, rng=0, test_fraction=0.5)
    assert data.test_X.shape == (2, 60)
    np.testing.assert_allclose(np.hypot(*data.test_X)[data.test_Y[0] == 0], 1, atol=1e-12)
    none = load_dataset("circles", m=60, rng=0, test_fraction=0)  # no test set: every example trains
    assert none.train_X.shape == (2, 60) and none.test_X.shape == (2, 0) and none.test_Y.shape == (1, 0)
    for bad in (1, 1.5, -0.2, True):
        with pytest.raises(ds.DeepstepError, match=r"test_fraction: expected a number with 0 <= test_fraction < 1"):
            load_dataset("moons", test_fraction=bad)


def test_unknown_name_lists_the_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError, match=r"expected one of the names \['cats', 'planar', 'moons', 'circles', "
                                           r"'blobs', 'spiral', 'xor', 'gaussian'\] or the path .*got 'flowers'"):
        load_dataset("flowers")
    (tmp_path / "data.txt").write_text("1 2 3")
    with pytest.raises(DatasetError, match=r"expected a .npz or .csv file or a folder"):
        load_dataset("data.txt")


def test_file_data_is_split_per_class_by_the_rng(tmp_path):
    m = 50
    X = np.vstack([np.arange(m), np.arange(m) * 10.0, -np.arange(m)])
    labels = (np.arange(m) % 5 == 0).astype(int)  # 10 of class 1, 40 of class 0
    np.savez(tmp_path / "d.npz", X=X, Y=labels)
    data = load_dataset(tmp_path / "d.npz", rng=3)
    assert data.kind == "table" and data.image_shape is None and data.classes == ["0", "1"]
    assert data.train_X.shape == (3, 40) and data.test_X.shape == (3, 10)
    assert np.bincount(data.test_Y[0]).tolist() == [8, 2]
    # every example lands in exactly one part, with its own label, in file order
    ids = np.concatenate([data.train_X[0], data.test_X[0]]).astype(int)
    assert sorted(ids.tolist()) == list(range(m))
    assert (np.diff(data.train_X[0]) > 0).all() and (np.diff(data.test_X[0]) > 0).all()
    np.testing.assert_array_equal(data.train_Y[0], labels[data.train_X[0].astype(int)])
    np.testing.assert_array_equal(data.test_Y[0], labels[data.test_X[0].astype(int)])
    np.testing.assert_array_equal(load_dataset(str(tmp_path / "d.npz"), rng=3).test_X, data.test_X)
    assert not np.array_equal(load_dataset(tmp_path / "d.npz", rng=4).test_X, data.test_X)


def test_csv_points_and_image_folders_through_the_dispatcher(tmp_path):
    rows = "\n".join(f"{i},{-i},{'ab'[i % 2]}" for i in range(20))
    (tmp_path / "p.csv").write_text("u,v,label\n" + rows + "\n")
    data = load_dataset(str(tmp_path / "p.csv"), rng=0, test_fraction=0.3)
    assert data.kind == "points" and data.classes == ["a", "b"]
    assert data.train_X.shape == (2, 14) and data.test_X.shape == (2, 6)
    rng = np.random.default_rng(0)
    for cls in ("no", "yes"):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for k in range(5):
            Image.fromarray(picture(rng, 10, 10)).save(tmp_path / "pics" / cls / f"{k}.png")
    data = load_dataset(tmp_path / "pics", rng=0, image_size=(6, 5))
    assert data.kind == "image" and data.image_shape == (6, 5, 3) and data.classes == ["no", "yes"]
    assert data.train_X.shape == (90, 8) and data.test_X.shape == (90, 2)
    assert np.bincount(data.test_Y[0]).tolist() == [1, 1]


def test_too_few_examples_for_a_split(tmp_path):
    np.savez(tmp_path / "tiny.npz", X=np.ones((2, 3)), Y=np.array([0, 1, 0]))
    with pytest.raises(DatasetError, match=r"test_fraction: expected enough examples .*got m = 3"):
        load_dataset(tmp_path / "tiny.npz", rng=0)


def test_cats_through_the_dispatcher_uses_its_own_test_set(tmp_path, monkeypatch):
    x_train, _, x_test, y_test = small_cats(tmp_path, m_train=4, m_test=3)
    monkeypatch.setenv("DEEPSTEP_DATA", str(tmp_path))
    data = load_dataset("cats", rng=0)
    assert data.kind == "image" and data.image_shape == (64, 64, 3) and data.name == "cats"
    assert data.train_X.shape == (12288, 4) and data.test_X.shape == (12288, 3)
    np.testing.assert_array_equal(data.test_X.T.reshape(3, 64, 64, 3) * 255, x_test)
    np.testing.assert_array_equal(data.test_Y[0], y_test)
    monkeypatch.delenv("DEEPSTEP_DATA")
    with pytest.raises(DatasetError, match="DEEPSTEP_DATA"):
        load_dataset("cats")


def test_module_lists_its_names():
    assert datasets.DATASET_NAMES == ("cats", "planar", "moons", "circles", "blobs", "spiral", "xor", "gaussian")
    assert all(hasattr(datasets, name) for name in datasets.__all__)


def test_submodules_are_reachable_from_a_plain_import():
    """``import deepstep as ds`` alone gives ds.datasets, ds.metrics, ds.plots (a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import deepstep as ds, deepstep.metrics as m; print(ds.datasets.make_planar(m=4, rng=0)[0].shape, "
            "ds.metrics.__name__, ds.metrics is m)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["(2,", "4)", "deepstep.report.metrics", "True"]  # the old path is the module at its home


def test_a_truncated_npz_is_a_dataset_error(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.zeros((3, 50)), Y=np.zeros(50))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DatasetError, match="expected a readable .npz file"):
        ds.datasets.load_npz(path)


def test_the_spiral_xor_and_gaussian_sets_are_the_shapes_they_say():
    X, Y = make_spiral(m=400, noise=0.0, rng=0)
    r = np.hypot(X[0], X[1])
    for k in (0, 1):  # each arm winds outwards: the radius grows with the angle, r = t / (2 pi) up to 1.5
        assert (np.diff(r[Y[0] == k]) > 0).all() and r[Y[0] == k].max() == pytest.approx(1.5)
    X, Y = make_xor(m=400, noise=0.0, rng=1)
    assert ((X[0] * X[1] > 0) == (Y[0] == 1)).all() and np.abs(X).max() <= 1
    X, Y = make_gaussian(m=4000, noise=0.3, rng=2)
    np.testing.assert_allclose(X[:, Y[0] == 0].mean(axis=1), [-1, -1], atol=0.03)
    np.testing.assert_allclose(X[:, Y[0] == 1].std(axis=1), [0.3, 0.3], rtol=0.08)


def test_the_fast_reader_of_clean_tables_equals_the_careful_one(tmp_path, monkeypatch):
    """pandas' parser (where installed) reads a clean numeric table; the csv module's reader is the reference:
    the same X to the last bit (Python's float() rounding), the same label text, the same header."""
    pytest.importorskip("pandas")
    from deepstep.data import files

    rows = ["\ufeffa, b ,c,label", "1e-300,  2.5,9007199254740993,01", "+3,-0,007,1", '"4",1.7976931348623157e308,'
            '0.1,01', "", "-2.2250738585072014e-308,5e-324,123456789012345678901234567890,x"]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(files, "FAST_CSV_BYTES", 0)  # (a small file: the csv module's otherwise)
    fast = files._fast_numeric_csv(tmp_path / "t.csv", None, ",")
    assert fast is not None
    monkeypatch.setattr(files, "_fast_numeric_csv", lambda *a: None)
    careful = files._read_csv(tmp_path / "t.csv", None, ",")
    np.testing.assert_array_equal(fast[0], careful[0])
    assert fast[0].tobytes() == careful[0].tobytes() and fast[1:] == careful[1:]
    assert careful[1] == ["01", "1", "01", "x"]


@pytest.mark.parametrize("text", ["a,label\n1,x\nfoo,y\n", "a,label\n1,x\n,y\n", "a,label\n1,x\nnan,y\n",
                                  "a,a,label\n1,2,x\n", "a,b,label\n1,2,x\n3,y\n", "a,label\n1,x\n2, \n",
                                  "a,label\nTrue,x\nFalse,y\n"])
def test_the_fast_reader_leaves_every_unclean_table_to_the_careful_one(tmp_path, text, monkeypatch):
    pytest.importorskip("pandas")
    from deepstep.data import files

    monkeypatch.setattr(files, "FAST_CSV_BYTES", 0)
    (tmp_path / "t.csv").write_text(text)
    assert files._fast_numeric_csv(tmp_path / "t.csv", None, ",") is None
