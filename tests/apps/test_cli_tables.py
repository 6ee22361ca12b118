"""The command line on real tables (scikit-learn's bundled breast-cancer, wine and diabetes data saved as files):
standardization by default, regression when asked (and never a real target made into classes), a separate test
file, other delimiters, predictions for table rows, ONNX export, a diagnostic instead of silence."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest

import deepstep as ds
from deepstep import cli

datasets = pytest.importorskip("sklearn.datasets")


def write_csv(path, X, y, names=None, delimiter=","):
    names = names or [f"f{j}" for j in range(X.shape[1])]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow([*names, "label"])
        for row, label in zip(X, y, strict=True):
            w.writerow([*(repr(float(v)) for v in row), label])
    return path


def deepstep(capsys, *argv):
    """deepstep ARGV in this process: (status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def cancer(tmp_path_factory):
    X, y = datasets.load_breast_cancer(return_X_y=True)
    folder = tmp_path_factory.mktemp("cancer")
    return write_csv(folder / "breast_cancer.csv", X, np.where(y == 1, "benign", "malignant")), X, y


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    X, y = datasets.load_diabetes(return_X_y=True)
    folder = tmp_path_factory.mktemp("diabetes")
    return write_csv(folder / "diabetes.csv", X, y.astype(int)), X, y


def test_a_table_is_standardized_by_default_and_learns(cancer, tmp_path, capsys):
    """The issue's finding: breast_cancer.csv with the defaults predicted one class (62.8%); standardized, it
    separates the classes, and the statistics travel in the model file."""
    path, X, y = cancer
    status, out, err = deepstep(capsys, "train", "--dataset", path, "--out", tmp_path / "run", "--quiet")
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.93
    net = ds.load_model(tmp_path / "run" / "model.npz")
    assert net.standardize and net.metadata["classes"] == ["benign", "malignant"]
    split = ds.datasets.load_dataset(path, rng=1, test_fraction=0.2)  # the CLI's default seed and split
    np.testing.assert_allclose(net.standardizer.mean.ravel(), split.train_X.mean(axis=1), rtol=1e-13)
    np.testing.assert_allclose(net.standardizer.scale.ravel(), split.train_X.std(axis=1), rtol=1e-13)
    assert "note:" not in err


def test_without_standardization_the_run_says_what_went_wrong(cancer, tmp_path, capsys):
    path, X, y = cancer
    status, out, err = deepstep(capsys, "train", "--dataset", path, "--out", tmp_path / "raw", "--quiet",
                                "--no-standardize")
    assert status == 0
    net = ds.load_model(tmp_path / "raw" / "model.npz")
    assert net.standardizer is None
    if np.unique(net.predict(X.T)).size == 1:  # what the issue saw: one class for everything
        assert "note: the model predicts class" in err and "standardize" in err
    else:
        pytest.fail("expected the raw features to leave the model predicting one class, as the issue found")


def test_a_real_valued_target_is_never_made_into_classes(diabetes, tmp_path, capsys):
    path, X, y = diabetes
    status, out, err = deepstep(capsys, "train", "--dataset", path, "--out", tmp_path / "auto", "--quiet")
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "real-valued target" in err and "--task regression" in err
    assert not (tmp_path / "auto" / "model.npz").exists()


def test_regression_from_the_command_line(diabetes, tmp_path, capsys):
    path, X, y = diabetes
    out_dir = tmp_path / "reg"
    status, out, err = deepstep(capsys, "train", "--dataset", path, "--task", "regression", "--out", out_dir,
                                "--quiet", "--optimizer", "adam", "--learning-rate", "0.001", "--iterations", "300",
                                "--batch-size", "64", "--l2", "3")
    assert status == 0, err
    assert "test R^2" in out
    metrics = json.loads((out_dir / "metrics.json").read_text())
    net = ds.load_model(out_dir / "model.npz")
    assert net.output_activation == "linear" and net.target_standardizer is not None
    assert metrics["test"]["r2"] > 0.3  # linear regression reaches about 0.5 on this table
    # predict: the values, in the target's units, as the library computes them
    rows = write_csv(tmp_path / "rows.csv", X[:5], y[:5].astype(int))
    status, out, err = deepstep(capsys, "predict", out_dir / "model.npz", rows)
    assert status == 0, err
    lines = list(csv.reader(out.splitlines()))
    assert lines[0] == ["row", "value"]
    np.testing.assert_allclose([float(r[1]) for r in lines[1:]], net.predict(X[:5].T)[0], rtol=1e-12)
    assert 25 < float(lines[1][1]) < 350  # in the target's units, not standardized ones
    status, out, err = deepstep(capsys, "evaluate", out_dir / "model.npz")
    assert status == 0, err
    assert "R^2" in out and "MAE" in out and "RMSE" in out
    r2 = float(out.split("R^2")[1].split()[0])
    assert r2 == pytest.approx(metrics["test"]["r2"], abs=1e-4)


def test_a_separate_test_file_and_another_delimiter(tmp_path, capsys):
    X, y = datasets.load_wine(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:130], order[130:]
    write_csv(tmp_path / "train.csv", X[train], y[train], delimiter=";")
    write_csv(tmp_path / "test.csv", X[test], y[test], delimiter=";")
    status, out, err = deepstep(capsys, "train", "--dataset", tmp_path / "train.csv", "--test-data",
                                tmp_path / "test.csv", "--delimiter", ";", "--out", tmp_path / "run", "--quiet")
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert sum(metrics["test"]["classes"][c]["support"] for c in metrics["test"]["classes"]) == len(test)
    assert metrics["test_accuracy"] > 0.9
    net = ds.load_model(tmp_path / "run" / "model.npz")
    expected = net.accuracy(X[test].T, y[test][None])
    assert metrics["test_accuracy"] == pytest.approx(expected)
    # evaluate finds the same test file again
    status, out, err = deepstep(capsys, "evaluate", tmp_path / "run" / "model.npz")
    assert status == 0, err
    assert f"m = {len(test)}" in out


def test_predict_rows_writes_predictions_and_probabilities(cancer, tmp_path, capsys):
    path, X, y = cancer
    deepstep(capsys, "train", "--dataset", path, "--out", tmp_path / "run", "--quiet", "--iterations", "300")
    net = ds.load_model(tmp_path / "run" / "model.npz")
    np.savez(tmp_path / "rows.npz", X=X[:7], features=np.array(net.metadata["features"]))  # named, as the model is
    status, out, err = deepstep(capsys, "predict", tmp_path / "run" / "model.npz", tmp_path / "rows.npz", "--out",
                                tmp_path / "pred.csv")
    assert status == 0, err
    rows = list(csv.reader(open(tmp_path / "pred.csv")))
    assert rows[0] == ["row", "prediction", "p(benign)", "p(malignant)"]
    p = net.predict_proba(X[:7].T)[0]
    np.testing.assert_allclose([float(r[3]) for r in rows[1:]], p, rtol=1e-5)
    assert [r[1] for r in rows[1:]] == [["benign", "malignant"][k] for k in (p > 0.5).astype(int)]
    status, out, err = deepstep(capsys, "predict", tmp_path / "run" / "model.npz", tmp_path / "nothing.csv")
    assert status == 2 and len(err.strip().splitlines()) == 1


def test_export_from_the_command_line(cancer, tmp_path, capsys, monkeypatch):
    ort = pytest.importorskip("onnxruntime")
    path, X, y = cancer
    deepstep(capsys, "train", "--dataset", path, "--out", tmp_path / "run", "--quiet", "--iterations", "100")
    model = tmp_path / "run" / "model.npz"
    status, out, err = deepstep(capsys, "export", model, tmp_path / "model.onnx")
    assert status == 0, err
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"X": X[:20].astype(np.float64)})[0]  # raw features in
    np.testing.assert_allclose(got.T, ds.load_model(model).predict_proba(X[:20].T), rtol=1e-6)
    status, out, err = deepstep(capsys, "export", model, tmp_path / "model.onnx" / "inside")
    assert status == 2 and len(err.strip().splitlines()) == 1
    monkeypatch.setitem(sys.modules, "onnx", None)
    status, out, err = deepstep(capsys, "export", model, tmp_path / "other.onnx")
    assert status == 2 and "pip install 'deepstep[onnx]'" in err and len(err.strip().splitlines()) == 1


def test_a_sweep_whose_training_rows_lack_the_last_class_counts_every_class_as_train_does(tmp_path, capsys):
    """Wine's class 2 only in the test file: train builds one softmax unit per class of the data set (3); the sweep
    counted labels 0 .. max + 1 (2) and refused the test labels and a class weight naming class 2."""
    X, y = datasets.load_wine(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train = [i for i in order[:120] if y[i] != 2]
    test = order[120:]
    assert 2 in y[test]
    write_csv(tmp_path / "train.csv", X[train], y[train])
    write_csv(tmp_path / "test.csv", X[test], y[test])
    common = ["--dataset", tmp_path / "train.csv", "--test-data", tmp_path / "test.csv", "--iterations", "200",
              "--quiet"]
    status, _, err = deepstep(capsys, "train", *common, "--out", tmp_path / "train")
    assert status == 0, err
    trained = ds.load_model(tmp_path / "train" / "model.npz")
    status, _, err = deepstep(capsys, "sweep", *common, "--hidden", "4", "--learning-rate", "0.5",
                              "--class-weight", "2=3", "--out", tmp_path / "sweep")
    assert status == 0, err
    net = ds.load_model(tmp_path / "sweep" / "run-0.npz")
    assert net.layer_dims[-1] == trained.layer_dims[-1] == 3
    row = json.loads((tmp_path / "sweep" / "results.json").read_text())["rows"][0]
    # the test score is the model's own on the test rows (no test example of class 2 can be right: none trained it)
    assert row["test_accuracy"] == pytest.approx(net.accuracy(X[test].T, y[test][None]))
    assert row["test_accuracy"] <= np.mean(y[test] != 2) + 1e-12
