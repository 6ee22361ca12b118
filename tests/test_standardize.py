"""Input standardization that travels with the model: learned on the training examples, applied to every X,
saved and loaded, exported to ONNX; checked against the formula written out with NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep.errors import DeepstepError
from deepstep.standardize import Standardizer


def table(m=120, seed=0):
    """Features on very different scales (a radius near 10, an area near 1000, a constant column)."""
    rng = np.random.default_rng(seed)
    radius = rng.normal(10, 2, m)
    area = np.pi * radius**2 + rng.normal(0, 5, m)
    constant = np.full(m, 7.0)
    X = np.vstack([radius, area, constant])
    Y = (radius + rng.normal(0, 1, m) > 10).astype(int)[np.newaxis, :]
    return X, Y


def test_statistics_by_hand():
    X = np.array([[1.0, 2.0, 3.0, 6.0], [5.0, 5.0, 5.0, 5.0], [0.0, 0.0, 0.0, 1e-30]])
    s = Standardizer.fit(X)
    np.testing.assert_array_equal(s.mean, [[3.0], [5.0], [2.5e-31]])
    np.testing.assert_allclose(s.scale[0, 0], np.sqrt((4 + 1 + 0 + 9) / 4), rtol=1e-15)
    assert s.scale[1, 0] == 1.0  # constant: no division by zero, the column becomes 0
    np.testing.assert_array_equal(s.transform(X)[1], 0.0)
    assert s.scale[2, 0] > 0 and np.isfinite(s.transform(X)).all()


def test_float32_stays_float32_and_huge_values_do_not_overflow():
    X = np.array([[1e308, -1e308, 5e307]])
    s = Standardizer.fit(X)
    assert np.isfinite(s.mean).all() and np.isfinite(s.scale).all()
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(), 0, atol=1e-12)
    X32 = np.array([[1.0, 2.0, 4.0]], dtype=np.float32)
    assert Standardizer.fit(X32).transform(X32).dtype == np.float32


def test_the_network_standardizes_with_training_statistics_only():
    X, Y = table()
    Xv, Yv = X[:, :30] + 1000, Y[:, :30]  # validation data far away: it must not move the statistics
    net = ds.DeepNetwork([3, 4, 1], standardize=True, rng=0)
    net.fit(X, Y, learning_rate=0.1, num_iterations=5, validation_data=(Xv, Yv))
    np.testing.assert_allclose(net.standardizer.mean.ravel(), X.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(net.standardizer.scale.ravel()[:2], X.std(axis=1)[:2], rtol=1e-14)
    # the same parameters without standardization, given the standardized X by hand, predict the same
    plain = ds.DeepNetwork.from_parameters(dict(net.parameters.items()), "relu", "sigmoid")
    Z = (X - X.mean(axis=1, keepdims=True)) / np.where(X.std(axis=1) > 0, X.std(axis=1), 1)[:, None]
    np.testing.assert_allclose(net.predict_proba(X), plain.predict_proba(Z), rtol=1e-12)
    # a later fit keeps the statistics of the first
    before = net.standardizer
    net.fit(X[:, :50] * 3, Y[:, :50], learning_rate=0.1, num_iterations=2)
    assert net.standardizer is before


def test_standardization_makes_raw_table_features_trainable():
    """The issue's finding on the breast-cancer table: raw features leave the classifier near the majority class;
    standardized, the same network and settings separate the classes."""
    load = pytest.importorskip("sklearn.datasets").load_breast_cancer
    X, y = load(return_X_y=True)
    X, Y = X.T, y[np.newaxis, :]
    scores = {}
    for flag in (False, True):
        net = ds.DeepNetwork([30, 8, 1], standardize=flag, init="he", rng=1)
        net.fit(X[:, ::2], Y[:, ::2], learning_rate=0.05, num_iterations=300)
        scores[flag] = net.accuracy(X[:, 1::2], Y[:, 1::2])
    assert scores[True] > 0.95 and scores[False] < 0.9


def test_saved_and_loaded_and_exported(tmp_path):
    X, Y = table()
    net = ds.DeepNetwork([3, 4, 1], standardize=True, rng=0, classes=["small", "large"])
    net.fit(X, Y, learning_rate=0.1, num_iterations=5)
    net.save(tmp_path / "m.npz")
    back = ds.load_model(tmp_path / "m.npz")
    assert back.standardize and back.metadata["classes"] == ["small", "large"]
    np.testing.assert_array_equal(back.standardizer.mean, net.standardizer.mean)
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
    ort = pytest.importorskip("onnxruntime")
    from deepstep.export import export_onnx

    export_onnx(back, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(None, {"X": np.ascontiguousarray(X.T)})[0].T  # raw features in
    np.testing.assert_allclose(out, net.predict_proba(X), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(DeepstepError, match="standardize: expected True or False"):
        ds.DeepNetwork([2, 1], standardize="yes")
    with pytest.raises(DeepstepError, match="classes: expected 2 distinct class names"):
        ds.DeepNetwork([2, 1], classes=["a", "b", "c"])
    with pytest.raises(DeepstepError, match="classes: names classes, and this network does regression"):
        ds.DeepNetwork([2, 1], output_activation="linear", classes=["a", "b"])
    net = ds.DeepNetwork([2, 1], standardize=True, rng=0)
    with pytest.raises(DeepstepError, match="learning_rate"):
        net.fit(np.ones((2, 4)), np.array([[0, 1, 0, 1]]), learning_rate=-1)
    assert net.standardizer is None  # an error leaves the network as it was


def test_a_regression_network_standardizes_its_targets_too(tmp_path):
    """y in hundreds: the network learns (y - mean) / std, predict gives values in y's units again, the model
    file and the ONNX graph carry both standardizations."""
    rng = np.random.default_rng(3)
    X = rng.normal(50, 10, (2, 200))
    Y = 3.0 * X[:1] - 2.0 * X[1:] + 200 + rng.normal(0, 1, (1, 200))
    net = ds.DeepNetwork([2, 1], output_activation="linear", standardize=True, init="zeros")
    net.fit(X, Y, learning_rate=0.5, num_iterations=300)
    np.testing.assert_allclose(net.target_standardizer.mean.ravel(), Y.mean(axis=1), rtol=1e-14)
    # linear regression on standardized data, by the normal equations (a second implementation), in y's units
    design = np.vstack([X, np.ones((1, 200))]).T
    coef, *_ = np.linalg.lstsq(design, Y[0], rcond=None)
    np.testing.assert_allclose(net.predict(X)[0], design @ coef, rtol=1e-9)
    assert net.score(X, Y) > 0.99
    net.save(tmp_path / "m.npz")
    back = ds.load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    ort = pytest.importorskip("onnxruntime")
    from deepstep.export import export_onnx

    export_onnx(back, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(None, {"X": np.ascontiguousarray(X.T)})[0].T
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-6)
