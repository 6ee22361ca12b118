"""Numeric edges of the public step functions: extreme finite values, huge Python ints, odd dtypes, caches.

Each test holds a function to the project's contract (README, "What deepstep promises"): an exact result worked
out here independently (the course's formulas in NumPy, or by hand), or a DeepstepError naming the argument --
never a RuntimeWarning, OverflowError, float16 arithmetic or a silent inf.  Every call runs under
``warnings.simplefilter("error")``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import deepstep as ds
from deepstep.callbacks import DivergenceGuard, EarlyStopping, ProgressBar
from deepstep.engine import apply_dropout
from deepstep.errors import DeepstepError, check_number
from deepstep.schedules import ExponentialDecay, InverseTimeDecay, StepDecay, get_schedule, schedule_lr_decay

pytestmark = pytest.mark.filterwarnings("error")


def refusal(fn, *args, **kwargs) -> str:
    with pytest.raises(DeepstepError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def params(dtype=np.float64):
    return {"W1": np.array([[0.5, -1.0], [2.0, 0.25]], dtype), "b1": np.array([[0.1], [-0.2]], dtype),
            "W2": np.array([[1.5, -0.5]], dtype), "b2": np.array([[0.3]], dtype)}


def grads(dtype=np.float64):
    return {"dW1": np.array([[0.1, 0.2], [-0.3, 0.4]], dtype), "db1": np.array([[0.05], [-0.05]], dtype),
            "dW2": np.array([[-0.2, 0.6]], dtype), "db2": np.array([[0.01]], dtype)}


# -- the one number check -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, "0.1", None, complex(0.1, 0), Decimal("0.1"), np.array(0.1), [0.1],
                                   10**400, -(10**400), math.nan, math.inf, -math.inf, 1, -1.0, 1.5])
def test_check_number_refuses_by_name(value):
    message = refusal(check_number, value, "beta", low=0, high=1, high_inclusive=False)
    assert message.startswith("beta: expected a") and "0 <= beta < 1" in message


def test_check_number_takes_real_numbers_as_python_floats():
    for value, expected in [(Fraction(1, 10), 0.1), (np.float32(0.5), 0.5), (np.int64(0), 0.0), (1e-320, 1e-320)]:
        got = check_number(value, "beta", low=0, high=1, high_inclusive=False)
        assert type(got) is float and got == expected
    assert check_number(10**400, "t", low=1, integer=True) == 10**400  # integers need no float
    assert refusal(check_number, 2.0, "t", low=1, integer=True) == "t: expected a positive integer, got float 2.0"


@pytest.mark.parametrize(("call", "name"), [
    (lambda v: ds.update_parameters(params(), grads(), v), "learning_rate"),
    (lambda v: ds.update_parameters_with_momentum(params(), grads(), grads(), v, 0.1), "beta"),
    (lambda v: ds.update_parameters_with_rmsprop(params(), grads(), grads(), beta2=v), "beta2"),
    (lambda v: ds.update_parameters_with_rmsprop(params(), grads(), grads(), epsilon=v), "epsilon"),
    (lambda v: ds.update_parameters_with_adam(params(), grads(), grads(), grads(), 1, beta1=v), "beta1"),
    (lambda v: ds.update_parameters_with_adam(params(), grads(), grads(), grads(), 1, learning_rate=v),
     "learning_rate"),
    (lambda v: ds.compute_cost_with_regularization(np.full((1, 2), 0.5), np.array([[0, 1]]), params(), v), "lambd"),
    (lambda v: ds.gradient_check(params(), np.ones((2, 2)), np.array([[0, 1]]), l2=v), "l2"),
    (lambda v: ds.gradient_check(params(), np.ones((2, 2)), np.array([[0, 1]]), epsilon=v), "epsilon"),
    (lambda v: EarlyStopping(min_delta=v), "min_delta"),
    (lambda v: DivergenceGuard(factor=v), "factor"),
    (lambda v: InverseTimeDecay(decay_rate=v), "decay_rate"),
    (lambda v: ExponentialDecay(decay_rate=-v), "decay_rate"),
    (lambda v: StepDecay(drop=v, interval=2), "drop"),
    (lambda v: schedule_lr_decay(v, 10, 0.5), "learning_rate0"),
    (lambda v: ds.optimizers.Adam(epsilon=v), "epsilon"),
])
def test_a_huge_int_hyperparameter_is_refused_by_name(call, name):
    """10**400 is a Real that float() cannot convert: a DeepstepError naming the argument, not OverflowError."""
    message = refusal(call, 10**400)
    assert message.startswith(f"{name}: expected ") and "beyond the float range" in message


def test_model_backward_names_lambd():
    AL, caches = ds.model_forward(np.ones((2, 2)), params())
    assert refusal(ds.model_backward, AL, np.array([[0, 1]]), caches, lambd=10**400).startswith("lambd: expected")


def test_adam_with_a_huge_update_count():
    """t = 10**400: beta**t is 0, so the bias corrections are 1: P - alpha v / (sqrt(s) + epsilon) (by hand)."""
    p = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    g = {"dW1": np.array([[0.5]]), "db1": np.array([[0.0]])}
    zeros = {"dW1": np.zeros((1, 1)), "db1": np.zeros((1, 1))}
    new, v, s = ds.update_parameters_with_adam(p, g, zeros, zeros, 10**400, learning_rate=0.1, beta1=0.5, beta2=0.75)
    assert v["dW1"][0, 0] == 0.25 and s["dW1"][0, 0] == 0.0625  # 0.5 * 0.5 and 0.25 * 0.25
    assert new["W1"][0, 0] == 1 - 0.1 * (0.25 / (0.25 + 1e-8))


def test_schedules_other_edges():
    assert refusal(get_schedule, {"name": ["inverse_time"]}).startswith("schedule: expected one of")
    assert refusal(get_schedule, {"name": "step", 1: 2}).startswith("schedule: 'step' does not take")
    assert refusal(schedule_lr_decay, 0.1, 2**70, 0.5).startswith("epoch_num: expected an epoch number")
    assert schedule_lr_decay(0.5, 2000, 0.3, 1000) == 0.5 / (1 + 0.3 * 2)
    assert refusal(ProgressBar, print_every=0).startswith("print_every: expected a positive integer")


# -- overflow: refused by name, never a warning; ordinary values unchanged ---------------------------------


def test_linear_forward_exact_and_overflow():
    A, W, b = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([[3.0, -1.0]]), np.array([[0.5]])
    Z, cache = ds.linear_forward(A, W, b)
    np.testing.assert_array_equal(Z, [[3.0, -8.5]])  # 3 - 0.5 + 0.5, -6 - 3 + 0.5
    assert cache[0] is A and cache[1] is W and cache[2] is b
    message = refusal(ds.linear_forward, A, np.full((1, 2), 1e308), b)
    assert message.startswith("linear_forward: the result overflows") and "W is too large" in message


def test_float32_stays_float32_and_its_overflow_is_refused():
    A, W, b = np.ones((2, 3), np.float32), np.full((1, 2), 2.0, np.float32), np.zeros((1, 1), np.float32)
    Z, _ = ds.linear_forward(A, W, b)
    assert Z.dtype == np.float32 and (Z == 4).all()
    A1, cache = ds.linear_activation_forward(A, W, b, "tanh")
    assert A1.dtype == np.float32 and np.array_equal(A1, np.tanh(Z))
    dA_prev, dW, db = ds.linear_activation_backward(np.ones((1, 3), np.float32), cache, "tanh")
    assert dA_prev.dtype == dW.dtype == db.dtype == np.float32
    new = ds.update_parameters({"W1": W, "b1": b}, {"dW1": dW, "db1": db}, 0.5)
    assert new["W1"].dtype == new["b1"].dtype == np.float32
    # 1e38 * 1e38 is beyond float32 (3.4e38) though both are float32 values: refused, not a warning
    message = refusal(ds.linear_forward, np.full((2, 3), 1e38, np.float32), W * np.float32(1e38), b)
    assert "is too large" in message


def test_linear_backward_exact_and_overflow():
    dZ = np.array([[1.0, 3.0]])
    cache = (np.array([[1.0, 2.0]]), np.array([[0.5]]), np.zeros((1, 1)))
    dA_prev, dW, db = ds.linear_backward(dZ, cache)
    np.testing.assert_array_equal(dA_prev, [[0.5, 1.5]])
    np.testing.assert_array_equal(dW, [[3.5]])  # (1*1 + 3*2) / 2
    np.testing.assert_array_equal(db, [[2.0]])
    message = refusal(ds.linear_backward, np.full((1, 2), 1e308), (cache[0], np.array([[4.0]]), cache[2]))
    assert "dZ is too large" in message


def test_model_backward_overflow_and_nan():
    caches = [((np.ones((1, 2)), np.full((1, 1), 1e308), np.zeros((1, 1))), np.zeros((1, 2)))]
    message = refusal(ds.model_backward, np.full((1, 2), 1e-300), np.array([[1, 1]]), caches)
    assert message.startswith("model_backward: the result overflows")
    # a NaN in a cache: refused (not returned as NaN gradients)
    bad = [((np.array([[np.nan, 1.0]]), np.ones((1, 1)), np.zeros((1, 1))), np.zeros((1, 2)))]
    assert refusal(ds.model_backward, np.full((1, 2), 0.5), np.array([[1, 0]]), bad) == \
        "model_backward: expected finite values, got NaN or inf in caches"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_updates_are_the_course_formulas_to_the_bit(dtype):
    """Ordinary values: exactly the course's formulas, in the parameters' dtype; the inputs untouched."""
    P, G, lr, b1, b2, eps = params(dtype), grads(dtype), 0.01, 0.9, 0.999, 1e-8
    v0 = {k: 0.5 * g for k, g in G.items()}
    s0 = {k: g * g + 0.01 for k, g in G.items()}
    copies = [{k: a.copy() for k, a in d.items()} for d in (P, G, v0, s0)]
    gd = ds.update_parameters(P, G, lr)
    mom, v = ds.update_parameters_with_momentum(P, G, v0, b1, lr)
    rms, s = ds.update_parameters_with_rmsprop(P, G, s0, b2, lr, eps)
    adam, va, sa = ds.update_parameters_with_adam(P, G, v0, s0, 3, lr, b1, b2, eps)
    for key in P:
        W, dW, v_, s_ = P[key], G["d" + key], v0["d" + key], s0["d" + key]
        f = W.dtype.type
        assert np.array_equal(gd[key], W - dW * f(lr)) and gd[key].dtype == dtype
        v1 = v_ * f(b1) + dW * f(1 - b1)
        assert np.array_equal(v["d" + key], v1) and np.array_equal(mom[key], W - f(lr) * v1)
        s1 = s_ * f(b2) + (dW * dW) * f(1 - b2)
        assert np.array_equal(s["d" + key], s1)
        assert np.array_equal(rms[key], W - dW / (np.sqrt(s1) + f(eps)) * f(lr))
        va_c, sa_c = v1 / f(1 - b1**3), s1 / f(1 - b2**3)
        assert np.array_equal(adam[key], W - va_c / (np.sqrt(sa_c) + f(eps)) * f(lr)), key
        assert adam[key].dtype == va["d" + key].dtype == sa["d" + key].dtype == dtype
    for given, saved in zip((P, G, v0, s0), copies, strict=True):
        assert all(np.array_equal(given[k], saved[k]) for k in saved)
    # the same step with a gradient of 1e308 and a learning rate of 10: refused by name
    big = {**G, "dW1": np.full((2, 2), 1e308, dtype) if dtype == np.float64 else np.full((2, 2), 3e38, dtype)}
    assert "grads is too large" in refusal(ds.update_parameters, P, big, 10.0)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int64])
@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_bool_and_integer_parameters_are_updated_in_float64(name, dtype):
    """The result of the same values as float64 (never float16, where 1e-8 rounds to 0)."""
    P = {"W1": np.array([[1, 0]], dtype), "b1": np.zeros((1, 1), dtype)}
    P64 = {k: a.astype(np.float64) for k, a in P.items()}
    G = {"dW1": np.array([[1e-3, -2e-3]]), "db1": np.array([[0.0]])}
    state = {"dW1": np.zeros((1, 2)), "db1": np.zeros((1, 1))}
    step = {"gd": lambda p: (ds.update_parameters(p, G, 0.01),),
            "momentum": lambda p: ds.update_parameters_with_momentum(p, G, state, 0.9, 0.01),
            "rmsprop": lambda p: ds.update_parameters_with_rmsprop(p, G, state),
            "adam": lambda p: ds.update_parameters_with_adam(p, G, state, state, 1)}[name]
    got, expected = step(P), step(P64)
    for part, ref in zip(got, expected, strict=True):
        for key, a in part.items():
            assert a.dtype == np.float64 and np.array_equal(a, ref[key]), (key, a, ref[key])
    if name == "adam":  # step 1 from zero moments: W - alpha dW / (|dW| + epsilon), by hand
        np.testing.assert_allclose(got[0]["W1"], [[1 - 0.01 * 1e-3 / (1e-3 + 1e-8), 0.01 * 2e-3 / (2e-3 + 1e-8)]],
                                   rtol=1e-15)


@pytest.mark.parametrize("name", ["update_parameters_with_rmsprop", "update_parameters_with_adam"])
def test_a_negative_second_moment_is_refused(name):
    P = {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}
    G = {"dW1": np.ones((1, 2)), "db1": np.zeros((1, 1))}
    s = {"dW1": np.array([[0.0, -1e-300]]), "db1": np.zeros((1, 1))}
    args = (P, G, s) if name.endswith("rmsprop") else (P, G, {k: np.zeros_like(a) for k, a in s.items()}, s, 1)
    message = refusal(getattr(ds, name), *args)
    assert message == "s: expected values >= 0 in 'dW1' (a running average of squared gradients), got 1 negative values"


# -- the L2 cost -----------------------------------------------------------------------------------------------


def test_l2_cost_of_bool_int_and_huge_weights():
    AL, Y = np.full((1, 2), 0.5), np.array([[0, 1]])
    b = np.zeros((1, 1))
    # log 2 + (lambd / 2m) ||W||^2 with ||W||^2 = 3 (three ones), lambd 0.5, m 2
    assert ds.compute_cost_with_regularization(AL, Y, {"W1": np.ones((1, 3), bool), "b1": b}, 0.5) == \
        math.log(2) + 0.5 / 4 * 3
    # int64 weights of 3e9: ||W||^2 = 2 * 9e18 = 1.8e19, beyond int64 (a wrapping dot product would be negative)
    J = ds.compute_cost_with_regularization(AL, Y, {"W1": np.full((1, 2), 3 * 10**9), "b1": b}, 1.0)
    assert J == pytest.approx(math.log(2) + 1.8e19 / 4, rel=1e-15)
    message = refusal(ds.compute_cost_with_regularization, AL, Y, {"W1": np.full((1, 2), 1e200), "b1": b}, 1.0)
    assert message.startswith("compute_cost_with_regularization: the result overflows") and "parameters" in message
    message = refusal(ds.compute_cost_with_regularization, AL, Y, {"W1": np.full((1, 2), 1e154), "b1": b}, 1e308)
    assert "lambd is too large" in message


def test_cost_of_zero_output_units_is_refused():
    assert refusal(ds.compute_cost, np.zeros((0, 3)), np.zeros((0, 3))) == \
        "AL: expected at least one output unit (n[L] >= 1), got shape (0, 3)"


def test_gradient_check_with_a_huge_l2_is_refused_and_ordinary_values_pass():
    rng = np.random.default_rng(0)
    p = ds.initialize_parameters([3, 4, 1], init="xavier", rng=rng)
    X, Y = rng.standard_normal((3, 5)), np.array([[0, 1, 1, 0, 1]])
    assert ds.gradient_check(p, X, Y, hidden_activation="tanh", l2=0.7) < 1e-7
    message = refusal(ds.gradient_check, p, X, Y, hidden_activation="tanh", l2=1e308)
    assert message.startswith("gradient_check: the result overflows") and "l2 is too large" in message


# -- caches --------------------------------------------------------------------------------------------------


def test_linear_backward_cache_shapes_are_checked():
    A_prev, W, b = np.ones((3, 2)), np.ones((1, 3)), np.zeros((1, 1))
    assert refusal(ds.linear_backward, np.ones((1, 2)), (A_prev, np.ones((1, 4)), b)) == (
        "cache: expected (A_prev, W, b) of shapes (n[l-1], m) with m >= 1, (n[l], n[l-1]) and (n[l], 1), "
        "got A_prev (3, 2), W (1, 4), b (1, 1)")
    assert "b (2, 1)" in refusal(ds.linear_backward, np.ones((1, 2)), (A_prev, W, np.zeros((2, 1))))
    assert "A_prev (3, 0)" in refusal(ds.linear_backward, np.ones((1, 0)), (A_prev[:, :0], W, b))  # m = 0: 0/0
    masked = np.ma.array(A_prev, mask=np.eye(3, 2, dtype=bool))
    assert refusal(ds.linear_backward, np.ones((1, 2)), (masked, W, b)).startswith("A_prev: expected a plain")


def test_the_dropout_part_of_a_cache():
    """An integer 0/1 mask is the boolean one; other masks and keep_prob out of (0, 1] are refused by name."""
    A_prev, W, b = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0], [-1.0]]), np.zeros((2, 1))
    Z = np.array([[1.0, -1.0, 2.0], [0.5, 1.0, -3.0]])
    D = np.array([[True, True, False], [False, True, True]])
    dA = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dA_prev, dW, db = ds.linear_activation_backward(dA, ((A_prev, W, b), Z, (D, 0.5)), "relu")
    dZ = np.array([[2.0, 0.0, 0.0], [0.0, 10.0, 0.0]])  # dA * D / 0.5 where Z > 0
    np.testing.assert_array_equal(dW, dZ @ A_prev.T / 3)
    np.testing.assert_array_equal(db, dZ.sum(axis=1, keepdims=True) / 3)
    np.testing.assert_array_equal(dA_prev, W.T @ dZ)
    same = ds.linear_activation_backward(dA, ((A_prev, W, b), Z, (D.astype(np.int64), 0.5)), "relu")
    assert all(np.array_equal(x, y) for x, y in zip(same, (dA_prev, dW, db), strict=True))
    cache = lambda dropout: ((A_prev, W, b), Z, dropout)  # noqa: E731
    assert refusal(ds.linear_activation_backward, dA, cache((2 * D.astype(int), 0.5)), "relu") == \
        "D of cache[2]: expected a dropout mask of 0s and 1s (or booleans)"
    for keep_prob in (0.0, 1.5, math.nan, "0.5", True, 10**400):
        assert refusal(ds.linear_activation_backward, dA, cache((D, keep_prob)), "relu").startswith(
            "keep_prob of cache[2]: expected a finite number with 0 < keep_prob <= 1")
    assert refusal(ds.linear_activation_backward, dA, cache((D[:, :2], 0.5)), "relu").startswith(
        "D of cache[2]: expected the dropout mask of Z's shape (2, 3)")


def test_model_backward_checks_each_cache_by_name():
    AL, caches = ds.model_forward(np.ones((2, 3)), params(), keep_prob=0.5, rng=0)
    Y = np.array([[0, 1, 0]])
    grads = ds.model_backward(AL, Y, caches)
    (A0, W1, b1), Z1, (D1, keep) = caches[0]
    assert D1.dtype == np.bool_ and keep == 0.5
    # the same caches with the mask as 0/1 floats: the same gradients
    same = ds.model_backward(AL, Y, [((A0, W1, b1), Z1, (D1.astype(float), 0.5)), caches[1]])
    assert all(np.array_equal(same[k], grads[k]) for k in grads)
    (A1, W2, b2), Z2 = caches[1]
    wrong_chain = [caches[0], ((np.ones((3, 3)), np.ones((1, 3)), b2), Z2)]
    assert refusal(ds.model_backward, AL, Y, wrong_chain) == \
        "caches[1]: expected A_prev of shape (2, 3) (the shape of Z in caches[0]), got shape (3, 3)"
    assert refusal(ds.model_backward, AL, Y, [((A0, W1, b1), Z1, (D1, 0.0)), caches[1]]).startswith(
        "keep_prob of caches[0][2]: expected")
    assert refusal(ds.model_backward, AL, Y, [caches[0], ((A1, "W", b2), Z2)]).startswith(
        "W of caches[1]: expected a numeric NumPy array")


def test_apply_dropout_of_integers_without_out():
    got = apply_dropout(np.array([[1, 2, 3]]), np.array([[True, False, True]]), 0.5)
    assert got.dtype == np.float64 and np.array_equal(got, [[2.0, 0.0, 6.0]])


def test_nan_in_a_step_function_is_refused_by_name():
    A = np.array([[np.nan, 1.0]])
    assert refusal(ds.linear_forward, A, np.ones((1, 1)), np.zeros((1, 1))) == \
        "linear_forward: expected finite values, got NaN or inf in A_prev"
    assert re.match(r"linear_activation_forward: expected finite values, got NaN or inf in W",
                    refusal(ds.linear_activation_forward, np.ones((1, 2)), np.array([[np.inf]]), np.zeros((1, 1)),
                            "sigmoid"))
