"""Picture folders as practitioners have them: scikit-learn's 8x8 grey digits written as PNG files keep their size
and their one channel (64 inputs, not 12,288), are standardized like tables, take a test folder, and the mislabelled
ones are named; predict takes a folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepstep as ds
from conftest import command

Image = pytest.importorskip("PIL.Image")
datasets = pytest.importorskip("sklearn.datasets")


def write_digits(folder, images, labels, digits=(0, 1, 7)):
    for k, (im, label) in enumerate(zip(images, labels, strict=True)):
        if label in digits:
            (folder / str(label)).mkdir(parents=True, exist_ok=True)
            Image.fromarray((im * 255 / 16).round().astype(np.uint8), mode="L").save(folder / str(label) / f"{k}.png")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    d = datasets.load_digits()
    write_digits(root / "train", d.images[:900], d.target[:900])
    write_digits(root / "test", d.images[900:1200], d.target[900:1200])
    return root


def test_grey_8x8_digits_keep_their_size_and_channel_and_train(digits, tmp_path, capsys):
    code, out, err = command(capsys, "train", "--dataset", digits / "train", "--test-data", digits / "test",
                             "--layers", "64,16,3", "--iterations", "150", "--learning-rate", "0.1", "--out",
                             tmp_path / "run", "--quiet")
    assert code == 0, err
    net = ds.load_model(tmp_path / "run" / "model.npz")
    assert net.metadata["image_shape"] == [8, 8, 1] and net.layer_dims[0] == 64
    assert net.standardizer is not None  # a folder is standardized, as tables are
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["m"] == sum(1 for _ in (digits / "test").rglob("*.png"))  # the test folder, whole
    assert metrics["test_accuracy"] > 0.9
    # predict takes a folder (and its class sub-folders): one line per picture, read as one grey channel
    code, out, err = command(capsys, "predict", tmp_path / "run" / "model.npz", digits / "test")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == metrics["test"]["m"]
    right = sum(line.split(": ")[1].split(" ")[0] == line.split("/")[-2] for line in lines)
    assert right / len(lines) == pytest.approx(metrics["test_accuracy"])


def test_the_pictures_read_in_grey_are_pillows_grey(tmp_path, rng):
    """A second implementation: channels=1 of a colour picture is Pillow's own "L" conversion, / 255."""
    pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(pixels, mode="RGB").save(tmp_path / "colour.png")
    x = ds.datasets.load_image(tmp_path / "colour.png", size=(5, 7), channels=1)
    expected = np.asarray(Image.fromarray(pixels, mode="RGB").convert("L"), dtype=np.float64) / 255
    np.testing.assert_array_equal(x[:, 0], expected.ravel())


def test_pictures_of_several_sizes_take_the_most_common_with_a_note(tmp_path, rng):
    for k, (cls, size) in enumerate([("a", (6, 4)), ("a", (6, 4)), ("b", (6, 4)), ("b", (9, 9)), ("a", (6, 4))]):
        (tmp_path / cls).mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(tmp_path / cls / f"{k}.png")
    data = ds.datasets.load_dataset(tmp_path, rng=0, test_fraction=0.4)
    assert data.image_shape == (6, 4, 3) and data.train_X.shape[0] == 72
    assert data.notes and "2 sizes" in data.notes[0] and "6 x 4 (4 of 5)" in data.notes[0]
    assert sorted(data.train_names + data.test_names) == sorted(f"{c}/{k}.png" for k, c in enumerate("aabba"))


def test_the_mislabelled_pictures_are_named(digits, tmp_path, capsys):
    code, out, err = command(capsys, "train", "--dataset", digits / "train", "--layers", "64,2,3", "--iterations",
                             "3", "--learning-rate", "0.01", "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    line = next(i for i, text in enumerate(out.splitlines()) if "mislabelled test pictures" in text)
    named = out.splitlines()[line + 1].strip().split(", ")
    assert named and all(name.endswith(".png") and (digits / "train" / name.split(" and ")[0]).exists()
                         for name in named[:3])
    test_folder = tmp_path / "mismatched"
    (test_folder / "0").mkdir(parents=True)
    (test_folder / "9").mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8), mode="L").save(test_folder / "0" / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8), mode="L").save(test_folder / "9" / "b.png")
    code, _, err = command(capsys, "train", "--dataset", digits / "train", "--test-data", test_folder, "--out",
                           tmp_path / "bad", "--quiet")
    assert code == 2 and "test_data" in err
