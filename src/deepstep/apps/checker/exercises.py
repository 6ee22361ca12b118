"""The course's exercises as the checker knows them: each function's signature, its cases, its reference and its
known wrong versions (mutants), each labelled with the mistake it makes.

One :class:`Exercise` per function of an assignment (``c1w2``, ``c1w3``, ``c1w4``, ``c2w1``, ``c2w2``): its cases
come first in the course's own style (the course's shapes and quirks: ``AL`` outside (0, 1), random caches,
boolean labels, a 1-D ``A2``), then generated ones (m = 1, one unit, square and wide shapes, each activation,
float32).  A learner's result that differs from the reference is compared with each mutant's result on the same
case; the mutant it equals names the mistake (:mod:`.mistakes`).  Adding a function: its reference in
:mod:`deepstep.core.course`, an entry here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core import course as ref

__all__ = ["ASSIGNMENTS", "EXERCISES", "Case", "Exercise", "exercises_named"]

Array = np.ndarray
ASSIGNMENTS = ("c1w2", "c1w3", "c1w4", "c2w1", "c2w2")
#: The harness seeds NumPy's global state with this before each call of a learner's function (or with the case's
#: own seed), as the course's tests do; the mutants that draw use a RandomState of the same seed.
HARNESS_SEED = 12345


@dataclass
class Case:
    """One call: its label, its arguments, m (for a factor of m), and a seed of the global state before the call."""

    label: str
    args: tuple
    m: int | None = None
    seed: int | None = None


@dataclass
class Exercise:
    """One function of one assignment."""

    assignment: str
    name: str
    params: tuple[str, ...]  # the course's parameter names, in order
    reference: Callable
    cases: Callable[[], list[Case]]
    mutants: tuple[tuple[str, Callable], ...] = ()
    outputs: tuple[str, ...] | None = None  # names of a returned tuple's entries ("dA_prev", "dW", "db")
    updates_inputs: bool = False  # the course itself updates its arguments (C2W2's updates)
    uses: tuple[str, ...] = ()  # other exercises it calls (a mistake there shows here too)
    expected_for: Callable | None = None  # (expected, got) -> the expected result in the form the learner chose
    value_kind: str | None = None  # the mistake when values differ and no mutant matches (initializations)
    required: int | None = None  # how many parameters have no default (None: all)
    forward: tuple[str, ...] = ()  # the learner's forward and cost functions its gradients must be those of
    extra: tuple[str, ...] = ()  # parameters an older course version added (given None: its formula has no use)
    updates_if_named: str | None = None  # updating that first argument is an older course version's own way
    doc: str = ""

    @property
    def key(self) -> str:
        return f"{self.assignment}.{self.name}"


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _labels(rng: np.random.Generator, m: int, boolean: bool = False) -> Array:
    Y = rng.random((1, m)) > 0.5
    if not Y.any():
        Y[0, 0] = True
    return Y if boolean else Y.astype(float)


def _probabilities(rng: np.random.Generator, shape: tuple) -> Array:
    return rng.uniform(0.05, 0.95, shape)


def _params(rng: np.random.Generator, dims: list[int], dtype: Any = np.float64) -> dict:
    out = {}
    for l in range(1, len(dims)):
        out[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])).astype(dtype)
        out[f"b{l}"] = rng.standard_normal((dims[l], 1)).astype(dtype)
    return out


def _grads(rng: np.random.Generator, params: dict) -> dict:
    return {"d" + k: rng.standard_normal(v.shape).astype(v.dtype) for k, v in params.items()}


# == C1W2 ==============================================================================================================
def _sigmoid_cases() -> list[Case]:
    return [Case("z = 0 (a scalar)", (0.0,)), Case("z = [0, 2]", (np.array([0.0, 2.0]),)),
            Case("Z (3, 4)", (_rng(1).standard_normal((3, 4)),)),
            Case("Z (2, 3) float32", (_rng(2).standard_normal((2, 3)).astype(np.float32),))]


def _zeros_cases() -> list[Case]:
    return [Case("dim = 2", (2,)), Case("dim = 1", (1,)), Case("dim = 7", (7,))]


def _logistic(seed: int, n: int, m: int, dtype: Any = np.float64, boolean: bool = False) -> tuple:
    rng = _rng(seed)
    w = rng.standard_normal((n, 1)).astype(dtype)
    X = rng.standard_normal((n, m)).astype(dtype)
    return w, float(rng.standard_normal()), X, _labels(rng, m, boolean).astype(dtype)


def _propagate_cases() -> list[Case]:
    course = (np.array([[1.0], [2.0]]), 2.0, np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]),
              np.array([[1.0, 0.0, 1.0]]))
    return [Case("the course's shapes: w (2, 1), X (2, 3)", course, m=3),
            Case("m = 1", _logistic(3, 3, 1), m=1), Case("n_x = 1", _logistic(4, 1, 5), m=5),
            Case("n_x = 6, m = 4", _logistic(5, 6, 4), m=4)]  # no float32: the older template asserts a float64 db


def _optimize_cases() -> list[Case]:
    w, b, X, Y = _logistic(7, 2, 3)
    return [Case("101 iterations, learning rate 0.009", (w, b, X, Y, 101, 0.009, False), m=3),
            Case("10 iterations, learning rate 0.1", _logistic(8, 3, 4) + (10, 0.1, False), m=4)]


def _predict_logistic_cases() -> list[Case]:
    w = np.array([[0.1124579], [0.23106775]])
    X = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    return [Case("the course's shapes: w (2, 1), X (2, 3), b = -0.3", (w, -0.3, X)),
            Case("a case where b decides", (np.array([[1.0], [1.0]]), -1.5, np.array([[0.5, 1.0], [0.5, 1.0]]))),
            Case("n_x = 4, m = 6", _logistic(9, 4, 6)[:3])]


def _prop_mutant(kind: str) -> Callable:
    def wrong(w: Array, b: float, X: Array, Y: Array) -> tuple:
        m = X.shape[1]
        A = ref.sigmoid(w * X + b) if kind == "elementwise_vs_dot" else ref.sigmoid(w.T @ X + b)
        cost = np.squeeze(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
        dw = X @ (A - Y).T / m
        db = np.sum(A - Y) / m
        return {"dw": dw, "db": db}, cost
    return wrong


def _optimize_mutant(kind: str) -> Callable:
    def wrong(w: Array, b: float, X: Array, Y: Array, num_iterations: int = 100, learning_rate: float = 0.009,
              print_cost: bool = False) -> tuple:
        w = w.copy()
        costs, grads = [], {}
        for i in range(num_iterations):
            grads, cost = ref.propagate(w, b, X, Y)
            step = 1.0 if kind == "learning_rate" else learning_rate
            sign = -1.0 if kind == "sign" else 1.0
            w = w - sign * step * grads["dw"]
            b = b - sign * step * grads["db"]
            if i % 100 == 0:
                costs.append(cost)
        return {"w": w, "b": b}, grads, costs
    return wrong


# == C1W3 ==============================================================================================================
def _two_layer(seed: int, n_x: int, n_h: int, m: int, dtype: Any = np.float64, boolean: bool = False) -> tuple:
    rng = _rng(seed)
    params = _params(rng, [n_x, n_h, 1], dtype)
    X = rng.standard_normal((n_x, m)).astype(dtype)
    return X, params, _labels(rng, m, boolean)


def _forward2_cases() -> list[Case]:
    return [Case("the course's shapes: X (2, 3), n_h = 4", _two_layer(11, 2, 4, 3)[:2]),
            Case("m = 1", _two_layer(12, 3, 4, 1)[:2]), Case("one hidden unit", _two_layer(13, 3, 1, 5)[:2]),
            Case("square: n_x = n_h = m = 3", _two_layer(14, 3, 3, 3)[:2]),
            Case("float32", _two_layer(15, 2, 4, 6, np.float32)[:2])]


def _cost2_cases() -> list[Case]:
    rng = _rng(16)
    Y = rng.standard_normal((1, 3)) > 0
    if not Y.any():
        Y[0, 0] = True
    A2 = np.array([[0.5002307, 0.49985831, 0.50023963]])
    return [Case("the course's case: A2 (1, 3), Y boolean", (A2, Y), m=3),
            Case("A2 1-D (5,), Y (1, 5) boolean", (_probabilities(rng, (5,)), _labels(rng, 5, True)), m=5),
            Case("m = 1", (_probabilities(rng, (1, 1)), np.ones((1, 1))), m=1),
            Case("m = 7", (_probabilities(rng, (1, 7)), _labels(rng, 7)), m=7)]


def _backward2_case(seed: int, n_x: int, n_h: int, m: int, dtype: Any = np.float64, forward: bool = False) -> tuple:
    X, params, Y = _two_layer(seed, n_x, n_h, m, dtype)
    if forward:
        _, cache = ref.forward_propagation_2(X, params)
    else:  # the course's test: a random cache, not the forward pass of its parameters
        rng = _rng(seed + 100)
        Z1 = rng.standard_normal((n_h, m)).astype(dtype)
        Z2 = rng.standard_normal((1, m)).astype(dtype)
        cache = {"Z1": Z1, "A1": np.tanh(Z1), "Z2": Z2, "A2": ref.sigmoid(Z2)}
    return params, cache, X, Y.astype(dtype)


def _backward2_cases() -> list[Case]:
    return [Case("the course's kind of case: a random cache, X (3, 7), n_h = 4", _backward2_case(21, 3, 4, 7), m=7),
            Case("a forward pass, m = 1", _backward2_case(22, 2, 4, 1, forward=True), m=1),
            Case("square: n_x = n_h = m = 3", _backward2_case(23, 3, 3, 3, forward=True), m=3),
            Case("one hidden unit", _backward2_case(24, 4, 1, 5, forward=True), m=5),
            Case("float32", _backward2_case(25, 3, 4, 6, np.float32, forward=True), m=6)]


def _backward2_mutant(kind: str) -> Callable:
    def wrong(parameters: dict, cache: dict, X: Array, Y: Array) -> dict:
        m = X.shape[1]
        A1, A2, Z1 = cache["A1"], cache["A2"], cache["Z1"]
        W2 = parameters["W2"]
        dZ2 = A2 - Y
        if kind == "tanh_from_Z":
            dZ1 = W2.T @ dZ2 * (1 - np.power(Z1, 2))
        elif kind == "tanh_not_squared":
            dZ1 = W2.T @ dZ2 * (1 - A1)
        elif kind == "sigmoid_form":
            dZ1 = W2.T @ dZ2 * A1 * (1 - A1)
        elif kind == "elementwise":
            dZ1 = W2.T * dZ2 * (1 - np.power(A1, 2))
        else:
            dZ1 = W2.T @ dZ2 * (1 - np.power(A1, 2))
        return {"dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
                "dW2": dZ2 @ A1.T / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
    return wrong


def _forward2_mutant(kind: str) -> Callable:
    def wrong(X: Array, parameters: dict) -> tuple:
        W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
        Z1 = (W1 * X if kind == "elementwise" else W1.T @ X if kind == "W1_transposed" else W1 @ X) + b1
        A1 = {"relu": np.maximum(0, Z1), "sigmoid": ref.sigmoid(Z1)}.get(kind, np.tanh(Z1))
        Z2 = W2 @ A1 + b2
        A2 = np.tanh(Z2) if kind == "tanh_out" else ref.sigmoid(Z2)
        if kind == "swapped_keys":
            return A2, {"Z1": A1, "A1": Z1, "Z2": A2, "A2": Z2}
        return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return wrong


def _init2_cases() -> list[Case]:
    return [Case("n_x = 2, n_h = 4, n_y = 1 after np.random.seed(2)", (2, 4, 1), seed=2),
            Case("n_x = 5, n_h = 3, n_y = 2 after np.random.seed(2)", (5, 3, 2), seed=2)]


def _init2_seeded_cases() -> list[Case]:
    return [Case("n_x = 3, n_h = 2, n_y = 1", (3, 2, 1)), Case("n_x = 5, n_h = 4, n_y = 3", (5, 4, 3))]


def _update_cases(default_rate: bool) -> Callable[[], list[Case]]:
    """C1W3's (default_rate) updates the two layers of its network; C1W4's any number."""
    def cases() -> list[Case]:
        out = []
        shapes = [("two layers", 31, [2, 4, 1], 1.2), ("one unit each", 33, [1, 1, 1], 0.5)]
        if not default_rate:
            shapes.insert(1, ("three layers", 32, [3, 4, 2, 1], 0.1))
        for label, seed, dims, rate in shapes:
            rng = _rng(seed)
            params = _params(rng, dims)
            out.append(Case(f"{label}, learning rate {rate}", (params, _grads(rng, params), rate)))
        if default_rate:
            rng = _rng(34)
            params = _params(rng, [2, 3, 1])
            out.append(Case("the default learning rate (1.2)", (params, _grads(rng, params))))
        return out
    return cases


def _update_mutant(kind: str) -> Callable:
    def wrong(parameters: dict, grads: dict, learning_rate: float = 1.2) -> dict:
        out = {}
        for key, P in parameters.items():
            g = grads["d" + key]
            if kind == "sign":
                out[key] = P + learning_rate * g
            elif kind == "no_rate":
                out[key] = P - g
            elif kind == "rate_twice":
                out[key] = P - learning_rate * learning_rate * g
            elif kind == "parameter":
                out[key] = P - learning_rate * P
            else:  # "gradient"
                out[key] = g - learning_rate * g
        return out
    return wrong


def _predict2_cases() -> list[Case]:
    return [Case("X (2, 3), n_h = 4", _two_layer(41, 2, 4, 3)[:2][::-1]),
            Case("X (3, 8)", _two_layer(42, 3, 5, 8)[:2][::-1])]


# == C1W4 ==============================================================================================================
def _deep_init_cases() -> list[Case]:
    return [Case("layer_dims [5, 4, 3]", ([5, 4, 3],)), Case("layer_dims [2, 1]", ([2, 1],)),
            Case("layer_dims [4, 3, 3, 2, 1]", ([4, 3, 3, 2, 1],))]


def _linear_case(seed: int, n: int, n_prev: int, m: int, dtype: Any = np.float64) -> tuple:
    rng = _rng(seed)
    A = rng.standard_normal((n_prev, m)).astype(dtype)
    W = rng.standard_normal((n, n_prev)).astype(dtype)
    b = rng.standard_normal((n, 1)).astype(dtype)
    return A, W, b


def _linear_forward_cases() -> list[Case]:
    return [Case("the course's shapes: A (3, 2), W (1, 3)", _linear_case(51, 1, 3, 2)),
            Case("m = 1", _linear_case(52, 4, 3, 1)), Case("square: n[l] = n[l-1] = m = 3", _linear_case(53, 3, 3, 3)),
            Case("wide: n[l-1] = 8, m = 5", _linear_case(54, 2, 8, 5)),
            Case("float32", _linear_case(55, 3, 4, 6, np.float32))]


def _linear_forward_mutant(kind: str) -> Callable:
    def wrong(A: Array, W: Array, b: Array) -> tuple:
        if kind == "W_transposed":
            Z = W.T @ A + b
        elif kind == "swapped":
            Z = A @ W + b
        elif kind == "elementwise":
            Z = W * A + b
        else:
            Z = W @ A + b
        cache = (W, A, b) if kind == "cache" else (A, W, b)
        return Z, cache
    return wrong


def _activation_forward_cases() -> list[Case]:
    out = []
    for i, (label, shape) in enumerate((("the course's shapes: A_prev (3, 2), W (1, 3)", (1, 3, 2)),
                                        ("square: 3 x 3 x 3", (3, 3, 3)), ("m = 1", (4, 3, 1)))):
        for activation in ("sigmoid", "relu"):
            out.append(Case(f"{label}, {activation}", _linear_case(60 + i, *shape) + (activation,)))
    out.append(Case("float32, relu", _linear_case(65, 3, 4, 5, np.float32) + ("relu",)))
    return out


def _activation_forward_mutant(kind: str) -> Callable:
    def wrong(A_prev: Array, W: Array, b: Array, activation: str) -> tuple:
        Z = (W * A_prev if kind == "elementwise" else W @ A_prev) + b
        use = {"swap": {"sigmoid": "relu", "relu": "sigmoid"}[activation], "tanh": "tanh"}.get(kind, activation)
        A = {"sigmoid": ref.sigmoid, "relu": ref.relu, "tanh": np.tanh}[use](Z)
        if kind == "cache_order":
            return A, (Z, (A_prev, W, b))
        if kind == "cache_A":
            return A, ((A_prev, W, b), A)
        return A, ((A_prev, W, b), Z)
    return wrong


def _deep_forward_case(seed: int, dims: list[int], m: int, dtype: Any = np.float64) -> tuple:
    rng = _rng(seed)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    params = {k: v * 0.5 for k, v in _params(rng, dims, dtype).items()}
    return X, params


def _deep_forward_cases() -> list[Case]:
    return [Case("the course's shapes: X (5, 4), layers [5, 4, 3, 1]", _deep_forward_case(71, [5, 4, 3, 1], 4)),
            Case("L = 1 (logistic regression)", _deep_forward_case(72, [3, 1], 5)),
            Case("deep: [4, 3, 3, 3, 2, 1], m = 1", _deep_forward_case(73, [4, 3, 3, 3, 2, 1], 1)),
            Case("square: [3, 3, 3], m = 3", _deep_forward_case(74, [3, 3, 3], 3)),
            Case("float32", _deep_forward_case(75, [6, 4, 1], 5, np.float32))]


def _deep_forward_mutant(kind: str) -> Callable:
    def wrong(X: Array, parameters: dict) -> tuple:
        L = len(parameters) // 2
        A, caches = X, []
        for l in range(1, L + 1):
            W, b = parameters[f"W{l}"], parameters[f"b{l}"]
            Z = W @ A + b
            last = l == L
            if kind == "sigmoid_hidden":
                g = ref.sigmoid
            elif kind == "relu_output":
                g = ref.relu if last else ref.relu
            elif kind == "swapped":
                g = ref.relu if last else ref.sigmoid
            else:
                g = ref.sigmoid if last else ref.relu
            cache = ((A, W, b), Z)
            if kind == "cache_order":
                cache = (Z, (A, W, b))
            A = g(Z)
            if not (kind == "last_cache_lost" and last):
                caches.append(cache)
        if kind == "reversed":
            caches = caches[::-1]
        return A, caches
    return wrong


def _deep_cost_cases() -> list[Case]:
    rng = _rng(81)
    return [Case("the course's case: AL (1, 3)", (np.array([[0.8, 0.9, 0.4]]), np.array([[1.0, 1.0, 0.0]])), m=3),
            Case("m = 1", (np.array([[0.3]]), np.array([[0.0]])), m=1),
            Case("m = 8", (_probabilities(rng, (1, 8)), _labels(rng, 8)), m=8),
            Case("float32", (_probabilities(rng, (1, 6)).astype(np.float32), _labels(rng, 6).astype(np.float32)),
                 m=6)]


def _cost_mutant(kind: str, scalar: Callable) -> Callable:
    def wrong(AL: Array, Y: Array, *rest: Any) -> Any:
        AL2 = np.asarray(AL).reshape(1, -1)
        Yf = np.asarray(Y, dtype=float).reshape(1, -1)
        m = Yf.shape[1]
        if kind == "dot":
            return -(np.dot(Yf, np.log(AL2).T) + np.dot(1 - Yf, np.log(1 - AL2).T)) / m
        total = np.sum(Yf * np.log(AL2) + (1 - Yf) * np.log(1 - AL2))
        value = {"sign": total / m, "sum": -total, "only_positive": -np.sum(Yf * np.log(AL2)) / m}[kind]
        return scalar(value)
    return wrong


def _linear_backward_case(seed: int, n: int, n_prev: int, m: int, dtype: Any = np.float64) -> tuple:
    rng = _rng(seed)
    dZ = rng.standard_normal((n, m)).astype(dtype)
    return dZ, _linear_case(seed + 1, n, n_prev, m, dtype)


def _linear_backward_cases() -> list[Case]:
    return [Case("the course's shapes: dZ (3, 4), A_prev (5, 4), W (3, 5)", _linear_backward_case(91, 3, 5, 4), m=4),
            Case("m = 1", _linear_backward_case(92, 2, 3, 1), m=1),
            Case("square: n[l] = n[l-1] = m = 3", _linear_backward_case(93, 3, 3, 3), m=3),
            Case("one unit, m = 6", _linear_backward_case(94, 1, 4, 6), m=6),
            Case("float32", _linear_backward_case(95, 3, 4, 5, np.float32), m=5)]


def _linear_backward_mutant(kind: str) -> Callable:
    def wrong(dZ: Array, cache: tuple) -> tuple:
        if kind == "cache_order":
            W, A_prev, b = cache
        else:
            A_prev, W, b = cache
        m = A_prev.shape[1]
        dW = dZ @ A_prev.T / m
        db = np.sum(dZ, axis=1, keepdims=True) / m
        dA_prev = W.T @ dZ
        if kind == "W_not_transposed":
            dA_prev = W @ dZ
        elif kind == "elementwise_dW":
            dW = dZ * A_prev.T / m
        elif kind == "elementwise_dA":
            dA_prev = W.T * dZ
        elif kind == "dA_scaled":
            dA_prev = W.T @ dZ / m
        return dA_prev, dW, db
    return wrong


def _activation_backward_case(seed: int, n: int, n_prev: int, m: int, activation: str, dtype: Any = np.float64
                              ) -> tuple:
    rng = _rng(seed)
    dA = rng.standard_normal((n, m)).astype(dtype)
    A_prev, W, b = _linear_case(seed + 1, n, n_prev, m, dtype)
    Z = rng.standard_normal((n, m)).astype(dtype)  # the course's test: a Z unrelated to W A_prev + b
    return dA, ((A_prev, W, b), Z), activation


def _activation_backward_cases() -> list[Case]:
    out = []
    for i, (label, shape) in enumerate((("the course's shapes: dA (1, 2), A_prev (3, 2)", (1, 3, 2)),
                                        ("square: 3 x 3 x 3", (3, 3, 3)), ("m = 1", (2, 4, 1)))):
        for activation in ("sigmoid", "relu"):
            out.append(Case(f"{label}, {activation}", _activation_backward_case(100 + 2 * i, *shape, activation),
                            m=shape[2]))
    out.append(Case("float32, relu", _activation_backward_case(110, 3, 4, 5, "relu", np.float32), m=5))
    return out


def _activation_backward_mutant(kind: str) -> Callable:
    def wrong(dA: Array, cache: tuple, activation: str) -> tuple:
        linear_cache, Z = cache
        use = {"sigmoid": "relu", "relu": "sigmoid"}[activation] if kind == "swap" else activation
        s = ref.sigmoid(Z)
        if use == "relu":
            dZ = {"mask_from_dA": dA * (dA > 0), "relu_value": dA * np.maximum(0, Z)}.get(kind, None)
            dZ = ref.relu_backward(dA, Z) if dZ is None else dZ
        elif kind == "s_only":
            dZ = dA * s
        elif kind == "from_Z":
            dZ = dA * Z * (1 - Z)
        elif kind == "one_minus_s":
            dZ = dA * (1 - s)
        elif kind == "sigmoid_twice":  # s(1 - s) of s = sigmoid(sigmoid(Z)): the derivative taken from A
            s2 = ref.sigmoid(s)
            dZ = dA * s2 * (1 - s2)
        else:
            dZ = dA * s * (1 - s)
        return ref.linear_backward(dZ, linear_cache)
    return wrong


def _deep_backward_case(seed: int, dims: list[int], m: int, dtype: Any = np.float64, course: bool = False) -> tuple:
    rng = _rng(seed)
    X, params = _deep_forward_case(seed, dims, m, dtype)
    AL, caches = ref.L_model_forward(X, params)
    Y = _labels(rng, m).astype(dtype)
    if course:  # the course's test: AL = randn, outside (0, 1), caches as a tuple
        AL = rng.standard_normal((1, m)).astype(dtype)
        caches = tuple(caches)
    return AL, Y, caches


def _deep_backward_cases() -> list[Case]:
    return [Case("the course's case: AL = randn (1, 2), 2 layers, caches a tuple",
                 _deep_backward_case(121, [4, 3, 1], 2, course=True), m=2),
            Case("a forward pass, layers [5, 4, 3, 1], m = 6", _deep_backward_case(122, [5, 4, 3, 1], 6), m=6),
            Case("L = 1", _deep_backward_case(123, [3, 1], 4), m=4),
            Case("m = 1, deep", _deep_backward_case(124, [3, 3, 2, 2, 1], 1), m=1),
            Case("square: [3, 3, 1], m = 3", _deep_backward_case(125, [3, 3, 1], 3), m=3),
            Case("one unit per layer: [3, 1, 1], m = 4", _deep_backward_case(127, [3, 1, 1], 4), m=4),
            Case("float32", _deep_backward_case(126, [4, 3, 1], 5, np.float32), m=5)]


def _deep_backward_mutant(kind: str) -> Callable:
    def wrong(AL: Array, Y: Array, caches: Any) -> dict:
        grads = {}
        L = len(caches)
        Y = Y.reshape(AL.shape)
        dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        if kind == "sign":
            dAL = -dAL
        last = "relu" if kind == "relu_output" else "sigmoid"
        grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = ref.linear_activation_backward(dAL, caches[L - 1],
                                                                                                last)
        for l in reversed(range(L - 1)):
            cache = caches[l + 1] if kind == "next_cache" else caches[l]
            act = "sigmoid" if kind == "sigmoid_hidden" else "relu"
            dA_prev, dW, db = ref.linear_activation_backward(grads[f"dA{l + 1}"], cache, act)
            grads[f"dA{l}"], grads[f"dW{l + 1}"], grads[f"db{l + 1}"] = dA_prev, dW, db
        return grads
    return wrong


def _safe(f: Callable) -> Callable:
    """A mutant that may fail on a case (another layer's cache of another shape): then it matches nothing."""
    def run(*args: Any) -> Any:
        try:
            with np.errstate(all="ignore"):
                return f(*args)
        except Exception:
            return _NO_MATCH
    run.__name__ = getattr(f, "__name__", "mutant")
    return run


_NO_MATCH = object()


def _init_mutant(kind: str, deep: bool) -> Callable:
    def wrong(*dims_args: Any) -> dict:
        dims = list(dims_args[0]) if deep else list(dims_args)
        rng = np.random.RandomState({"seed": 1 if deep else 0}.get(kind, 3 if deep else 1))
        scale = {"scale_1": 1.0, "scale_0.1": 0.1}.get(kind, 0.01)
        out = {}
        for l in range(1, len(dims)):
            W = rng.randn(dims[l], dims[l - 1])
            if kind == "he":
                out[f"W{l}"] = W * np.sqrt(2 / dims[l - 1])
            else:
                out[f"W{l}"] = W * scale
            out[f"b{l}"] = np.zeros((dims[l], 1))
        return out
    return wrong


# == C2W1 ==============================================================================================================
def _three_layer(seed: int, m: int, dims: tuple = (3, 2, 3, 1), dtype: Any = np.float64) -> tuple:
    rng = _rng(seed)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    params = _params(rng, list(dims), dtype)
    Y = _labels(rng, m).astype(dtype)
    return X, Y, params


def _reg_cost_cases() -> list[Case]:
    out = []
    for label, seed, m, lambd in (("the course's shapes: A3 (1, 5), lambd 0.1", 131, 5, 0.1),
                                  ("m = 1, lambd 0.7", 132, 1, 0.7), ("m = 9, lambd 2", 133, 9, 2.0)):
        X, Y, params = _three_layer(seed, m)
        A3, _ = ref.forward_propagation_3(X, params)
        out.append(Case(label, (A3, Y, params, lambd), m=m))
    return out


def _reg_cost_mutant(kind: str) -> Callable:
    def wrong(A3: Array, Y: Array, parameters: dict, lambd: float) -> Any:
        m = Y.shape[1]
        squares = sum(np.sum(np.square(parameters[k])) for k in ("W1", "W2", "W3"))
        cross = ref.mean_cost(A3, Y)
        if kind == "over_m":
            return cross + lambd / m * squares
        if kind == "no_m":
            return cross + lambd / 2 * squares
        if kind == "last_only":
            return cross + lambd / (2 * m) * np.sum(np.square(parameters["W3"]))
        if kind == "norm":  # ||W|| where ||W||^2 belongs
            return cross + lambd / (2 * m) * sum(np.linalg.norm(parameters[k]) for k in ("W1", "W2", "W3"))
        if kind == "with_biases":
            return cross + lambd / (2 * m) * sum(np.sum(np.square(p)) for p in parameters.values())
        if kind == "dot":
            return np.reshape(cross + lambd / (2 * m) * squares, (1, 1))
        return cross - lambd / (2 * m) * squares  # "sign"
    return wrong


def _reg_backward_cases() -> list[Case]:
    out = []
    for label, seed, m, lambd in (("the course's shapes: X (3, 5), lambd 0.7", 141, 5, 0.7),
                                  ("m = 1", 142, 1, 0.5), ("m = 8, lambd 3", 143, 8, 3.0)):
        X, Y, params = _three_layer(seed, m)
        _, cache = ref.forward_propagation_3(X, params)
        out.append(Case(label, (X, Y, cache, lambd), m=m))
    return out


def _reg_backward_mutant(kind: str) -> Callable:
    def wrong(X: Array, Y: Array, cache: tuple, lambd: float) -> dict:
        m = X.shape[1]
        grads = ref.backward_propagation_3(X, Y, cache)
        W = {"dW1": cache[2], "dW2": cache[6], "dW3": cache[10]}
        factor = {"half": lambd / (2 * m), "double": 2 * lambd / m, "no_m": lambd, "none": 0.0}.get(kind, lambd / m)
        for key in ("dW1", "dW2", "dW3"):
            grads[key] = grads[key] + factor * W[key]
        if kind == "biases_too":  # the L2 term has no biases
            for key, b in (("db1", cache[3]), ("db2", cache[7]), ("db3", cache[11])):
                grads[key] = grads[key] + lambd / m * b
        return grads
    return wrong


def _dropout_forward_cases() -> list[Case]:
    out = []
    for label, seed, m, kp in (("the course's shapes: X (3, 5), keep_prob 0.7", 151, 5, 0.7),
                               ("m = 1, keep_prob 0.5", 152, 1, 0.5), ("m = 10, keep_prob 0.8", 153, 10, 0.8)):
        X, _, params = _three_layer(seed, m, (3, 4, 3, 1))
        out.append(Case(label, (X, params, kp)))
    return out


def _dropout_forward_mutant(kind: str) -> Callable:
    def wrong(X: Array, parameters: dict, keep_prob: float = 0.5) -> tuple:
        rng = np.random.RandomState(1)
        W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        Z1 = W1 @ X + b1
        A1 = ref.relu(Z1)
        D1 = (rng.rand(*A1.shape) < keep_prob).astype(int)
        A1 = A1 * D1 if kind in ("no_divide", "second_only") else A1 * D1 * keep_prob if kind == "times" \
            else A1 * D1 / keep_prob
        Z2 = W2 @ A1 + b2
        A2 = ref.relu(Z2)
        D2 = (rng.rand(*A2.shape) < keep_prob).astype(int)
        A2 = A2 * D2 if kind in ("no_divide", "first_only") else A2 * D2 * keep_prob if kind == "times" \
            else A2 * D2 / keep_prob
        Z3 = W3 @ A2 + b3
        A3 = ref.sigmoid(Z3)
        if kind == "cache_order":
            return A3, (Z1, A1, D1, W1, b1, Z2, A2, D2, W2, b2, Z3, A3, W3, b3)
        return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
    return wrong


def _dropout_forward_with(X: Array, params: dict, keep_prob: float, seed: int) -> tuple:
    """The dropout forward pass with masks drawn from ``RandomState(seed)``: a cache whose masks a backward pass
    that draws its own (reseeding 1) cannot reproduce."""
    rng = np.random.RandomState(seed)
    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    D1 = (rng.rand(*Z1.shape) < keep_prob).astype(int)
    A1 = ref.relu(Z1) * D1 / keep_prob
    Z2 = W2 @ A1 + b2
    D2 = (rng.rand(*Z2.shape) < keep_prob).astype(int)
    A2 = ref.relu(Z2) * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = ref.sigmoid(Z3)
    return Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3


def _dropout_backward_cases() -> list[Case]:
    out = []
    for label, seed, m, kp in (("the course's shapes: X (3, 5), keep_prob 0.8", 161, 5, 0.8),
                               ("m = 1, keep_prob 0.5", 162, 1, 0.5), ("m = 9, keep_prob 0.7", 163, 9, 0.7)):
        X, Y, params = _three_layer(seed, m, (3, 4, 3, 1))
        out.append(Case(label, (X, Y, _dropout_forward_with(X, params, kp, seed + 1000), kp), m=m))
    return out


def _dropout_backward_mutant(kind: str) -> Callable:
    def wrong(X: Array, Y: Array, cache: tuple, keep_prob: float) -> dict:
        Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
        if kind in ("new_mask", "new_mask_seed_1"):  # drawn as a learner's backward would: from the state the
            # harness seeded, or after np.random.seed(1) as in the forward pass
            rng = np.random.RandomState(HARNESS_SEED if kind == "new_mask" else 1)
            D1 = (rng.rand(*A1.shape) < keep_prob).astype(int)
            D2 = (rng.rand(*A2.shape) < keep_prob).astype(int)
        plain = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
        kp = {"no_divide": 1.0, "times": 1.0 / keep_prob}.get(kind, keep_prob)
        return ref.backward_propagation_3(X, Y, plain, masks=(D1, D2), keep_prob=kp)
    return wrong


def _forward3_cases() -> list[Case]:
    return [Case("X (3, 5), layers [3, 2, 3, 1]", _three_layer(171, 5)[::2]),
            Case("m = 1", _three_layer(172, 1)[::2])]


def _backward3_cases() -> list[Case]:
    out = []
    for label, seed, m in (("X (3, 5)", 181, 5), ("m = 1", 182, 1)):
        X, Y, params = _three_layer(seed, m)
        _, cache = ref.forward_propagation_3(X, params)
        out.append(Case(label, (X, Y, cache), m=m))
    return out


# == C2W2 ==============================================================================================================
def _gd_cases() -> list[Case]:
    out = []
    for label, seed, dims, rate in (("the course's shapes: W1 (2, 3), W2 (3, 3)", 191, [3, 2, 3], 0.01),
                                    ("one unit each", 192, [1, 1, 1], 0.5), ("three layers", 193, [4, 3, 2, 1], 0.1)):
        rng = _rng(seed)
        params = _params(rng, dims)
        out.append(Case(f"{label}, learning rate {rate}", (params, _grads(rng, params), rate)))
    return out


def _gd_mutant(kind: str) -> Callable:
    update = _update_mutant(kind)

    def wrong(parameters: dict, grads: dict, learning_rate: float) -> dict:
        return update(parameters, grads, learning_rate)
    return wrong


def _batches_cases() -> list[Case]:
    out = []
    for label, seed, n, m, size, rows in (("the course's case: X (5, 7), size 2", 201, 5, 7, 2, 1),
                                          ("m a multiple of the size: X (3, 8), size 4", 202, 3, 8, 4, 1),
                                          ("size 64 > m = 10", 203, 2, 10, 64, 1),
                                          ("X (4, 9), size 4", 204, 4, 9, 4, 1)):
        rng = _rng(seed)
        X = rng.standard_normal((n, m))
        Y = (rng.random((rows, m)) > 0.5).astype(float)
        out.append(Case(label, (X, Y, size, seed % 7)))
    return out


def _batches_mutant(kind: str) -> Callable:
    def wrong(X: Array, Y: Array, mini_batch_size: int = 64, seed: int = 0) -> list:
        rng = np.random.RandomState(seed)
        m = X.shape[1]
        perm = list(rng.permutation(m))
        sX = X if kind == "no_shuffle" else X[:, perm]
        if kind == "two_permutations":
            sY = Y[:, list(rng.permutation(m))]
        elif kind in ("no_shuffle", "Y_not_shuffled"):
            sY = Y
        else:
            sY = Y[:, perm]
        full = m // mini_batch_size
        cut = [slice(k * mini_batch_size, (k + 1) * mini_batch_size) for k in range(full)]
        out = [(sX[:, c], sY[:, c]) for c in cut]
        if kind == "empty_last":  # the rest taken even when there is none: an empty batch
            out.append((sX[:, full * mini_batch_size:], sY[:, full * mini_batch_size:]))
        elif kind == "rest_from_start" and m % mini_batch_size:
            out.append((sX[:, : m % mini_batch_size], sY[:, : m % mini_batch_size]))
        elif kind == "last_duplicated" and m % mini_batch_size:
            out += [(sX[:, full * mini_batch_size:], sY[:, full * mini_batch_size:])] * 2
        elif kind not in ("last_lost", "rest_from_start", "last_duplicated") and m % mini_batch_size:
            out.append((sX[:, full * mini_batch_size:], sY[:, full * mini_batch_size:]))
        return out
    return wrong


def _state_init_cases() -> list[Case]:
    return [Case("W1 (2, 3), W2 (3, 2)", (_params(_rng(211), [3, 2, 3]),)),
            Case("one unit each", (_params(_rng(212), [1, 1, 1]),))]


def _momentum_cases() -> list[Case]:
    out = []
    for label, seed, dims, beta, rate in (("the course's shapes: W1 (2, 3), W2 (3, 2), beta 0.9", 221, [3, 2, 3],
                                           0.9, 0.01),
                                          ("one unit each, beta 0.5", 222, [1, 1, 1], 0.5, 0.3),
                                          ("three layers, beta 0.8", 223, [4, 3, 2, 1], 0.8, 0.1)):
        rng = _rng(seed)
        params = _params(rng, dims)
        grads = _grads(rng, params)
        v = {k: rng.standard_normal(g.shape) for k, g in grads.items()}
        out.append(Case(label, (params, grads, v, beta, rate)))
    return out


def _momentum_mutant(kind: str) -> Callable:
    def wrong(parameters: dict, grads: dict, v: dict, beta: float, learning_rate: float) -> tuple:
        for key in list(parameters):
            g = parameters[key] if kind == "parameter" else grads["d" + key]
            if kind == "no_one_minus":
                new = beta * v["d" + key] + g
            elif kind == "swapped":
                new = (1 - beta) * v["d" + key] + beta * g
            else:
                new = beta * v["d" + key] + (1 - beta) * g
            if kind != "v_not_stored":
                v["d" + key] = new
            step = 1.0 if kind == "no_rate" else learning_rate
            sign = -1.0 if kind == "sign" else 1.0
            parameters[key] = parameters[key] - sign * step * (grads["d" + key] if kind == "grad_step" else new)
        return parameters, v
    return wrong


def _adam_cases() -> list[Case]:
    out = []
    for label, seed, dims, t, rate, b1, b2, eps in (
            ("the course's case: t = 2, learning rate 0.02, beta1 0.8, beta2 0.888, epsilon 1e-2", 231, [3, 2, 3], 2,
             0.02, 0.8, 0.888, 1e-2),
            ("t = 1, the defaults", 232, [3, 2, 3], 1, 0.01, 0.9, 0.999, 1e-8),
            ("t = 5, one unit each", 233, [1, 1, 1], 5, 0.1, 0.9, 0.99, 1e-3)):
        rng = _rng(seed)
        params = _params(rng, dims)
        grads = _grads(rng, params)
        v = {k: 0.1 * rng.standard_normal(g.shape) for k, g in grads.items()}
        s = {k: 0.1 * rng.random(g.shape) for k, g in grads.items()}
        out.append(Case(label, (params, grads, v, s, t, rate, b1, b2, eps)))
    return out


def _adam_mutant(kind: str) -> Callable:
    def wrong(parameters: dict, grads: dict, v: dict, s: dict, t: int, learning_rate: float = 0.01,
              beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8) -> tuple:
        vc, sc = {}, {}
        for key in list(parameters):
            g = parameters[key] if kind == "parameter" else grads["d" + key]
            k = "d" + key
            b_v = beta2 if kind == "v_beta2" else beta1
            b_s = beta1 if kind == "s_beta1" else beta2
            v[k] = b_v * v[k] + (1 - b_v) * g
            s[k] = b_s * s[k] + (1 - b_s) * (g if kind == "no_square" else g ** 2)
            tt = {"t_from_0": t - 1, "t_plus": t + 1}.get(kind, t)
            c_v, c_s = (beta2, beta1) if kind == "swapped_correction" else (beta1, beta2)
            with np.errstate(divide="ignore", invalid="ignore"):
                vc[k] = v[k] if kind == "no_correction" else v[k] / (1 - c_v ** tt)
                sc[k] = s[k] if kind in ("no_correction", "v_only") else s[k] / (1 - c_s ** tt)
                step = 1.0 if kind == "no_rate" else learning_rate
                denom = np.sqrt(sc[k] + epsilon) if kind == "eps_inside" else np.sqrt(sc[k]) + epsilon
                parameters[key] = parameters[key] - step * vc[k] / denom
            if kind == "corrected_stored":  # the corrected averages written over v and s
                v[k], s[k] = vc[k], sc[k]
        return parameters, v, s, vc, sc
    return wrong


def _adam_expected(expected: Any, got: Any) -> Any:
    """The course's two Adams: v1b returns (parameters, v, s), the first three of the 2021+ 5-tuple."""
    if isinstance(got, (tuple, list)) and len(got) == 3 and isinstance(expected, tuple):
        return expected[:3]
    return expected


def _lr_cases() -> list[Case]:
    return [Case("learning_rate0 0.5, epoch 2, decay 1", (0.5, 2, 1.0)),
            Case("learning_rate0 0.1, epoch 0, decay 0.3", (0.1, 0, 0.3)),
            Case("learning_rate0 0.2, epoch 7, decay 0.5", (0.2, 7, 0.5))]


def _schedule_cases() -> list[Case]:
    return [Case("the course's case: 0.5, epoch 100, decay 1, interval 100", (0.5, 100, 1.0, 100)),
            Case("epoch 1500, decay 0.3, interval 1000", (0.2, 1500, 0.3, 1000)),
            Case("epoch 99 < interval 100", (0.5, 99, 1.0, 100)), Case("the default interval", (0.4, 2500, 0.5))]


# == the table ========================================================================================================
def _ex(assignment: str, name: str, params: str, reference: Callable, cases: Callable, mutants: dict | None = None,
        **kw: Any) -> Exercise:
    pairs = tuple((kind, _safe(f)) for kind, fs in (mutants or {}).items() for f in fs)
    return Exercise(assignment, name, tuple(params.split()), reference, cases, pairs, **kw)


def _scalar_cost(v: Any) -> Any:
    return np.squeeze(v)


EXERCISES: list[Exercise] = [
    # C1W2
    _ex("c1w2", "sigmoid", "z", ref.sigmoid, _sigmoid_cases,
        {"sign": [lambda z: 1 / (1 + np.exp(z))],
         "activation_derivative": [lambda z: ref.sigmoid(z) * (1 - ref.sigmoid(z))], "wrong_activation": [np.tanh]}),
    _ex("c1w2", "initialize_with_zeros", "dim", ref.initialize_with_zeros, _zeros_cases,
        {"transpose": [lambda dim: (np.zeros((1, dim)), 0.0)]}, outputs=("w", "b")),
    _ex("c1w2", "propagate", "w b X Y", ref.propagate, _propagate_cases,
        {"elementwise_vs_dot": [_prop_mutant("elementwise_vs_dot")]}, outputs=("grads", "cost"),
        forward=("propagate",)),
    _ex("c1w2", "optimize", "w b X Y num_iterations learning_rate print_cost", ref.optimize, _optimize_cases,
        {"learning_rate": [_optimize_mutant("learning_rate")], "sign": [_optimize_mutant("sign")]},
        outputs=("params", "grads", "costs"), uses=("propagate",), required=4),
    _ex("c1w2", "predict", "w b X", ref.predict_logistic, _predict_logistic_cases,
        {"sign": [lambda w, b, X: (ref.sigmoid(w.T @ X + b) < 0.5).astype(float)]}),
    # C1W3
    _ex("c1w3", "layer_sizes", "X Y", ref.layer_sizes, lambda: [
        Case("X (5, 3), Y (2, 3)", (np.zeros((5, 3)), np.zeros((2, 3)))),
        Case("X (2, 400), Y (1, 400)", (np.zeros((2, 400)), np.zeros((1, 400))))],
        {"transpose": [lambda X, Y: (X.shape[1], 4, Y.shape[1])]}, outputs=("n_x", "n_h", "n_y")),
    _ex("c1w3", "initialize_parameters", "n_x n_h n_y", ref.initialize_parameters_2, _init2_cases,
        {"initialization_scale": [_init_mutant("scale_1", False), _init_mutant("scale_0.1", False)]},
        value_kind="initialization_scale"),
    _ex("c1w3", "forward_propagation", "X parameters", ref.forward_propagation_2, _forward2_cases,
        {"wrong_activation": [_forward2_mutant("relu"), _forward2_mutant("sigmoid"), _forward2_mutant("tanh_out")],
         "elementwise_vs_dot": [_forward2_mutant("elementwise")], "cache_mixup": [_forward2_mutant("swapped_keys")],
         "transpose": [_forward2_mutant("W1_transposed")]},
        outputs=("A2", "cache")),
    _ex("c1w3", "compute_cost", "A2 Y", ref.compute_cost_2, _cost2_cases,
        {"sign": [_cost_mutant("sign", float)], "scale_m": [_cost_mutant("sum", float)],
         "cost_shape": [_cost_mutant("dot", float)], "other": [_cost_mutant("only_positive", float)]},
        outputs=("cost",), required=2, extra=("parameters",)),
    _ex("c1w3", "backward_propagation", "parameters cache X Y", ref.backward_propagation_2, _backward2_cases,
        {"activation_derivative": [_backward2_mutant("tanh_from_Z"), _backward2_mutant("tanh_not_squared"),
                                   _backward2_mutant("sigmoid_form")],
         "elementwise_vs_dot": [_backward2_mutant("elementwise")]},
        forward=("forward_propagation", "compute_cost")),
    _ex("c1w3", "update_parameters", "parameters grads learning_rate", ref.update_parameters, _update_cases(True),
        {"sign": [_update_mutant("sign")], "learning_rate": [_update_mutant("no_rate"), _update_mutant("rate_twice")],
         "parameter_vs_gradient": [_update_mutant("parameter"), _update_mutant("gradient")]}, required=2),
    _ex("c1w3", "predict", "parameters X", ref.predict_2, _predict2_cases,
        {"sign": [lambda p, X: ref.forward_propagation_2(X, p)[0] < 0.5]}, uses=("forward_propagation",)),
    # C1W4
    _ex("c1w4", "initialize_parameters", "n_x n_h n_y", ref.initialize_parameters_seeded, _init2_seeded_cases,
        {"initialization_scale": [_init_mutant("scale_1", False), _init_mutant("seed", False)]},
        value_kind="initialization_scale"),
    _ex("c1w4", "initialize_parameters_deep", "layer_dims", ref.initialize_parameters_deep, _deep_init_cases,
        {"initialization_scale": [_init_mutant("scale_1", True), _init_mutant("scale_0.1", True),
                                  _init_mutant("he", True), _init_mutant("seed", True)]},
        value_kind="initialization_scale"),
    _ex("c1w4", "linear_forward", "A W b", ref.linear_forward, _linear_forward_cases,
        {"transpose": [_linear_forward_mutant("W_transposed"), _linear_forward_mutant("swapped")],
         "elementwise_vs_dot": [_linear_forward_mutant("elementwise")],
         "cache_mixup": [_linear_forward_mutant("cache")]},
        outputs=("Z", "cache")),
    _ex("c1w4", "linear_activation_forward", "A_prev W b activation", ref.linear_activation_forward,
        _activation_forward_cases,
        {"wrong_activation": [_activation_forward_mutant("swap"), _activation_forward_mutant("tanh")],
         "elementwise_vs_dot": [_activation_forward_mutant("elementwise")],
         "cache_mixup": [_activation_forward_mutant("cache_order"), _activation_forward_mutant("cache_A")]},
        outputs=("A", "cache"), uses=("linear_forward",)),
    _ex("c1w4", "L_model_forward", "X parameters", ref.L_model_forward, _deep_forward_cases,
        {"wrong_activation": [_deep_forward_mutant("sigmoid_hidden"), _deep_forward_mutant("relu_output"),
                              _deep_forward_mutant("swapped")],
         "cache_mixup": [_deep_forward_mutant("cache_order"), _deep_forward_mutant("last_cache_lost"),
                         _deep_forward_mutant("reversed")]},
        outputs=("AL", "caches"), uses=("linear_activation_forward", "linear_forward")),
    _ex("c1w4", "compute_cost", "AL Y", ref.compute_cost_deep, _deep_cost_cases,
        {"sign": [_cost_mutant("sign", _scalar_cost)], "scale_m": [_cost_mutant("sum", _scalar_cost)],
         "cost_shape": [_cost_mutant("dot", _scalar_cost)], "other": [_cost_mutant("only_positive", _scalar_cost)]},
        outputs=("cost",)),
    _ex("c1w4", "linear_backward", "dZ cache", ref.linear_backward, _linear_backward_cases,
        {"transpose": [_linear_backward_mutant("W_not_transposed")],
         "elementwise_vs_dot": [_linear_backward_mutant("elementwise_dW"), _linear_backward_mutant("elementwise_dA")],
         "cache_mixup": [_linear_backward_mutant("cache_order")], "scale_m": [_linear_backward_mutant("dA_scaled")]},
        outputs=("dA_prev", "dW", "db"), forward=("linear_forward",)),
    _ex("c1w4", "linear_activation_backward", "dA cache activation", ref.linear_activation_backward,
        _activation_backward_cases,
        {"activation_derivative": [_activation_backward_mutant(k) for k in ("mask_from_dA", "s_only", "from_Z",
                                                                            "relu_value", "one_minus_s",
                                                                            "sigmoid_twice")],
         "wrong_activation": [_activation_backward_mutant("swap")]},
        outputs=("dA_prev", "dW", "db"), uses=("linear_backward",), forward=("linear_activation_forward",)),
    _ex("c1w4", "L_model_backward", "AL Y caches", ref.L_model_backward, _deep_backward_cases,
        {"sign": [_deep_backward_mutant("sign")], "wrong_activation": [_deep_backward_mutant("relu_output"),
                                                                       _deep_backward_mutant("sigmoid_hidden")],
         "cache_mixup": [_deep_backward_mutant("next_cache")]},
        uses=("linear_activation_backward", "linear_backward"), forward=("L_model_forward", "compute_cost")),
    _ex("c1w4", "update_parameters", "params grads learning_rate", ref.update_parameters, _update_cases(False),
        {"sign": [_update_mutant("sign")], "learning_rate": [_update_mutant("no_rate"), _update_mutant("rate_twice")],
         "parameter_vs_gradient": [_update_mutant("parameter"), _update_mutant("gradient")]},
        updates_if_named="parameters"),
    # C2W1
    _ex("c2w1", "compute_cost_with_regularization", "A3 Y parameters lambd", ref.compute_cost_with_regularization,
        _reg_cost_cases,
        {"l2_term": [_reg_cost_mutant(k) for k in ("over_m", "no_m", "last_only", "norm", "with_biases")],
         "cost_shape": [_reg_cost_mutant("dot")], "sign": [_reg_cost_mutant("sign")]},
        outputs=("cost",)),
    _ex("c2w1", "backward_propagation_with_regularization", "X Y cache lambd",
        ref.backward_propagation_with_regularization, _reg_backward_cases,
        {"l2_term": [_reg_backward_mutant(k) for k in ("half", "double", "no_m", "none", "biases_too")]},
        forward=("compute_cost_with_regularization",)),
    _ex("c2w1", "forward_propagation_with_dropout", "X parameters keep_prob", ref.forward_propagation_with_dropout,
        _dropout_forward_cases,
        {"dropout_scaling": [_dropout_forward_mutant(k) for k in ("no_divide", "times", "first_only",
                                                                  "second_only")],
         "cache_mixup": [_dropout_forward_mutant("cache_order")]},
        outputs=("A3", "cache"), required=2),
    _ex("c2w1", "backward_propagation_with_dropout", "X Y cache keep_prob", ref.backward_propagation_with_dropout,
        _dropout_backward_cases,
        {"dropout_scaling": [_dropout_backward_mutant(k) for k in ("no_divide", "times", "new_mask",
                                                                   "new_mask_seed_1")]},
        forward=("forward_propagation_with_dropout",)),
    _ex("c2w1", "forward_propagation", "X parameters", ref.forward_propagation_3, _forward3_cases,
        outputs=("A3", "cache")),
    _ex("c2w1", "backward_propagation", "X Y cache", ref.backward_propagation_plain, _backward3_cases),
    # C2W2
    _ex("c2w2", "update_parameters_with_gd", "parameters grads learning_rate", ref.update_parameters_with_gd,
        _gd_cases,
        {"sign": [_gd_mutant("sign")], "learning_rate": [_gd_mutant("no_rate"), _gd_mutant("rate_twice")],
         "parameter_vs_gradient": [_gd_mutant("parameter"), _gd_mutant("gradient")]}, updates_inputs=True),
    _ex("c2w2", "random_mini_batches", "X Y mini_batch_size seed", ref.random_mini_batches, _batches_cases,
        {"mini_batch_partition": [_batches_mutant(k) for k in ("two_permutations", "no_shuffle", "Y_not_shuffled",
                                                               "empty_last", "last_lost", "rest_from_start",
                                                               "last_duplicated")]},
        required=2),
    _ex("c2w2", "initialize_velocity", "parameters", ref.initialize_velocity, _state_init_cases),
    _ex("c2w2", "update_parameters_with_momentum", "parameters grads v beta learning_rate",
        ref.update_parameters_with_momentum, _momentum_cases,
        {"optimizer_formula": [_momentum_mutant(k) for k in ("no_one_minus", "swapped", "v_not_stored",
                                                             "grad_step")],
         "learning_rate": [_momentum_mutant("no_rate")], "sign": [_momentum_mutant("sign")],
         "parameter_vs_gradient": [_momentum_mutant("parameter")]},
        outputs=("parameters", "v"), updates_inputs=True),
    _ex("c2w2", "initialize_adam", "parameters", ref.initialize_adam, _state_init_cases, outputs=("v", "s")),
    _ex("c2w2", "update_parameters_with_adam", "parameters grads v s t learning_rate beta1 beta2 epsilon",
        ref.update_parameters_with_adam, _adam_cases,
        {"adam_bias_correction": [_adam_mutant(k) for k in ("no_correction", "t_from_0", "t_plus", "v_only",
                                                              "swapped_correction", "corrected_stored")],
         "optimizer_formula": [_adam_mutant(k) for k in ("eps_inside", "no_square", "v_beta2", "s_beta1")],
         "learning_rate": [_adam_mutant("no_rate")], "parameter_vs_gradient": [_adam_mutant("parameter")]},
        outputs=("parameters", "v", "s", "v_corrected", "s_corrected"), updates_inputs=True, required=5,
        expected_for=_adam_expected),
    _ex("c2w2", "update_lr", "learning_rate0 epoch_num decay_rate", ref.update_lr, _lr_cases,
        {"other": [lambda a, e, d: a / (1 + d) ** e]}),
    _ex("c2w2", "schedule_lr_decay", "learning_rate0 epoch_num decay_rate time_interval", ref.schedule_lr_decay,
        _schedule_cases, {"other": [lambda a, e, d, i=1000: a / (1 + d * e / i)]}, required=3),
]


def exercises_named(name: str) -> list[Exercise]:
    """Every assignment's exercise of that name."""
    return [ex for ex in EXERCISES if ex.name == name]


def fresh(args: tuple) -> tuple:
    """A deep copy of a case's arguments: each call gets its own."""
    return copy.deepcopy(args)

