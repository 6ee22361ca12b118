"""The course's exercise functions, right, as the course writes them: deepstep's course-named functions
(``ds.L_model_forward``, ``ds.L_model_backward``, ``ds.relu_backward`` ...) and what ``deepstep check`` compares a
learner's functions with.

They follow the course's conventions, not deepstep's API (``../shared/course/exercises.md`` in the repository's
shared folder lists them): the course's names and signatures, its caches (``((A_prev, W, b), Z)`` per layer in
C1W4, the dict ``{"Z1", "A1", "Z2", "A2"}`` in C1W3, the 12- and 14-tuples of C2W1), its seeds and draw order
(a learner's code seeds and draws from NumPy's global state; these draw the same numbers from a
``RandomState`` of the same seed, passed in or made here, and never touch the global state), and its test inputs
that are not forward passes (``AL`` outside (0, 1), random caches): nothing here checks its inputs.  The maths
of one layer is deepstep's own kernels (:mod:`deepstep.core.kernels`); ``tests/core/test_course.py`` holds every
function to centered finite differences and to deepstep's step functions.

Examples
--------
>>> import numpy as np
>>> from deepstep.core import course as ref
>>> dA_prev, dW, db = ref.linear_backward(np.array([[1.0, 3.0]]), (np.array([[1.0, 2.0]]), np.ones((1, 1)), 0.0))
>>> dW, db
(array([[3.5]]), array([[2.]]))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .kernels import input_gradient, linear, weight_gradients

Array = np.ndarray


# -- helpers the course gives (dnn_utils, reg_utils, planar_utils) ----------------------------------------------------
def sigmoid(z: Any) -> Any:
    """s = 1 / (1 + exp(-z)), same shape (C1W2's graded ``sigmoid``; reg_utils' and planar_utils' helper)."""
    return 1 / (1 + np.exp(-z))


def relu(Z: Array) -> Array:
    """max(0, Z) (reg_utils' helper: the activation only)."""
    return np.maximum(0, Z)


def sigmoid_cached(Z: Array) -> tuple[Array, Array]:
    """dnn_utils' ``sigmoid``: (A, cache=Z)."""
    return sigmoid(Z), Z


def relu_cached(Z: Array) -> tuple[Array, Array]:
    """dnn_utils' ``relu``: (A, cache=Z)."""
    return np.maximum(0, Z), Z


def relu_backward(dA: Array, cache: Array) -> Array:
    """dZ = dA where Z > 0, else 0 (``dZ[Z <= 0] = 0``); dA is not written."""
    dZ = np.array(dA, copy=True)
    dZ[cache <= 0] = 0
    return dZ


def sigmoid_backward(dA: Array, cache: Array) -> Array:
    """dZ = dA * s (1 - s), s = sigmoid(Z)."""
    s = sigmoid(cache)
    return dA * s * (1 - s)


def _cross_entropy(A: Any, Y: Any) -> Any:
    m = np.shape(Y)[-1] if np.ndim(Y) else 1
    Y = np.asarray(Y, dtype=float)
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m


def mean_cost(a3: Array, Y: Array) -> float:
    """reg_utils' ``compute_cost``: the mean cross-entropy, ``1/m nansum(logprobs)``."""
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1.0 / m * np.nansum(logprobs)


# -- C1W2: logistic regression ---------------------------------------------------------------------------------------
def initialize_with_zeros(dim: int) -> tuple[Array, float]:
    """w zeros (dim, 1), b = 0.0 (a python float)."""
    return np.zeros((dim, 1)), 0.0


def propagate(w: Array, b: float, X: Array, Y: Array) -> tuple[dict, Any]:
    """A = sigmoid(w^T X + b); cost = -(1/m) sum(Y log A + (1-Y) log(1-A)) (0-d); dw = (1/m) X (A-Y)^T, db = (1/m)
    sum(A-Y)."""
    m = X.shape[1]
    A = sigmoid(w.T @ X + b)
    cost = np.squeeze(np.array(_cross_entropy(A, Y)))
    dw = X @ (A - Y).T / m
    db = np.sum(A - Y) / m
    return {"dw": dw, "db": db}, cost


def optimize(w: Array, b: float, X: Array, Y: Array, num_iterations: int = 100, learning_rate: float = 0.009,
             print_cost: bool = False) -> tuple[dict, dict, list]:
    """Gradient descent; the cost every 100 iterations; the gradients of the last iteration (before its update)."""
    w, b = w.copy(), b
    costs, grads = [], {}
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs


def predict_logistic(w: Array, b: float, X: Array) -> Array:
    """Y_prediction (1, m): 1.0 where sigmoid(w^T X + b) > 0.5, else 0.0."""
    w = w.reshape(X.shape[0], 1)
    return (sigmoid(w.T @ X + b) > 0.5).astype(float)


# -- C1W3: one hidden layer ------------------------------------------------------------------------------------------
def layer_sizes(X: Array, Y: Array) -> tuple[int, int, int]:
    """(n_x, n_h = 4, n_y)."""
    return X.shape[0], 4, Y.shape[0]


def initialize_parameters_2(n_x: int, n_h: int, n_y: int, rng: np.random.RandomState | None = None) -> dict:
    """W1 = randn(n_h, n_x) * 0.01, b1 zeros, W2 = randn(n_y, n_h) * 0.01, b2 zeros, drawn from ``rng`` (the
    course draws from the global state after ``np.random.seed(2)``: ``RandomState(2)`` draws the same)."""
    rng = np.random.RandomState(2) if rng is None else rng
    W1 = rng.randn(n_h, n_x) * 0.01
    W2 = rng.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def initialize_parameters_seeded(n_x: int, n_h: int, n_y: int) -> dict:
    """C1W4's two-layer initialization: seed 1 inside, then as C1W3's."""
    return initialize_parameters_2(n_x, n_h, n_y, np.random.RandomState(1))


def forward_propagation_2(X: Array, parameters: dict) -> tuple[Array, dict]:
    """Z1 = W1 X + b1, A1 = tanh(Z1), Z2 = W2 A1 + b2, A2 = sigmoid(Z2); cache {"Z1", "A1", "Z2", "A2"}."""
    Z1 = linear(parameters["W1"], X, parameters["b1"])
    A1 = np.tanh(Z1)
    Z2 = linear(parameters["W2"], A1, parameters["b2"])
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost_2(A2: Array, Y: Array, parameters: Any = None) -> float:
    """The mean cross-entropy as a python float (A2 may be 1-D (m,), Y boolean)."""
    return float(np.squeeze(_cross_entropy(A2, Y)))


def backward_propagation_2(parameters: dict, cache: dict, X: Array, Y: Array) -> dict:
    """dZ2 = A2 - Y, dW2 = (1/m) dZ2 A1^T, db2; dZ1 = W2^T dZ2 * (1 - A1^2), dW1 = (1/m) dZ1 X^T, db1."""
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2, db2 = weight_gradients(dZ2, A1)
    dZ1 = input_gradient(parameters["W2"], dZ2) * (1 - np.power(A1, 2))
    dW1, db1 = weight_gradients(dZ1, X)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters: dict, grads: dict, learning_rate: float = 1.2) -> dict:
    """A new dict: theta - learning_rate * d theta for every "W{l}", "b{l}" (the arguments are not written)."""
    L = len(parameters) // 2
    out = {}
    for l in range(1, L + 1):
        out[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        out[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return out


def predict_2(parameters: dict, X: Array) -> Array:
    """A2 > 0.5, booleans (1, m)."""
    A2, _ = forward_propagation_2(X, parameters)
    return A2 > 0.5


# -- C1W4: the deep network, step by step ----------------------------------------------------------------------------
def initialize_parameters_deep(layer_dims: list) -> dict:
    """Seed 3 inside; W{l} = randn(n[l], n[l-1]) * 0.01, b{l} zeros, l = 1..L in order."""
    rng = np.random.RandomState(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters


def linear_forward(A: Array, W: Array, b: Array) -> tuple[Array, tuple]:
    """Z = W A + b, cache (A, W, b)."""
    return linear(W, A, b), (A, W, b)


def linear_activation_forward(A_prev: Array, W: Array, b: Array, activation: str) -> tuple[Array, tuple]:
    """A = g(W A_prev + b) with g "sigmoid" or "relu"; cache ((A_prev, W, b), Z)."""
    Z, linear_cache = linear_forward(A_prev, W, b)
    A = sigmoid(Z) if activation == "sigmoid" else np.maximum(0, Z)
    return A, (linear_cache, Z)


def _dense_only(parameters: Any, name: str) -> None:
    """The course's week-4 and Course 2 week-1/2 functions are for dense layers (W, b): batch-normalized
    parameters (gamma, beta) are refused by name, not met with a KeyError."""
    if any(str(k).startswith(("gamma", "beta")) for k in parameters):
        from ..errors import DeepstepError

        raise DeepstepError(f"parameters: {name} is the course's function for dense layers (W, b); batch-normalized "
                            "layers (gamma, beta) train through DeepNetwork(batch_norm=True)")


def L_model_forward(X: Array, parameters: dict) -> tuple[Array, list]:
    """[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID; the L caches in a list."""
    _dense_only(parameters, "L_model_forward")
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost_deep(AL: Array, Y: Array) -> Array:
    """The mean cross-entropy, ``np.squeeze`` of it (0-d)."""
    return np.squeeze(_cross_entropy(AL, Y))


def linear_backward(dZ: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """dA_prev = W^T dZ, dW = (1/m) dZ A_prev^T, db = (1/m) sum(dZ, axis=1, keepdims=True); m = A_prev.shape[1]."""
    A_prev, W, _ = cache
    dW, db = weight_gradients(dZ, A_prev)
    return input_gradient(W, dZ), dW, db


def linear_activation_backward(dA: Array, cache: tuple, activation: str) -> tuple[Array, Array, Array]:
    """dZ = dA * g'(Z) (relu_backward or sigmoid_backward), then :func:`linear_backward`."""
    linear_cache, Z = cache
    dZ = relu_backward(dA, Z) if activation == "relu" else sigmoid_backward(dA, Z)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL: Array, Y: Array, caches: Any) -> dict:
    """dAL = -(Y/AL - (1-Y)/(1-AL)), then back through the layers: "dA{l-1}", "dW{l}", "db{l}"."""
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads[f"dA{l + 1}"], caches[l], "relu")
        grads[f"dA{l}"], grads[f"dW{l + 1}"], grads[f"db{l + 1}"] = dA_prev, dW, db
    return grads


# -- C2W1: regularization and dropout (the 3-layer network of reg_utils) ----------------------------------------------
def forward_propagation_3(X: Array, parameters: dict) -> tuple[Array, tuple]:
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID; cache (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)."""
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = linear(W1, X, b1)
    A1 = relu(Z1)
    Z2 = linear(W2, A1, b2)
    A2 = relu(Z2)
    Z3 = linear(W3, A2, b3)
    A3 = sigmoid(Z3)
    return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_3(X: Array, Y: Array, cache: tuple, lambd: float = 0.0,
                           masks: tuple | None = None, keep_prob: float = 1.0) -> dict:
    """The 11 gradients of the 3-layer network: dZ3 = A3 - Y, ..., ReLU' as ``A > 0``; ``dWl += lambd/m Wl``;
    with ``masks`` (D1, D2), ``dAl = dAl * Dl / keep_prob``."""
    m = X.shape[1]
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    if masks is not None:
        dA2 = dA2 * masks[1] / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T) + lambd / m * W2
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    if masks is not None:
        dA1 = dA1 * masks[0] / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def backward_propagation_plain(X: Array, Y: Array, cache: tuple) -> dict:
    """reg_utils' ``backward_propagation(X, Y, cache)``: the 11 gradients, no regularization."""
    return backward_propagation_3(X, Y, cache)


def compute_cost_with_regularization(A3: Array, Y: Array, parameters: dict, lambd: float) -> Any:
    """mean cross-entropy + lambd / (2m) (||W1||^2 + ||W2||^2 + ||W3||^2)."""
    m = Y.shape[1]
    squares = sum(np.sum(np.square(parameters[k])) for k in ("W1", "W2", "W3"))
    return mean_cost(A3, Y) + lambd / (2 * m) * squares


def backward_propagation_with_regularization(X: Array, Y: Array, cache: tuple, lambd: float) -> dict:
    """The 11 gradients with ``dWl += lambd/m Wl``."""
    return backward_propagation_3(X, Y, cache, lambd)


def forward_propagation_with_dropout(X: Array, parameters: dict, keep_prob: float = 0.5) -> tuple[Array, tuple]:
    """Seed 1 inside; D1 = rand(A1.shape) < keep_prob, A1 = A1 * D1 / keep_prob, then D2 the same; cache (Z1, D1, A1,
    W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)."""
    _dense_only(parameters, "forward_propagation_with_dropout")
    rng = np.random.RandomState(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = linear(W1, X, b1)
    A1 = relu(Z1)
    D1 = (rng.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    A1 = A1 * D1 / keep_prob
    Z2 = linear(W2, A1, b2)
    A2 = relu(Z2)
    D2 = (rng.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    A2 = A2 * D2 / keep_prob
    Z3 = linear(W3, A2, b3)
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout(X: Array, Y: Array, cache: tuple, keep_prob: float) -> dict:
    """The 11 gradients with ``dAl = dAl * Dl / keep_prob`` (the forward's masks, from the cache)."""
    Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
    plain = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return backward_propagation_3(X, Y, plain, masks=(D1, D2), keep_prob=keep_prob)


# -- C2W2: optimization ----------------------------------------------------------------------------------------------
def update_parameters_with_gd(parameters: dict, grads: dict, learning_rate: float) -> dict:
    """theta -= learning_rate * d theta (the course updates the dict it was given)."""
    _dense_only(parameters, "update_parameters_with_gd")
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        parameters[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return parameters


def random_mini_batches(X: Array, Y: Array, mini_batch_size: int = 64, seed: int = 0) -> list:
    """np.random.seed(seed); one permutation of the m columns; floor(m / size) full batches and the rest."""
    m = X.shape[1]
    permutation = list(np.random.RandomState(seed).permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((Y.shape[0], m))
    batches = []
    full = math.floor(m / mini_batch_size)
    for k in range(full):
        sl = slice(k * mini_batch_size, (k + 1) * mini_batch_size)
        batches.append((shuffled_X[:, sl], shuffled_Y[:, sl]))
    if m % mini_batch_size != 0:
        batches.append((shuffled_X[:, full * mini_batch_size:], shuffled_Y[:, full * mini_batch_size:]))
    return batches


def initialize_velocity(parameters: dict) -> dict:
    """v["dW{l}"], v["db{l}"]: zeros shaped like the parameters."""
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v[f"dW{l}"] = np.zeros_like(parameters[f"W{l}"])
        v[f"db{l}"] = np.zeros_like(parameters[f"b{l}"])
    return v


def update_parameters_with_momentum(parameters: dict, grads: dict, v: dict, beta: float,
                                    learning_rate: float) -> tuple[dict, dict]:
    """v = beta v + (1 - beta) d theta; theta -= learning_rate v (updating the dicts given)."""
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = f"d{p}{l}"
            v[key] = beta * v[key] + (1 - beta) * grads[key]
            parameters[f"{p}{l}"] = parameters[f"{p}{l}"] - learning_rate * v[key]
    return parameters, v


def initialize_adam(parameters: dict) -> tuple[dict, dict]:
    """v and s: zeros shaped like the parameters."""
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(parameters: dict, grads: dict, v: dict, s: dict, t: int, learning_rate: float = 0.01,
                                beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8) -> tuple:
    """v = beta1 v + (1-beta1) g, s = beta2 s + (1-beta2) g^2, v_hat = v / (1 - beta1^t), s_hat = s / (1 - beta2^t),
    theta -= learning_rate v_hat / (sqrt(s_hat) + epsilon); returns (parameters, v, s, v_corrected, s_corrected)."""
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = f"d{p}{l}"
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - beta1 ** t)
            s[key] = beta2 * s[key] + (1 - beta2) * np.power(grads[key], 2)
            s_corrected[key] = s[key] / (1 - beta2 ** t)
            parameters[f"{p}{l}"] = parameters[f"{p}{l}"] - learning_rate * v_corrected[key] / (
                np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """learning_rate0 / (1 + decay_rate * epoch_num)."""
    return 1 / (1 + decay_rate * epoch_num) * learning_rate0


def schedule_lr_decay(learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000) -> float:
    """learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))."""
    return learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval))
