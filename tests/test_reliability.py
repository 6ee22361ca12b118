"""Issue 9's library edges: one test per failure kind seen (each failed on the code before the fix)."""

import copy
import warnings

import numpy as np
import pytest

import deepstep as ds
from deepstep.metrics import classification_report, confusion_matrix, precision_recall_f1


@pytest.fixture(autouse=True)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_a_fit_whose_last_update_breaks_the_parameters_never_returns_them(rng):
    X = rng.standard_normal((3, 20)) * 1e10
    Y = (X[:1] > 0).astype(np.float64)
    net = ds.DeepNetwork([3, 4, 1], rng=0)
    start = {k: v.copy() for k, v in net.parameters.items()}
    # one iteration: its cost is finite, its update (learning rate 1e308) is not; no later cost would show it
    with pytest.raises(ds.TrainingDiverged, match=r"iteration 0 \(its update gave parameters of NaN or inf\)"):
        net.fit(X, Y, learning_rate=1e308, num_iterations=1)
    for k, P in start.items():
        np.testing.assert_array_equal(net.parameters[k], P)
    assert net.history.cost == []


def test_a_network_of_non_finite_parameters_cannot_be_saved(tmp_path):
    net = ds.DeepNetwork([2, 3, 1], rng=0)
    net.parameters["W2"][0, 0] = np.inf
    with pytest.raises(ds.DeepstepError, match="W2 holds NaN or inf"):
        net.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_integer_AL_is_a_probability_like_any_other():
    Y = np.array([[1, 0, 1, 0]])
    AL_int, AL_float = np.array([[1, 0, 1, 1]]), np.array([[1.0, 0.0, 1.0, 1.0]])
    assert ds.compute_cost(AL_int, Y) == ds.compute_cost(AL_float, Y)
    # three right with certainty, one wrong with certainty: -(1/4) log(tiny) for that one
    assert ds.compute_cost(AL_int, Y) == pytest.approx(-np.log(np.finfo(np.float64).epsneg) / 4, rel=1e-12)


def as_matrix(a):
    with warnings.catch_warnings():  # NumPy's own PendingDeprecationWarning for making a matrix
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(a)


@pytest.mark.parametrize("wrap", [as_matrix, lambda a: np.ma.masked_array(a, mask=np.zeros_like(a, bool))],
                         ids=["matrix", "masked-without-masked-entries"])
def test_matrix_and_unmasked_arrays_give_the_plain_arrays_results(wrap, rng):
    params = ds.initialize_parameters([3, 4, 1], rng=0)
    X = rng.standard_normal((3, 5))
    wrapped = {k: wrap(v) for k, v in params.items()}
    plain_AL, _ = ds.model_forward(X, params)
    AL, caches = ds.model_forward(wrap(X), wrapped)
    assert type(AL) is np.ndarray and AL.shape == (1, 5)
    np.testing.assert_array_equal(AL, plain_AL)
    np.testing.assert_array_equal(ds.predict_forward(wrap(X), wrapped), plain_AL)
    net = ds.DeepNetwork.from_parameters(wrapped)
    np.testing.assert_array_equal(net.predict_proba(wrap(X)), plain_AL)


def test_a_masked_array_hiding_nan_is_refused_by_name(rng):
    X = rng.standard_normal((3, 5))
    X[1, 2] = np.nan
    hidden = np.ma.masked_invalid(X)
    net = ds.DeepNetwork([3, 4, 1], rng=0)
    for call in (lambda: net.predict(hidden), lambda: ds.model_forward(hidden, net.parameters),
                 lambda: ds.linear_forward(hidden, net.parameters["W1"], net.parameters["b1"])):
        with pytest.raises(ds.DeepstepError, match=r"(X|A_prev): expected a plain NumPy array, got a masked array "
                                                   r"with 1 masked entries"):
            call()
    assert np.isnan(hidden.data[1, 2]) and hidden.mask[1, 2]  # untouched


def test_boolean_inputs_are_zero_and_one(rng):
    X = rng.random((3, 6)) > 0.5
    net = ds.DeepNetwork([3, 4, 1], rng=0)
    np.testing.assert_array_equal(net.predict_proba(X), net.predict_proba(X.astype(np.float64)))
    Y = np.array([[True, False, True, False, True, True]])
    assert net.accuracy(X, Y) == net.accuracy(X, Y.astype(np.int64))


def test_nan_weights_are_refused_when_a_network_is_made_from_them():
    params = ds.initialize_parameters([2, 3, 1], rng=0)
    params["b1"][1, 0] = np.nan
    before = copy.deepcopy(params)
    with pytest.raises(ds.DeepstepError, match=r"parameters: expected finite values, got NaN or inf in b1"):
        ds.DeepNetwork.from_parameters(params)
    np.testing.assert_array_equal(params["W1"], before["W1"])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: confusion_matrix(np.array([[0, 1, -1]]), np.array([[0, 1, 1]])), r"y_true: expected class indices >= 0"),
    (lambda: confusion_matrix(np.array([[0, 1, 2]]), np.array([[0, 1, 1]]), n_classes=2),
     r"y_true: expected class indices below 2"),
    (lambda: classification_report(np.array([[0, 1]]), np.array([[0, 5]]), ["a", "b"]),
     r"y_pred: expected class indices below 2"),
    (lambda: precision_recall_f1(np.array([[0.5, 1]]), np.array([[0, 1]])), r"y_true: expected class indices"),
    (lambda: confusion_matrix(np.array([[0, 1]]), np.array([[0, 1, 1]])), r"y_pred: expected 2 labels"),
    (lambda: confusion_matrix(np.array([["a", "b"]]), np.array([[0, 1]])), r"y_true: expected a numeric"),
])
def test_metrics_refuse_labels_that_are_not_class_indices(call, message):
    with pytest.raises(ds.DeepstepError, match=message):
        call()


def test_metrics_count_what_they_should():
    # y_true 0 0 1 1 1, y_pred 0 1 1 1 0: C = [[1, 1], [1, 2]]; class 1: TP 2, FP 1, FN 1
    C = confusion_matrix(np.array([[0, 0, 1, 1, 1]]), np.array([[0, 1, 1, 1, 0]]))
    np.testing.assert_array_equal(C, [[1, 1], [1, 2]])
    assert precision_recall_f1(np.array([[0, 0, 1, 1, 1]]), np.array([[0, 1, 1, 1, 0]])) == (2 / 3, 2 / 3, 2 / 3)


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "leaky_relu:0.5"])
@pytest.mark.parametrize("value", [1e308, -1e308, 1e300, 3e38])
def test_extreme_finite_inputs_compute_or_are_refused_without_a_warning(hidden, value):
    net = ds.DeepNetwork([2, 3, 1], hidden_activation=hidden, rng=0)
    X = np.array([[value, 1.0], [0.5, -value]])
    try:
        A = net.predict_proba(X)
    except ds.DeepstepError as exc:
        assert "overflows" in str(exc)
    else:
        assert np.isfinite(A).all() and ((A >= 0) & (A <= 1)).all()
    assert X[0, 0] == value  # untouched


@pytest.mark.parametrize("slope", ["1e300", "-1e7", "inf", "nan"])
def test_absurd_leaky_slopes_are_refused(slope):
    with pytest.raises(ds.DeepstepError, match=r"hidden_activation: expected 'leaky_relu:SLOPE' with a finite slope"):
        ds.DeepNetwork([2, 3, 1], hidden_activation=f"leaky_relu:{slope}")


def test_a_callback_that_is_not_callable_is_refused_before_training(rng):
    X = rng.standard_normal((2, 10))
    Y = (X[:1] > 0).astype(np.float64)
    net = ds.DeepNetwork([2, 3, 1], rng=0)
    before = {k: v.copy() for k, v in net.parameters.items()}
    with pytest.raises(ds.DeepstepError, match="callbacks: expected deepstep.callbacks.Callback objects or functions"):
        net.fit(X, Y, 0.1, 5, callbacks=[print, "not callable"])
    assert net.history.cost == [] and all(np.array_equal(net.parameters[k], v) for k, v in before.items())


def test_model_files_refuse_what_is_not_a_model(tmp_path):
    np.save(tmp_path / "array.npy", np.ones(3))
    for path in (tmp_path / "array.npy", tmp_path, None, 42):
        with pytest.raises(ds.ModelFileError):
            ds.load_model(path)


def test_the_guard_never_puts_back_infinite_parameters_behind_a_finite_cost():
    """A saturated tanh gives a finite cost of infinite weights: the guard must not take that state as sound."""
    X = np.random.default_rng(0).standard_normal((3, 40)) * 1e10
    Y = (X[:1] > 0) * 1.0
    net = ds.DeepNetwork([3, 4, 1], hidden_activation="tanh", rng=0)
    with pytest.raises(ds.TrainingDiverged, match="parameters (hold|of) NaN or inf"):
        net.fit(X, Y, learning_rate=1e308, num_iterations=3, optimizer="adam", method="plain")
    assert all(np.isfinite(P).all() for P in net.parameters.values())
