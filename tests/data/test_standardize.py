"""Input standardization that travels with the model: learned on the training examples, applied to every X,
saved and loaded, exported to ONNX; checked against the formula written out with NumPy."""

from __future__ import annotations

import statistics
import warnings
from fractions import Fraction

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
    assert s.scale[1, 0] == 5.0  # constant: scale max(1, |mean|), no division by zero, the column becomes 0
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


# -- every finite column (issue 17): the statistics against exact arithmetic (the statistics module works on the
# -- exact rational values of the floats), the standardized values against Fractions

EXTREME_ROWS = {
    "tiny": [1e-200, 2e-200, 3e-200, 2.5e-200],
    "huge-opposite-signs": [1e308, -1e308, 5e307, 0.0],
    "near-the-float-range": [1.7e308, -1.7e308, 1.7e308, 1.6e308],
    "near-the-top": [1.7e308, 1.6e308, 1.75e308, 1.65e308],
    "mixed-magnitudes": [1e-300, 1e300, -3.0, 0.0],
    "denormal-values-normal-spread": [0.0, 5e-324, 1e-300, 3e-300],
    "ordinary": [1.0, 2.0, 3.0, 6.0],
}


def exact_standardized(row):
    """(x - mean) / pstdev of the exact values, rounded once at the end (a second implementation)."""
    mean, std = Fraction(statistics.mean(map(Fraction, row))), statistics.pstdev(row)
    return [float((Fraction(x) - mean) / Fraction(std)) for x in row]


@pytest.mark.parametrize("name", list(EXTREME_ROWS))
def test_statistics_of_extreme_columns_are_exact(name):
    row = EXTREME_ROWS[name]
    X = np.array([row])
    given = X.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow warning on the way
        s = Standardizer.fit(X)
        Z = s.transform(X)
    np.testing.assert_allclose(s.mean[0, 0], statistics.mean(row), rtol=1e-15)
    np.testing.assert_allclose(s.scale[0, 0], statistics.pstdev(row), rtol=1e-14)
    np.testing.assert_allclose(Z[0], exact_standardized(row), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(X, given)


def test_rows_of_every_magnitude_in_one_array_are_each_right():
    """The rows are scaled each by its own largest magnitude: a tiny row beside a huge one is not zeroed."""
    X = np.array(list(EXTREME_ROWS.values()))
    s = Standardizer.fit(X)
    Z = s.transform(X)
    for i, row in enumerate(EXTREME_ROWS.values()):
        np.testing.assert_allclose(s.scale[i, 0], statistics.pstdev(row), rtol=1e-14)
        np.testing.assert_allclose(Z[i], exact_standardized(row), rtol=1e-13, atol=1e-15)
    assert np.abs(Z[0]).max() > 1  # the tiny row keeps its spread: z = -1.18, 0.17, 1.52, 0.17


@pytest.mark.parametrize("value, scale", [(7.0, 7.0), (0.0, 1.0), (1e-300, 1e-300), (0.5, 0.5), (-1e308, 1e308),
                                          (5e-324, np.finfo(np.float64).tiny)])
def test_a_constant_row_becomes_zero(value, scale):
    """A constant row's scale is its own size |mean| (1 for zeros; never below the smallest normal): it becomes 0,
    and what comes back through the inverse is at its size (a target of 1e-200 is not put back as 0.1)."""
    X = np.full((1, 5), value)
    s = Standardizer.fit(X)
    assert s.mean[0, 0] == value and s.scale[0, 0] == scale
    np.testing.assert_array_equal(s.transform(X), 0.0)


def test_a_row_constant_up_to_rounding_becomes_zero_up_to_rounding():
    for row in ([0.1 + 0.2, 0.3, 0.3], [1e308 * (1 + 2**-52), 1e308, 1e308]):
        s = Standardizer.fit(np.array([row]))
        assert np.abs(s.transform(np.array([row]))).max() < 1e-14


def test_a_spread_below_the_smallest_normal_number_is_refused_by_name():
    X = np.array([[0.0, 5e-324, 1e-323], [1.0, 2.0, 3.0]])
    given = X.copy()
    with pytest.raises(DeepstepError, match=r"^X: .*row 0"):
        Standardizer.fit(X)
    with pytest.raises(DeepstepError, match=r"^y: "):
        Standardizer.fit(X, name="y")
    np.testing.assert_array_equal(X, given)
    # float32 has its own smallest normal number (1.2e-38): a spread near 1e-40 is refused there only
    X32 = np.array([[1e-40, 2e-40, 3e-40]], dtype=np.float32)
    with pytest.raises(DeepstepError, match=r"^X: .*float32"):
        Standardizer.fit(X32)
    s = Standardizer.fit(X32.astype(np.float64))
    np.testing.assert_allclose(s.scale[0, 0], statistics.pstdev(X32[0].astype(float).tolist()), rtol=1e-14)


def test_values_beyond_the_range_once_standardized_are_refused_by_name():
    s = Standardizer.fit(np.array([[0.0, 1.0, 2.0]]))  # scale 0.816
    X = np.array([[1.7e308]])
    with pytest.raises(DeepstepError, match=r"^X: .*overflow float64"):
        s.transform(X)
    with pytest.raises(DeepstepError, match=r"^Y: "):
        s.transform(X, name="Y")
    np.testing.assert_array_equal(X, [[1.7e308]])
    # in float32 the same standardization overflows sooner (3.4e38)
    with pytest.raises(DeepstepError, match=r"^X: .*float32"):
        s.transform(np.array([[3e38]], dtype=np.float32))


def test_inverse_transform_near_the_float_range():
    s = Standardizer(np.array([[1e308]]), np.array([[1e308]]))
    Z = np.array([[-1.8, 0.5, 0.7]])
    # -1.8 * 1e308 overflows on its own, the result -0.8e308 does not; 0.7 gives 1.7e308
    out = s.inverse_transform(Z)
    np.testing.assert_allclose(out[0], [float(Fraction(z) * Fraction(1e308) + Fraction(1e308)) for z in Z[0]],
                               rtol=1e-15)
    with pytest.raises(DeepstepError, match=r"^X: .*beyond"):
        s.inverse_transform(np.array([[0.9]]))  # 1.9e308
    with pytest.raises(DeepstepError, match=r"^Z: "):
        s.inverse_transform(np.array([[0.9]]), name="Z")


def test_a_standardization_float32_cannot_hold_is_refused_in_float32():
    s = Standardizer(np.array([[0.0]]), np.array([[1e-300]]))
    X = np.array([[1e-300]], dtype=np.float32)
    with pytest.raises(DeepstepError, match=r"^X: .*float32"):
        s.transform(X)
    with pytest.raises(DeepstepError, match=r"^X: .*float32"):
        s.inverse_transform(np.ones((1, 1), dtype=np.float32))
    np.testing.assert_allclose(s.transform(np.array([[2e-300]])), [[2.0]], rtol=1e-15)


def test_a_regression_network_predicts_targets_near_1e_minus_200_and_1e308():
    """The engine's own standardization (standardize=True) gets the same statistics: y = 2x + 1 in any units, from
    random initial weights (a target standardized as if constant would leave them where they start)."""
    X = np.linspace(-1, 1, 40)[np.newaxis, :]
    for unit in (1e-200, 5e307):
        Y = (2 * X + 1) * unit
        net = ds.DeepNetwork([1, 1], output_activation="linear", standardize=True, init="xavier", rng=0)
        net.fit(X, Y, learning_rate=0.5, num_iterations=200)
        np.testing.assert_allclose(net.predict(X), Y, rtol=1e-9)


def test_a_feature_of_tiny_values_is_not_zeroed():
    """A column near 1e-200 standardized as if it were constant would carry nothing; it carries the signal."""
    u = np.linspace(-1, 1, 40)[np.newaxis, :]
    X, Y = np.vstack([u * 1e-200, np.ones_like(u)]), 3 * u + 1
    net = ds.DeepNetwork([2, 1], output_activation="linear", standardize=True, init="xavier", rng=0)
    net.fit(X, Y, learning_rate=0.5, num_iterations=200)
    np.testing.assert_allclose(net.standardizer.scale[0, 0], statistics.pstdev((u[0] * 1e-200).tolist()),
                               rtol=1e-14)
    np.testing.assert_allclose(net.predict(X), Y, rtol=1e-9, atol=1e-12)


def test_a_constant_tiny_target_comes_back_at_its_size():
    """The review's case: a regressor of constant targets 1e-200 predicted about -0.1."""
    pytest.importorskip("sklearn")
    from deepstep.sklearn import DeepRegressor

    X = np.random.default_rng(0).normal(size=(200, 3))
    pred = DeepRegressor(random_state=0).fit(X, np.full(200, 1e-200)).predict(X)
    assert np.abs(pred - 1e-200).max() < 1e-200  # the network's error is in units of the target's size


def test_weights_count_as_repeated_examples(rng):
    from deepstep.data.standardize import Standardizer

    X = rng.standard_normal((3, 9)) * [[1.0], [100.0], [1e-3]]
    w = np.array([1, 0, 2, 3, 1, 0, 1, 4, 2])
    weighted = Standardizer.fit(X, weights=w)
    repeated = Standardizer.fit(X[:, np.repeat(np.arange(9), w)])
    np.testing.assert_allclose(weighted.mean, repeated.mean, rtol=1e-13)
    np.testing.assert_allclose(weighted.scale, repeated.scale, rtol=1e-13)
