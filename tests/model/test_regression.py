"""Regression in the engine: a linear output with J = (1/2m) sum ||A[L] - Y||^2, so that dZ[L] = A[L] - Y.

Checked against centered finite differences, the normal equations of least squares (a second implementation),
R^2 and MAE worked out by hand, and scikit-learn's r2_score where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep import metrics
from deepstep.cost import mean_squared_error
from deepstep.errors import DeepstepError
from deepstep.tasks import task_for


def wave(m=200, seed=0, outputs=1):
    """y = sin(x) (and cos(x), x^2/4 for more outputs): a smooth real target a small network fits."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, (1, m))
    Y = np.vstack([np.sin(X), np.cos(X), X**2 / 4][:outputs])
    return X, Y


@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradients_match_centered_differences(hidden, l2):
    rng = np.random.default_rng(1)
    params = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1)),
              "W2": rng.standard_normal((2, 4)), "b2": rng.standard_normal((2, 1))}
    X, Y = rng.standard_normal((3, 7)), rng.standard_normal((2, 7)) * 5
    difference = ds.gradient_check(params, X, Y, hidden, "linear", l2=l2)
    assert difference < 1e-7


def test_the_cost_and_its_delta_by_hand():
    AL, Y = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 1.0]]), np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 1.0]])
    assert mean_squared_error(AL, Y) == (1 + 0 + 9 + 1) / (2 * 3)
    # model_backward of a one-layer linear model: dW = (1/m) (A - Y) X^T, db = (1/m) sum(A - Y)
    X = np.array([[1.0, 2.0, 3.0]])
    W, b = np.array([[0.5], [-1.0]]), np.array([[0.2], [0.1]])
    AL, caches = ds.model_forward(X, {"W1": W, "b1": b}, output_activation="linear")
    np.testing.assert_array_equal(AL, W @ X + b)
    grads = ds.model_backward(AL, Y, caches, output_activation="linear")
    np.testing.assert_allclose(grads["dW1"], (AL - Y) @ X.T / 3, rtol=1e-15)
    np.testing.assert_allclose(grads["db1"], (AL - Y).sum(axis=1, keepdims=True) / 3, rtol=1e-15)


def test_linear_regression_reaches_the_least_squares_solution():
    """[n, 1] with a linear output is linear regression: gradient descent ends at the normal equations' answer."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 100))
    Y = np.array([[1.5, -2.0, 0.5]]) @ X + 0.7 + 0.1 * rng.standard_normal((1, 100))
    net = ds.DeepNetwork([3, 1], output_activation="linear", init="zeros")
    net.fit(X, Y, learning_rate=0.3, num_iterations=2000)
    design = np.vstack([X, np.ones((1, 100))]).T
    solution, *_ = np.linalg.lstsq(design, Y[0], rcond=None)
    np.testing.assert_allclose(net.parameters["W1"].ravel(), solution[:3], rtol=1e-9)
    np.testing.assert_allclose(net.parameters["b1"].ravel(), solution[3:], rtol=1e-9)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_fits_a_wave(optimizer):
    X, Y = wave()
    net = ds.DeepNetwork([1, 16, 16, 1], hidden_activation="tanh", output_activation="linear", init="xavier", rng=0)
    lr = {"gd": 0.1, "momentum": 0.1, "rmsprop": 0.005, "adam": 0.01}[optimizer]
    h = net.fit(X, Y, learning_rate=lr, num_iterations=1500, optimizer=optimizer, batch_size=50)
    assert h.cost[-1] < 0.1 * h.cost[0]
    assert net.score(X, Y) > 0.95 and h.r2[-1] > 0.9
    assert h.accuracy == [] and len(h.r2) == 1500


def test_gram_form_equals_plain_for_regression():
    X, Y = wave(m=60, outputs=2)
    X = np.vstack([X, X**2, -X])  # n[0] = 3
    nets = {}
    for method in ("plain", "gram"):
        nets[method] = ds.DeepNetwork([3, 5, 2], hidden_activation="tanh", output_activation="linear", rng=4)
        nets[method].fit(X, Y, learning_rate=0.05, num_iterations=200, optimizer="momentum", method=method)
    for key, P in nets["plain"].parameters.items():
        np.testing.assert_allclose(nets["gram"].parameters[key], P, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nets["gram"].history.cost, nets["plain"].history.cost, rtol=1e-10)


def test_engine_gradients_equal_model_backward_for_a_linear_output():
    from deepstep.engine import Engine

    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((3, 9)), rng.standard_normal((2, 9))
    net = ds.DeepNetwork([3, 4, 2], hidden_activation="relu", output_activation="linear", rng=5)
    params = {k: v.copy() for k, v in net.parameters.items()}
    AL, caches = ds.model_forward(X, params, "relu", "linear")
    expected = ds.model_backward(AL, Y, caches, "relu", "linear")
    engine = Engine(net.layer_dims, net.hidden, net.output, X.dtype, keep_prob=[])
    W = [None, params["W1"], params["W2"]]
    b = [None, params["b1"], params["b2"]]
    engine.forward(W, b, X)
    engine.backward(Y, W)
    for l in (1, 2):
        np.testing.assert_allclose(engine.dW[l], expected[f"dW{l}"], rtol=1e-13)
        np.testing.assert_allclose(engine.db[l], expected[f"db{l}"], rtol=1e-13)


def test_multi_output_r2_and_mae_by_hand():
    Y = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 2.0, 2.0]])
    A = np.array([[1.0, 2.0, 3.0, 5.0], [0.0, 1.0, 2.0, 2.0]])
    # output 1: residual 1, total 5 -> 0.8; output 2: residual 1, total 4 -> 0.75; mean 0.775
    assert metrics.r2_score(Y, A) == pytest.approx(0.775, abs=1e-15)
    assert metrics.mean_absolute_error(Y, A) == 2 / 8
    assert metrics.root_mean_squared_error(Y, A) == pytest.approx(np.sqrt(2 / 8), abs=1e-15)
    sk = pytest.importorskip("sklearn.metrics")
    assert metrics.r2_score(Y, A) == pytest.approx(sk.r2_score(Y.T, A.T), abs=1e-15)


def test_accuracy_is_refused_for_regression_and_r2_is_the_score():
    X, Y = wave(m=30)
    net = ds.DeepNetwork([1, 3, 1], output_activation="linear", rng=0)
    with pytest.raises(DeepstepError, match="accuracy: .*regression.*score"):
        net.accuracy(X, Y)
    A = net.predict(X)
    np.testing.assert_array_equal(A, net.predict_proba(X))  # predict gives the values A[L]
    assert net.score(X, Y) == pytest.approx(1 - ((Y - A) ** 2).sum() / ((Y - Y.mean()) ** 2).sum(), rel=1e-12)
    assert net.task is task_for("linear") and net.task.name == "regression"


def test_targets_are_real_values_of_n_outputs():
    X, Y = wave(m=20, outputs=2)
    net = ds.DeepNetwork([1, 3, 2], output_activation="linear", rng=0)
    with pytest.raises(DeepstepError, match=r"Y: expected shape \(2, 20\)"):
        net.fit(X, Y[:1], learning_rate=0.1, num_iterations=1)
    with pytest.raises(DeepstepError, match="Y: expected finite"):
        net.fit(X, np.where(Y > 0.9, np.nan, Y), learning_rate=0.1, num_iterations=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_regression_model_saves_and_loads(tmp_path, dtype):
    X, Y = wave(m=50)
    X, Y = X.astype(dtype), Y.astype(dtype)
    net = ds.DeepNetwork([1, 6, 1], hidden_activation="tanh", output_activation="linear", rng=0, dtype=dtype)
    net.fit(X, Y, learning_rate=0.05, num_iterations=30, validation_fraction=0.2, optimizer="adam")
    assert net.predict(X).dtype == dtype
    net.save(tmp_path / "m.npz")
    back = ds.load_model(tmp_path / "m.npz")
    assert back.output_activation == "linear"
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert back.history.r2 == net.history.r2 and back.history.val_r2 == net.history.val_r2
    assert len(net.history.val_r2) == 30


def test_validation_fraction_of_real_targets_is_a_random_share():
    X, Y = wave(m=100)
    seen = {}

    class Spy(ds.callbacks.Callback):
        def on_train_begin(self, run):
            seen["m_train"], seen["m_val"] = run.m, run.validation[0].shape[1]

    ds.DeepNetwork([1, 3, 1], output_activation="linear", rng=0).fit(
        X, Y, learning_rate=0.01, num_iterations=1, validation_fraction=0.25, callbacks=[Spy()])
    assert seen == {"m_train": 75, "m_val": 25}
