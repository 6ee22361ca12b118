"""Bad input: deepstep's own error, naming the argument, the expected and the actual; inputs untouched."""

import numpy as np
import pytest

import deepstep as ds

X_OK = np.arange(12, dtype=float).reshape(3, 4) / 10
Y_OK = np.array([[0, 1, 1, 0]])


def with_nan():
    X = X_OK.copy()
    X[1, 2] = np.nan
    return X


def with_inf():
    X = X_OK.copy()
    X[0, 0] = np.inf
    return X


@pytest.mark.parametrize(
    "X, Y, kwargs, expected",
    [
        (np.ones((5, 4)), Y_OK, {}, r"X: expected 3 rows .*got shape \(5, 4\)"),
        (np.ones(4), Y_OK, {}, r"X: expected a 2-D array.*got shape \(4,\)"),
        ([[1.0, 2.0]], Y_OK, {}, r"X: expected a NumPy array"),
        (np.ones((3, 0)), np.ones((1, 0)), {}, r"X: expected at least one example \(m >= 1\), got shape \(3, 0\)"),
        (with_nan(), Y_OK, {}, r"X: expected finite values, got 1 NaN or inf"),
        (with_inf(), Y_OK, {}, r"X: expected finite values"),
        (X_OK, np.array([0, 1, 1, 0]), {}, r"Y: expected shape \(1, 4\), got shape \(4,\)"),
        (X_OK, Y_OK.T, {}, r"Y: expected shape \(1, 4\), got shape \(4, 1\)"),
        (X_OK, np.array([[0, 1, 2, 0]]), {}, r"Y: expected labels in \{0, 1\}, got values such as \[2\]"),
        (X_OK, np.array([[0, 1, 0.5, 0]]), {}, r"Y: expected labels in \{0, 1\}"),
        (X_OK, Y_OK, {"learning_rate": 0}, r"learning_rate: expected a positive finite number, got 0.0"),
        (X_OK, Y_OK, {"learning_rate": -0.1}, r"learning_rate: .*got -0.1"),
        (X_OK, Y_OK, {"learning_rate": float("nan")}, r"learning_rate: .*got nan"),
        (X_OK, Y_OK, {"learning_rate": float("inf")}, r"learning_rate: .*got inf"),
        (X_OK, Y_OK, {"learning_rate": "0.1"}, r"learning_rate: expected a positive number, got str"),
        (X_OK, Y_OK, {"num_iterations": 0}, r"num_iterations: expected a positive integer"),
        (X_OK, Y_OK, {"num_iterations": 2.5}, r"num_iterations: expected a positive integer"),
        (X_OK, Y_OK, {"batch_size": 0}, r"batch_size: expected a positive integer"),
    ],
)
def test_fit_rejects_bad_input_and_touches_nothing(X, Y, kwargs, expected):
    net = ds.DeepNetwork([3, 2, 1], rng=0)
    params = {k: v.copy() for k, v in net.parameters.items()}
    X_before = np.array(X, copy=True)
    Y_before = np.array(Y, copy=True)
    with pytest.raises(ds.DeepstepError, match=expected) as info:
        net.fit(X, Y, **kwargs)
    assert isinstance(info.value, ValueError)
    np.testing.assert_array_equal(np.asarray(X), X_before)
    np.testing.assert_array_equal(np.asarray(Y), Y_before)
    for k in params:
        np.testing.assert_array_equal(net.parameters[k], params[k])
    assert net.history.cost == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"layer_dims": [3, 0, 1]}, r"layer_dims: expected positive integers, got 0 at position 1"),
        ({"layer_dims": [3, 2.0, 1]}, r"layer_dims: expected positive integers, got 2.0"),
        ({"layer_dims": [3]}, r"layer_dims: expected at least two sizes"),
        ({"layer_dims": [3, 2, 1], "hidden_activation": "swish"}, r"^hidden_activation: expected one of .* 'swish'"),
        ({"layer_dims": [3, 2, 1], "output_activation": "softplus"}, r"^output_activation: expected one of .*"),
        ({"layer_dims": [3, 2, 1], "init": ["he"]}, r"init: expected one of .* got \['he'\]"),
        ({"layer_dims": [3, 2, 1], "rng": 2**40}, r"rng: expected None, an int seed from 0 to 2\*\*32 - 1"),
        ({"layer_dims": [3, 2, 1], "output_activation": "relu"}, r"output_activation: expected 'sigmoid'"),
        ({"layer_dims": [3, 2, 2], "output_activation": "sigmoid"}, r"output_activation: .* n\[L\] = 2"),
        ({"layer_dims": [3, 2, 1], "init": "glorot"}, r"init: expected one of .* got 'glorot'"),
        ({"layer_dims": [3, 2, 1], "init": "zeros"}, r"init: 'zeros' is only allowed without hidden layers"),
        ({"layer_dims": [3, 2, 1], "dtype": "int64"}, r"dtype: expected a floating dtype"),
    ],
)
def test_network_construction_errors(kwargs, expected):
    with pytest.raises(ds.DeepstepError, match=expected):
        ds.DeepNetwork(**kwargs)


def test_predict_checks_input_size():
    net = ds.DeepNetwork([3, 2, 1], rng=0)
    with pytest.raises(ds.DeepstepError, match=r"X: expected 3 rows"):
        net.predict(np.ones((4, 2)))


def test_step_functions_check_shapes():
    with pytest.raises(ds.DeepstepError, match="linear_forward"):
        ds.linear_forward(np.ones((3, 2)), np.ones((2, 4)), np.ones((2, 1)))
    with pytest.raises(ds.DeepstepError, match="dZ: expected shape"):
        ds.linear_backward(np.ones((2, 3)), (np.ones((3, 2)), np.ones((2, 3)), np.ones((2, 1))))
    with pytest.raises(ds.DeepstepError, match=r"parameters: expected b1 of shape \(2, 1\)"):
        ds.model_forward(np.ones((3, 2)), {"W1": np.ones((2, 3)), "b1": np.ones((1, 2))})
    with pytest.raises(ds.DeepstepError, match=r"Y: expected shape \(1, 2\)"):
        ds.compute_cost(np.full((1, 2), 0.5), np.ones((1, 3)))


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: ds.linear_forward([[1.0]], np.ones((1, 1)), np.ones((1, 1))), r"^A_prev: expected a numeric"),
        (lambda: ds.linear_backward(np.ones((1, 2)), (np.ones((1, 2)), "W", None)), r"^W: expected a numeric"),
        (lambda: ds.compute_cost(np.array([[np.nan, 0.3]]), np.array([[1, 0]])), r"^AL: expected finite probabilities"),
        (lambda: ds.compute_cost(np.array([[1.5, 0.3]]), np.array([[1, 0]])), r"^AL: expected finite probabilities"),
        (lambda: ds.compute_cost(np.array([[0.5, 0.3]]), np.array([[2, 0]])), r"^Y: expected labels in \{0, 1\}"),
        (lambda: ds.model_backward(np.full((1, 2), 0.5), np.ones((1, 2)), []), r"^caches: expected a list of L >= 1"),
        (lambda: ds.model_forward(np.ones((2, 1)), {"W1": np.ones((1, 2)), "b1": np.ones((1, 1))}, "gelu"),
         r"^hidden_activation: expected one of"),
        (lambda: ds.gradient_check({"W1": np.ones((1, 2)), "b1": np.ones((1, 1))}, np.ones((2, 1)), np.ones((1, 1)),
                                   epsilon=0), r"^epsilon: expected a small positive number"),
    ],
)
def test_step_functions_name_the_bad_argument(call, expected):
    with pytest.raises(ds.DeepstepError, match=expected):
        call()


def test_integer_arrays_work_in_the_step_functions():
    # Z = [[1*1 + 2*3]] + 0.5 = 7.5;  dW = (1/1) [[2]] [[1, 3]] = [[2, 6]], db = [[2]], dA_prev = [[2], [4]]
    Z, cache = ds.linear_forward(np.array([[1], [3]]), np.array([[1, 2]]), np.array([[0.5]]))
    np.testing.assert_array_equal(Z, [[7.5]])
    dA_prev, dW, db = ds.linear_backward(np.array([[2]]), (np.array([[1], [3]]), np.array([[1, 2]]), np.zeros((1, 1))))
    np.testing.assert_array_equal(dW, [[2.0, 6.0]])
    np.testing.assert_array_equal(db, [[2.0]])
    np.testing.assert_array_equal(dA_prev, [[2], [4]])


def test_values_beyond_float32_are_an_error_not_inf():
    net = ds.DeepNetwork([2, 3, 1], rng=0, dtype=np.float32)
    X = np.array([[1.0, 1e39], [0.0, 1.0]])
    with pytest.raises(ds.DeepstepError, match=r"X: expected values that fit in float32"):
        net.predict(X)
    assert X[0, 1] == 1e39


def test_model_forward_keeps_the_parameters_dtype():
    params = ds.initialize_parameters([3, 2, 1], init="xavier", rng=0, dtype=np.float32)
    AL, caches = ds.model_forward(np.ones((3, 4)), params)  # float64 X, float32 weights
    assert AL.dtype == np.float32 and all(Z.dtype == np.float32 for _, Z in caches)


def test_integer_weights_take_float_inputs_as_they_are():
    # W = [[2]], b = [[0]]: Z = [[1, 1.8]], A = sigmoid(Z) -- X is not cut down to the weights' integer dtype
    AL, _ = ds.model_forward(np.array([[0.5, 0.9]]), {"W1": np.array([[2]]), "b1": np.array([[0]])})
    np.testing.assert_allclose(AL, 1 / (1 + np.exp(-np.array([[1.0, 1.8]]))), rtol=1e-15)


def test_softmax_is_refused_as_a_hidden_activation():
    with pytest.raises(ds.DeepstepError, match=r"^hidden_activation: expected an element-wise activation"):
        ds.DeepNetwork([3, 4, 1], hidden_activation="softmax")
