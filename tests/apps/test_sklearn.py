"""deepstep.sklearn: scikit-learn's own estimator checks, the ecosystem (Pipeline, GridSearchCV, cross_val_score,
clone), the defaults on real tables, and the estimators computing exactly what the engine computes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import deepstep as ds  # noqa: E402
from deepstep.errors import DeepstepError  # noqa: E402
from deepstep.sklearn import DeepClassifier, DeepRegressor  # noqa: E402

ESTIMATORS = [DeepClassifier(random_state=0), DeepRegressor(random_state=0)]
EXPECTED_FAILURES: dict = {}  # none: every check of scikit-learn passes (sample weights as repeated rows too)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, random_state=0, stratify=y)


def test_defaults_on_the_digits(digits):
    """The issue's bar: DeepClassifier() with no arguments, >= 95% held-out on the 8x8 digits."""
    X_train, X_test, y_train, y_test = digits
    clf = DeepClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95
    assert clf.network_.layer_dims == [64, 100, 10] and clf.network_.output_activation == "softmax"
    assert clf.n_iter_ == 200 and len(clf.loss_curve_) == 200 and clf.loss_curve_ == clf.history_.cost


def _same_training_by_hand(X, y, classes, **settings):
    """What DeepClassifier must compute, written with the engine directly: columns, label indices, the seed."""
    seed = np.random.default_rng(np.random.RandomState(7).randint(0, 2**31 - 1))
    n_out = 1 if len(classes) == 2 else len(classes)
    net = ds.DeepNetwork([X.shape[1], 5, n_out], output_activation="sigmoid" if n_out == 1 else "softmax",
                         rng=seed, standardize=True)  # (the estimators standardize X by default)
    index = {c: i for i, c in enumerate(classes)}
    Y = np.array([[index[v] for v in y]])
    net.fit(X.T.copy(), Y, learning_rate=0.01, num_iterations=15, batch_size=32, optimizer="adam",
            l2=1.0)  # (the classifier's default l2)
    return net


@pytest.mark.parametrize("labels", [["no", "yes"], [-1, 1], ["a", "b", "c"], [3, -7, 10, 0]],
                         ids=["strings-binary", "negative-binary", "strings-3", "ints-4"])
def test_the_estimator_is_the_engine_on_transposed_data(labels):
    """Any label values: the network trained on (X.T, class indices) with the same seed, bit for bit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 4))
    y = np.array(labels, dtype=object if isinstance(labels[0], str) else None)[rng.integers(0, len(labels), 90)]
    clf = DeepClassifier(hidden_layer_sizes=(5,), learning_rate=0.01, num_iterations=15, batch_size=32,
                         random_state=7).fit(X, y)
    classes = sorted(labels)
    assert clf.classes_.tolist() == classes
    net = _same_training_by_hand(X, y, classes)
    for key, P in net.parameters.items():
        np.testing.assert_array_equal(clf.network_.parameters[key], P)
    A = net.predict_proba(X.T.copy())
    proba = clf.predict_proba(X)
    expected = np.vstack([1 - A, A]).T if A.shape[0] == 1 else A.T
    np.testing.assert_array_equal(proba, expected)
    assert proba.shape == (90, len(labels))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.predict(X).tolist() == [classes[i] for i in expected.argmax(axis=1)]


def test_float32_is_kept(digits):
    X_train, X_test, y_train, _ = digits
    clf = DeepClassifier(num_iterations=3, dtype=np.float32, random_state=0).fit(X_train, y_train)
    assert clf.network_.parameters["W1"].dtype == np.float32
    assert clf.predict_proba(X_test).dtype == np.float32


def test_partial_fit_is_one_epoch_of_fit():
    """Three partial_fit calls end where fit with num_iterations=3 ends, bit for bit (the optimizer goes on)."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    settings = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=3)
    whole = DeepClassifier(num_iterations=3, **settings).fit(X, y)
    parts = DeepClassifier(**settings)
    with pytest.raises(ValueError, match="classes: expected every class label"):
        parts.partial_fit(X, y)
    for _ in range(3):
        parts.partial_fit(X, y, classes=[0, 1, 2])
    assert parts.n_iter_ == 1 and len(parts.loss_curve_) == 3
    for key, P in whole.network_.parameters.items():
        np.testing.assert_array_equal(parts.network_.parameters[key], P)
    with pytest.raises(ValueError, match="X has 5 features"):
        parts.partial_fit(X[:, :5], y)


def test_warm_start_goes_on():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    settings = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=3)
    once = DeepClassifier(num_iterations=10, **settings).fit(X, y)
    twice = DeepClassifier(num_iterations=5, warm_start=True, **settings).fit(X, y).fit(X, y)
    cold = DeepClassifier(num_iterations=5, **settings).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(twice.network_.parameters["W1"], once.network_.parameters["W1"])
    assert len(twice.loss_curve_) == 10 and len(cold.loss_curve_) == 5


def test_early_stopping_holds_out_and_stops():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = DeepClassifier(early_stopping=True, patience=5, num_iterations=500, random_state=0).fit(X, y)
    assert clf.n_iter_ < 500
    h = clf.history_
    assert len(h.val_cost) == clf.n_iter_
    best = int(np.argmin(h.val_cost))
    assert clf.n_iter_ == best + 1 + 5  # stopped after `patience` epochs without a better validation cost


def test_in_a_pipeline_with_cross_val_score_and_clone():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), DeepClassifier(hidden_layer_sizes=(16,), random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.94  # logistic regression gets about 0.97
    copy = clone(pipe)
    assert copy.get_params()["deepclassifier__hidden_layer_sizes"] == (16,)
    assert not hasattr(copy[-1], "network_")


def test_grid_search_in_two_processes():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    grid = GridSearchCV(DeepClassifier(num_iterations=20, random_state=0),
                        {"hidden_layer_sizes": [(4,), (16,)], "learning_rate": [0.001, 0.01]}, cv=3, n_jobs=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"hidden_layer_sizes", "learning_rate"}
    assert grid.best_score_ > 0.9 and len(grid.cv_results_["params"]) == 4
    # the refitted best estimator is the one a serial fit with those settings gives
    serial = DeepClassifier(num_iterations=20, random_state=0, **grid.best_params_).fit(X, y)
    np.testing.assert_array_equal(grid.best_estimator_.network_.parameters["W1"], serial.network_.parameters["W1"])


def test_feature_names_from_a_data_frame():
    pd = pytest.importorskip("pandas")
    X, y = load_wine(return_X_y=True, as_frame=True)
    clf = DeepClassifier(num_iterations=2, random_state=0).fit(X, y)
    assert clf.feature_names_in_.tolist() == list(X.columns) and clf.n_features_in_ == 13
    assert isinstance(X, pd.DataFrame)


@pytest.mark.parametrize("param, value, match", [
    ("hidden_layer_sizes", (0,), "hidden_layer_sizes: expected positive integers"),
    ("learning_rate", -1.0, "learning_rate: expected a positive"),
    ("batch_size", 0, "batch_size: expected a positive integer or None"),
    ("optimizer", "sgd2", "optimizer"),
    ("hidden_activation", "swish", "hidden_activation"),
])
def test_bad_parameters_are_named(param, value, match):
    X, y = load_wine(return_X_y=True)
    with pytest.raises(DeepstepError, match=match):
        DeepClassifier(num_iterations=1, **{param: value}).fit(X, y)


def test_unfitted_and_unknown_labels():
    X, y = load_wine(return_X_y=True)
    with pytest.raises(NotFittedError):
        DeepClassifier().predict(X)
    clf = DeepClassifier(num_iterations=1, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"y: expected labels among classes_"):
        clf.fit(X, y + 5)


# -- the regressor -------------------------------------------------------------------------------------------


def test_regressor_defaults_on_the_diabetes_table():
    """The issue's bar: make_pipeline(StandardScaler(), DeepRegressor()) no worse than MLPRegressor(max_iter=2000)
    on held-out R^2 (one split here; the README gives 5-fold means over three shuffles)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    ours = make_pipeline(StandardScaler(), DeepRegressor(random_state=0)).fit(X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # MLP's own note, if it stops at max_iter
        theirs = make_pipeline(StandardScaler(), MLPRegressor(max_iter=2000, random_state=0)).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test)


def test_regressor_is_the_engine_on_standardized_targets():
    """Real targets: the network is trained on (X.T, (y - mean) / std) with a linear output (up to the rounding of
    the standardizations, which the estimator and the network compute in their own order)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 3))
    y = np.column_stack([X @ [1.0, -2.0, 0.5] * 100 + 30, np.sin(X[:, 0])])  # two targets, different scales
    reg = DeepRegressor(hidden_layer_sizes=(6,), num_iterations=12, batch_size=32, l2=0.5, random_state=7).fit(X, y)
    seed = np.random.default_rng(np.random.RandomState(7).randint(0, 2**31 - 1))
    net = ds.DeepNetwork([3, 6, 2], output_activation="linear", rng=seed, standardize=True)
    mean, std = y.mean(axis=0), y.std(axis=0)
    net.fit(X.T.copy(), y.T.copy(), learning_rate=0.001, num_iterations=12, batch_size=32, optimizer="adam", l2=0.5)
    np.testing.assert_allclose(net.target_standardizer.mean[:, 0], mean, rtol=1e-12)  # it learns (y - mean) / std
    np.testing.assert_allclose(net.target_standardizer.scale[:, 0], std, rtol=1e-12)
    for key, P in net.parameters.items():
        np.testing.assert_allclose(reg.network_.parameters[key], P, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(reg.predict(X), net.predict(X.T.copy()).T, rtol=1e-11)
    assert reg.predict(X).shape == (80, 2) and reg.n_outputs_ == 2
    one = DeepRegressor(num_iterations=2, random_state=0).fit(X, y[:, 0])
    assert one.predict(X).shape == (80,)


def test_regressor_float32_and_partial_fit():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reg = DeepRegressor(num_iterations=2, dtype=np.float32, random_state=0).fit(X, y)
    assert reg.predict(X).dtype == np.float32
    settings = dict(hidden_layer_sizes=(8,), batch_size=64, random_state=3)
    whole = DeepRegressor(num_iterations=3, **settings).fit(X, y)
    parts = DeepRegressor(**settings)
    for _ in range(3):
        parts.partial_fit(X, y)
    np.testing.assert_array_equal(parts.network_.parameters["W1"], whole.network_.parameters["W1"])
    assert parts.score(X, y) == whole.score(X, y)
