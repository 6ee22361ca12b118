"""Issue 17, "nothing silently wrong", for the scikit-learn estimators: a refused fit or partial_fit leaves the
estimator as it was; warm_start refuses what it cannot go on with; targets of any finite size are right; a saved
network_ predicts in the targets' units; unusable input gets deepstep's error, with no warning first and the input
left as it was."""

from __future__ import annotations

import statistics
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_wine  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import deepstep as ds  # noqa: E402
from deepstep.errors import DeepstepError  # noqa: E402
from deepstep.sklearn import DeepClassifier, DeepRegressor  # noqa: E402
from deepstep.training import TrainingDiverged  # noqa: E402


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


SMALL = dict(hidden_layer_sizes=(8,), num_iterations=5, batch_size=50, random_state=3)


def state(est):
    """The fitted attributes (network_ by identity, with copies of its parameters and history) and predictions."""
    out = {}
    for key, value in vars(est).items():
        if key.endswith("_") and not key.startswith("__"):
            out[key] = value.copy() if isinstance(value, (np.ndarray, list)) else value
    if "network_" in out:
        net = out["network_"]
        out["parameters"] = {k: v.copy() for k, v in net.parameters.items()}
        out["history"] = list(net.history.cost)
        out["optimizer_t"] = net.optimizer.t
    return out


def assert_same_state(est, before, X):
    after = state(est)
    assert sorted(after) == sorted(before)
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value)
        elif isinstance(value, dict):
            for k, v in value.items():
                np.testing.assert_array_equal(after[key][k], v)
        elif key == "network_":
            assert after[key] is value
        else:
            assert after[key] == value, key


def no_warning_raises(error, match, call, *args, **kwargs):
    """call(*args) raises `error` matching `match`, and emits no warning of any kind on the way."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(error, match=match):
            call(*args, **kwargs)
    assert [str(w.message) for w in seen] == []


# -- a refused fit leaves the estimator as it was -------------------------------------------------------------


@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
def test_a_diverging_fit_leaves_the_fitted_estimator_as_it_was(wine, Est):
    X, y = wine
    est = Est(**SMALL).fit(X, y)
    before, predicted = state(est), est.predict(X)
    est.set_params(optimizer="gd", learning_rate=1e6, num_iterations=50)
    with pytest.raises(TrainingDiverged, match="^learning_rate:"):
        est.fit(X, y)
    assert_same_state(est, before, X)
    np.testing.assert_array_equal(est.predict(X), predicted)
    # and with warm_start: the network it went on from is not changed either
    est.set_params(warm_start=True)
    with pytest.raises(TrainingDiverged, match="^learning_rate:"):
        est.fit(X, y)
    assert_same_state(est, before, X)


@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
def test_a_diverging_first_fit_leaves_the_estimator_unfitted(wine, Est):
    X, y = wine
    est = Est(optimizer="gd", learning_rate=1e6, num_iterations=50, random_state=0)
    with pytest.raises(TrainingDiverged):
        est.fit(X, y)
    assert [k for k in vars(est) if k.endswith("_")] == []
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_a_refused_first_partial_fit_leaves_the_classifier_unfitted(wine):
    X, y = wine
    clf = DeepClassifier(**SMALL)
    with pytest.raises(DeepstepError, match=r"^y: expected labels among classes_"):
        clf.partial_fit(X, y, classes=[0, 1])  # y holds 2 as well
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "n_features_in_")
    clf.partial_fit(X, y, classes=[0, 1, 2])  # and then it starts as a fresh one does
    fresh = DeepClassifier(**SMALL).partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.network_.parameters["W1"], fresh.network_.parameters["W1"])


def test_an_interrupted_fit_changes_nothing(wine, monkeypatch):
    """Ctrl-C after the network trained (the copy it trains) and before fit returns: nothing is half-changed."""
    X, y = wine
    clf = DeepClassifier(warm_start=True, **SMALL).fit(X, y)
    before = state(clf)
    real_fit = ds.DeepNetwork.fit

    def interrupted(self, *args, **kwargs):
        real_fit(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(ds.DeepNetwork, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y)
    assert_same_state(clf, before, X)


# -- warm_start refuses what it cannot go on with, naming the parameter --------------------------------------


@pytest.mark.parametrize("param, value", [("hidden_layer_sizes", (9,)), ("hidden_layer_sizes", (8, 8)),
                                          ("hidden_activation", "tanh"), ("dtype", np.float32)])
@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_warm_start_with_other_settings_is_refused_by_name(wine, param, value, Est, how):
    X, y = wine
    est = Est(warm_start=True, **SMALL).fit(X, y)
    before = state(est)
    est.set_params(**{param: value})
    assert est.get_params()[param] == value
    call = est.fit if how == "warm_start" else est.partial_fit
    with pytest.raises(DeepstepError, match=f"^{param}: {how} goes on"):
        call(X, y)
    assert_same_state(est, before, X)
    est.set_params(warm_start=False).fit(X, y)  # starting anew takes the new setting
    assert est.network_.hidden_activation == est.get_params()["hidden_activation"]
    assert est.network_.layer_dims[1:-1] == list(est.get_params()["hidden_layer_sizes"])


@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
def test_warm_start_with_other_features_is_refused_and_the_estimator_still_predicts(wine, Est):
    X, y = wine
    est = Est(warm_start=True, **SMALL).fit(X, y)
    before, predicted = state(est), est.predict(X)
    X5 = X[:, :5].copy()
    with pytest.raises(DeepstepError, match=r"^X: warm_start goes on .* 13 features, got 5"):
        est.fit(X5, y)
    np.testing.assert_array_equal(X5, X[:, :5])
    assert_same_state(est, before, X)
    assert est.n_features_in_ == 13
    np.testing.assert_array_equal(est.predict(X), predicted)


def test_warm_start_with_other_column_names_is_refused():
    pd = pytest.importorskip("pandas")
    X, y = load_wine(return_X_y=True, as_frame=True)
    clf = DeepClassifier(warm_start=True, **SMALL).fit(X, y)
    before = state(clf)
    renamed = X.rename(columns={X.columns[0]: "something else"})
    with pytest.raises(DeepstepError, match=r"^X: warm_start goes on .* features"):
        clf.fit(renamed, y)
    assert_same_state(clf, before, X)
    assert isinstance(renamed, pd.DataFrame) and clf.feature_names_in_[0] == X.columns[0]


def test_warm_start_with_other_labels_or_targets_is_refused(wine):
    X, y = wine
    clf = DeepClassifier(warm_start=True, **SMALL).fit(X, y)
    before = state(clf)
    with pytest.raises(DeepstepError, match=r"^y: expected labels among classes_"):
        clf.fit(X, np.where(y == 2, "two", "other").astype(object))  # strings for number classes
    with pytest.raises(DeepstepError, match=r"^y: expected labels among classes_ \[0, 1, 2\], got \['7'\]"):
        clf.fit(X, np.where(y == 2, 7, y))
    assert_same_state(clf, before, X)
    reg = DeepRegressor(warm_start=True, **SMALL).fit(X, y.astype(float))
    before = state(reg)
    for call in (reg.fit, reg.partial_fit):
        with pytest.raises(DeepstepError, match=r"^y: .* 1 target\(s\) per sample, got 2"):
            call(X, np.column_stack([y, y]).astype(float))
    assert_same_state(reg, before, X)


def test_warm_start_goes_on_with_the_first_fits_target_standardization(wine):
    X, y = wine
    reg = DeepRegressor(warm_start=True, **SMALL).fit(X, y * 1.0)
    scaler = reg.network_.target_standardizer
    reg.fit(X, y * 100.0 + 5)  # other targets: the same standardization, the network learns the new ones
    for kept in (reg.network_.target_standardizer, reg.target_scaler_):
        np.testing.assert_array_equal(kept.mean, scaler.mean)
        np.testing.assert_array_equal(kept.scale, scaler.scale)
    np.testing.assert_allclose(scaler.mean[0, 0], statistics.mean(y.tolist()), rtol=1e-15)
    assert len(reg.loss_curve_) == 10


# -- targets of any finite size -------------------------------------------------------------------------------


def linear_data(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (m, 2))
    return X, X @ np.array([0.6, -0.3]) + 0.1  # |t| <= 1


LINEAR = dict(hidden_layer_sizes=(), optimizer="gd", learning_rate=0.5, batch_size=None, l2=0.0,
              num_iterations=400, random_state=0)


@pytest.mark.parametrize("unit", [1e-200, 1e-300, 1.0, 1e200, 1.7e308, -1.7e308])
def test_the_regressor_learns_targets_of_any_size(unit):
    """y = unit * (0.6 x1 - 0.3 x2 + 0.1): linear regression, whose answer is exact, in any units; the
    standardization is exact arithmetic's (statistics module)."""
    X, t = linear_data()
    y = unit * t
    given = y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = DeepRegressor(**LINEAR).fit(X, y)
        predicted = reg.predict(X)
    np.testing.assert_array_equal(y, given)
    scaler = reg.target_scaler_
    np.testing.assert_allclose(scaler.mean[0, 0], statistics.mean(y.tolist()), rtol=1e-14)
    np.testing.assert_allclose(scaler.scale[0, 0], statistics.pstdev(y.tolist()), rtol=1e-14)
    np.testing.assert_allclose(predicted, y, rtol=1e-8)


def test_targets_near_the_float_range_with_a_skewed_mean():
    """y - mean beyond 1.8e308 for some samples (mostly negative targets, a few at +1.7e308): still right."""
    X = np.linspace(-1, 1, 50)[:, np.newaxis] ** 3
    y = 1.7e308 * X[:, 0]
    reg = DeepRegressor(**LINEAR).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), y, rtol=1e-8)
    # a prediction beyond the float range is refused, naming X, never returned as inf
    far = np.array([[1.2]])
    no_warning_raises(DeepstepError, r"^X: .*beyond", reg.predict, far)
    np.testing.assert_array_equal(far, [[1.2]])


def test_targets_a_float32_regressor_cannot_hold_are_refused_by_name():
    X, t = linear_data()
    for y in (t * 1e300, t * 1e-40):
        reg = DeepRegressor(dtype=np.float32, **LINEAR)
        no_warning_raises(DeepstepError, r"^y: .*float32", reg.fit, X, y)
        assert not hasattr(reg, "network_")
    reg = DeepRegressor(dtype=np.float32, **LINEAR).fit(X, t * 1e30)
    assert reg.predict(X).dtype == np.float32
    np.testing.assert_allclose(reg.predict(X), t * 1e30, rtol=1e-4)


# -- a saved network_ predicts in the targets' units ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("outputs", [1, 2])
def test_a_saved_regressor_predicts_in_the_targets_units(tmp_path, dtype, outputs):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((80, 3))
    y = np.column_stack([X @ [1.0, -2.0, 0.5] * 1000 + 4930, np.cos(X[:, 0]) * 1e-3])[:, :outputs]
    y = y[:, 0] if outputs == 1 else y
    reg = DeepRegressor(hidden_layer_sizes=(6,), num_iterations=20, dtype=dtype, random_state=0).fit(X, y)
    expected = reg.predict(X).reshape(80, outputs)
    np.testing.assert_array_equal(reg.network_.predict(X.T.astype(dtype)).T, expected)
    reg.network_.save(tmp_path / "net.npz")
    reg.save(tmp_path / "est.npz")
    for name in ("net.npz", "est.npz"):
        back = ds.load_model(tmp_path / name)
        np.testing.assert_array_equal(back.predict(X.T.astype(dtype)).T, expected)
        np.testing.assert_allclose(back.target_standardizer.mean.ravel(), y.reshape(80, -1).mean(axis=0),
                                   rtol=1e-6 if dtype == np.float32 else 1e-13)
    # in the targets' units: the standardized values the network computes, times y's std, plus y's mean
    Y = y.reshape(80, -1)
    standardized = back.predict_proba(X.T.astype(dtype)).T
    np.testing.assert_allclose(expected, standardized * Y.std(axis=0) + Y.mean(axis=0),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_the_regressors_onnx_graph_gives_the_targets_units(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from deepstep.export import export_onnx

    X, t = linear_data()
    reg = DeepRegressor(**LINEAR).fit(X, t * 1000 + 4930)
    export_onnx(reg.network_, tmp_path / "reg.onnx")
    session = ort.InferenceSession(str(tmp_path / "reg.onnx"), providers=["CPUExecutionProvider"])
    values = session.run(None, {"X": X})[0]
    np.testing.assert_allclose(values[:, 0], reg.predict(X), rtol=1e-12)
    np.testing.assert_allclose(values[:, 0], t * 1000 + 4930, rtol=1e-8)


def test_a_saved_classifier_predicts_the_class_indices_and_names_them(tmp_path):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labels = np.array(["barolo", "grignolino", "barbera"], dtype=object)[y]
    clf = DeepClassifier(**SMALL).fit(X, labels)
    clf.save(tmp_path / "wine.npz")
    back = ds.load_model(tmp_path / "wine.npz")
    assert back.metadata["classes"] == ["barbera", "barolo", "grignolino"] == clf.classes_.tolist()
    np.testing.assert_array_equal(clf.classes_[back.predict(X.T)[0]], clf.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X.T).T, clf.predict_proba(X))
    with pytest.raises(NotFittedError):
        DeepClassifier().save(tmp_path / "unfitted.npz")


# -- unusable input: deepstep's error, no warning, the input unchanged ------------------------------------------


def test_labels_of_mixed_kinds_are_refused_by_name(wine):
    X, _ = wine
    y = np.array(["a", 1, "b"] * 59 + ["a"], dtype=object)
    given = y.copy()
    clf = DeepClassifier(**SMALL)
    no_warning_raises(DeepstepError, r"^y: expected labels of one kind", clf.fit, X, y)
    no_warning_raises(DeepstepError, r"^y: expected labels of one kind", clf.partial_fit, X, y, classes=["a", "b"])
    no_warning_raises(DeepstepError, r"^classes: expected labels of one kind", clf.partial_fit, X,
                      np.array(["a", "b"] * 89, dtype=object), classes=["a", 1, "b"])
    assert (y == given).all() and [type(v) for v in y] == [type(v) for v in given]
    assert not hasattr(clf, "classes_")


def test_missing_values_from_pandas_are_refused_by_name_without_encoding():
    pd = pytest.importorskip("pandas")
    X, y = load_wine(return_X_y=True, as_frame=True)
    X = X.astype(object)
    X["colour"] = pd.array(["red", pd.NA, "white"] * 59 + ["red"], dtype="string")
    X_given = X.copy()
    for Est in (DeepClassifier, DeepRegressor):
        no_warning_raises(DeepstepError, r"^X: expected no missing values, got 59", Est(encode=False, **SMALL).fit,
                          X, y)
        with warnings.catch_warnings():  # encoded (the default): the text and the missing cells become features
            warnings.simplefilter("error")
            est = Est(**SMALL).fit(X, y)
        assert est.encoder_.names[-3:] == ["colour=red", "colour=white", "colour=missing"]
    assert X.equals(X_given)
    Xn = X.drop(columns="colour").astype(float)
    labels = pd.Series(pd.array(["x", pd.NA, "z"] * 59 + ["x"], dtype="string"))
    labels_given = labels.copy()
    no_warning_raises(DeepstepError, r"^y: expected no missing values", DeepClassifier(**SMALL).fit, Xn, labels)
    target = pd.Series(pd.array([1.5, pd.NA, 2.5] * 59 + [1.0], dtype="Float64"))
    no_warning_raises(DeepstepError, r"^y: expected no missing values", DeepRegressor(**SMALL).fit, Xn, target)
    assert labels.equals(labels_given)
    fitted = DeepClassifier(**SMALL).fit(Xn, y)
    with_na = Xn.astype(object)
    with_na.iloc[3, 2] = pd.NA
    no_warning_raises(DeepstepError, r"^X: expected no missing values, got 1", fitted.predict, with_na)


@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
def test_sparse_input_is_refused_by_name(wine, Est):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = wine
    for make in (sparse.csr_matrix, sparse.csr_array, sparse.coo_matrix):
        S = make(X)
        no_warning_raises(DeepstepError, r"^X: expected a dense array, got a sparse", Est(**SMALL).fit, S, y)
        est = Est(**SMALL).fit(X, y)
        no_warning_raises(DeepstepError, r"^X: .*sparse", est.predict, S)
        np.testing.assert_array_equal(S.toarray(), X)


@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
def test_float32_estimators_refuse_huge_X_without_a_warning(wine, Est):
    X, y = wine
    huge = X * 1e300
    given = huge.copy()
    est = Est(dtype=np.float32, **SMALL)
    no_warning_raises(DeepstepError, r"^X: expected values that fit in float32", est.fit, huge, y)
    assert not hasattr(est, "network_")
    est.fit(X, y)
    before = state(est)
    no_warning_raises(DeepstepError, r"^X: expected values that fit in float32", est.predict, huge)
    no_warning_raises(DeepstepError, r"^X: expected values that fit in float32", est.partial_fit, huge, y)
    np.testing.assert_array_equal(huge, given)
    assert_same_state(est, before, X)


@pytest.mark.parametrize("Est", [DeepClassifier, DeepRegressor])
def test_finite_X_near_the_float_range_is_refused_without_a_warning(wine, Est):
    """float32 X near 3.4e38 of both signs: scikit-learn's finiteness check sums X (inf - inf) and NumPy warns
    unless told not to; the estimators refuse such X (the forward pass overflows) with an error only."""
    X, y = wine
    big = (np.clip(X, -1, 1) * 3e38).astype(np.float32)
    given = big.copy()
    est = Est(dtype=np.float32, standardize=False, **SMALL)
    # (the engine reports a cost that is NaN from the first epoch as a divergence, naming learning_rate)
    no_warning_raises(DeepstepError, r"^(X|learning_rate): ", est.fit, big, y)
    assert not hasattr(est, "network_")
    with warnings.catch_warnings():  # standardized (the default), such X is only numbers of another unit
        warnings.simplefilter("error")
        fitted = Est(dtype=np.float32, **SMALL).fit(big, y)
        out = fitted.predict(big) if Est is DeepRegressor else fitted.predict_proba(big)
        assert np.isfinite(out).all()
    est.fit(X, y)
    no_warning_raises(DeepstepError, r"^X: the forward pass overflows", est.predict, big)
    np.testing.assert_array_equal(big, given)
    # in float64 the same values are ordinary: scikit-learn's check is quiet there too
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(Est(**SMALL).fit(big, y).predict(big)).all()
