"""The forward step, the backward step and the cost against values worked out independently."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepstep as ds
from conftest import HIDDEN, random_problem


def course_case(seed, *shapes):
    rng = np.random.RandomState(seed)
    return [rng.randn(*s) for s in shapes]


def test_linear_forward_published_figure():
    # Course 1, week 4 "linear_forward_test_case": seed 1, A (3, 2), W (1, 3), b (1, 1)
    A, W, b = course_case(1, (3, 2), (1, 3), (1, 1))
    Z, cache = ds.linear_forward(A, W, b)
    np.testing.assert_allclose(Z, [[3.26295337, -1.23429987]], atol=5e-9)
    assert cache[0] is A and cache[1] is W and cache[2] is b


def test_linear_activation_forward_published_figures():
    # Course 1, week 4 "linear_activation_forward_test_case": seed 2
    A_prev, W, b = course_case(2, (3, 2), (1, 3), (1, 1))
    A, ((A_c, W_c, b_c), Z) = ds.linear_activation_forward(A_prev, W, b, "sigmoid")
    np.testing.assert_allclose(A, [[0.96890023, 0.11013289]], atol=5e-9)
    np.testing.assert_array_equal(Z, W @ A_prev + b)
    A, _ = ds.linear_activation_forward(A_prev, W, b, "relu")
    np.testing.assert_allclose(A, [[3.43896131, 0.0]], atol=5e-9)


def test_forward_by_hand():
    # Z = [[1*1 + 2*2 + 0.5], [-1*1 + 0*2 - 1]] = [[5.5], [-2]]
    A_prev = np.array([[1.0], [2.0]])
    W = np.array([[1.0, 2.0], [-1.0, 0.0]])
    b = np.array([[0.5], [-1.0]])
    A, (_, Z) = ds.linear_activation_forward(A_prev, W, b, "relu")
    np.testing.assert_array_equal(Z, [[5.5], [-2.0]])
    np.testing.assert_array_equal(A, [[5.5], [0.0]])


def test_cost_published_and_by_hand():
    # Course figure: cost = 0.2797765635793422 for AL = [[.8, .9, .4]], Y = [[1, 1, 0]]
    AL, Y = np.array([[0.8, 0.9, 0.4]]), np.array([[1, 1, 0]])
    assert ds.compute_cost(AL, Y) == pytest.approx(0.2797765635793422, rel=1e-14)
    assert ds.compute_cost(AL, Y) == pytest.approx(-(np.log(0.8) + np.log(0.9) + np.log(0.6)) / 3, rel=1e-14)
    # categorical: -(1/2)(log 0.7 + log 0.5)
    AL3 = np.array([[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]])
    Y3 = np.array([[1, 0], [0, 1], [0, 0]])
    assert ds.compute_cost(AL3, Y3) == pytest.approx(-(np.log(0.7) + np.log(0.5)) / 2, rel=1e-14)


def test_cost_is_finite_when_saturated():
    AL, Y = np.array([[1.0, 0.0, 1.0]]), np.array([[1, 0, 0]])
    J = ds.compute_cost(AL, Y)
    assert np.isfinite(J) and J > 10


def test_linear_backward_by_hand():
    # dZ = [[1, 3]], A_prev = [[1, 2]], W = [[0.5]], m = 2:
    # dW = (1*1 + 3*2)/2 = 3.5, db = (1+3)/2 = 2, dA_prev = 0.5 * dZ
    cache = (np.array([[1.0, 2.0]]), np.array([[0.5]]), np.zeros((1, 1)))
    dA_prev, dW, db = ds.linear_backward(np.array([[1.0, 3.0]]), cache)
    np.testing.assert_array_equal(dW, [[3.5]])
    np.testing.assert_array_equal(db, [[2.0]])
    np.testing.assert_array_equal(dA_prev, [[0.5, 1.5]])


def test_linear_backward_matches_loops_over_examples(rng):
    dZ, A_prev = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    W, b = rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
    dA_prev, dW, db = ds.linear_backward(dZ, (A_prev, W, b))
    m = 4
    dW_ref = sum(np.outer(dZ[:, j], A_prev[:, j]) for j in range(m)) / m
    db_ref = sum(dZ[:, [j]] for j in range(m)) / m
    dA_ref = np.stack([W.T @ dZ[:, j] for j in range(m)], axis=1)
    np.testing.assert_allclose(dW, dW_ref, rtol=1e-13)
    np.testing.assert_allclose(db, db_ref, rtol=1e-13)
    np.testing.assert_allclose(dA_prev, dA_ref, rtol=1e-13)


@pytest.mark.parametrize("activation", HIDDEN + ["sigmoid"])
def test_linear_activation_backward_is_chain_rule(activation, rng):
    A_prev, W, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 3)), rng.standard_normal((2, 1))
    dA = rng.standard_normal((2, 4))
    _, cache = ds.linear_activation_forward(A_prev, W, b, activation)
    dA_prev, dW, db = ds.linear_activation_backward(dA, cache, activation)
    # d/dW of sum(dA * g(W A_prev + b)) / m by centered differences
    eps = 1e-6
    g = ds.get_activation(activation).g
    approx = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[i] += eps
        Wm[i] -= eps
        approx[i] = (np.sum(dA * g(Wp @ A_prev + b)) - np.sum(dA * g(Wm @ A_prev + b))) / (2 * eps * 4)
    np.testing.assert_allclose(dW, approx, rtol=1e-6, atol=1e-10)


def test_model_backward_on_hand_built_caches():
    # One sigmoid unit: Z = w x + b with w = 0.5, b = 0, x = [2, -2], Y = [1, 0]
    A_prev, W, b = np.array([[2.0, -2.0]]), np.array([[0.5]]), np.array([[0.0]])
    Z = W @ A_prev + b
    AL = 1 / (1 + np.exp(-Z))
    caches = [((A_prev, W, b), Z)]
    grads = ds.model_backward(AL, np.array([[1.0, 0.0]]), caches, output_activation="sigmoid")
    # dZ = AL - Y = [s(1) - 1, s(-1)] = [-s(-1), s(-1)];  dW = (1/2)(-s(-1)*2 + s(-1)*(-2)) = -2 s(-1)
    s = 1 / (1 + np.exp(1.0))
    np.testing.assert_allclose(grads["dW1"], [[-2 * s]], rtol=1e-12)
    np.testing.assert_allclose(grads["db1"], [[0.0]], atol=1e-15)
    np.testing.assert_allclose(grads["dA0"], 0.5 * np.array([[-s, s]]), rtol=1e-12)
    assert sorted(grads) == ["dA0", "dW1", "db1"]


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_model_backward_equals_the_combined_output_step(hidden, rng):
    X, Y, params = random_problem([4, 3, 2, 1], 6, rng)
    AL, caches = ds.model_forward(X, params, hidden)
    grads = ds.model_backward(AL, Y, caches, hidden)
    fused = ds.backward.backward_from_dZL(AL - Y, caches, hidden)
    for key in fused:
        np.testing.assert_allclose(grads[key], fused[key], rtol=1e-10, atol=1e-14)


def test_model_forward_caches_and_prediction_path(rng):
    X, Y, params = random_problem([4, 3, 2, 1], 5, rng)
    AL, caches = ds.model_forward(X, params, "relu")
    assert len(caches) == 3
    (A0, W1, b1), Z1 = caches[0]
    assert A0 is X and W1 is params["W1"] and b1 is params["b1"]
    np.testing.assert_array_equal(Z1, params["W1"] @ X + params["b1"])
    np.testing.assert_array_equal(caches[1][0][0], np.maximum(Z1, 0))
    np.testing.assert_array_equal(ds.predict_forward(X, params, "relu"), AL)


layer_dims = st.lists(st.integers(1, 6), min_size=2, max_size=6)


@settings(max_examples=40, deadline=None)
@given(dims=layer_dims, m=st.integers(1, 7), hidden=st.sampled_from(HIDDEN), seed=st.integers(0, 2**32 - 1))
def test_every_gradient_has_its_parameters_shape(dims, m, hidden, seed):
    dims[-1] = 1
    rng = np.random.default_rng(seed)
    X, Y, params = random_problem(dims, m, rng)
    AL, caches = ds.model_forward(X, params, hidden)
    assert AL.shape == (1, m)
    grads = ds.model_backward(AL, Y, caches, hidden)
    L = len(dims) - 1
    assert sorted(grads) == sorted([f"dW{l}" for l in range(1, L + 1)] + [f"db{l}" for l in range(1, L + 1)]
                                   + [f"dA{l}" for l in range(L)])
    for l in range(1, L + 1):
        assert grads[f"dW{l}"].shape == params[f"W{l}"].shape
        assert grads[f"db{l}"].shape == params[f"b{l}"].shape
        assert grads[f"dA{l - 1}"].shape == caches[l - 1][0][0].shape


def test_update_parameters_by_hand_and_pure():
    p = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[0.5]])}
    g = {"dW1": np.array([[0.5, -1.0]]), "db1": np.array([[1.0]])}
    new = ds.update_parameters(p, g, 0.1)
    np.testing.assert_allclose(new["W1"], [[0.95, 2.1]], rtol=1e-15)
    np.testing.assert_allclose(new["b1"], [[0.4]], rtol=1e-15)
    np.testing.assert_array_equal(p["W1"], [[1.0, 2.0]])  # inputs untouched
    with pytest.raises(ds.DeepstepError, match="learning_rate"):
        ds.update_parameters(p, g, -0.1)
    with pytest.raises(ds.DeepstepError, match="dW1"):
        ds.update_parameters(p, {"dW1": np.zeros((2, 1)), "db1": g["db1"]}, 0.1)


def test_model_backward_starts_from_dAL_of_the_cost():
    # A hand-built cache whose AL is not sigmoid(Z), so that dA[L] * g'(Z) and AL - Y differ.
    # Z = [[0, 0]] (g'(0) = 1/4), AL = [[0.8, 0.25]], Y = [[1, 0]], A_prev = [[1, 2]], W = [[0.5]], m = 2:
    # dA[L] = -(Y/AL - (1-Y)/(1-AL)) = [[-1.25, 4/3]];  dZ = dA[L] / 4 = [[-0.3125, 1/3]]
    # dW = (1/2)(-0.3125*1 + (1/3)*2) = 17/96;  db = (1/2)(-0.3125 + 1/3) = 1/96;  dA0 = 0.5 dZ
    caches = [((np.array([[1.0, 2.0]]), np.array([[0.5]]), np.zeros((1, 1))), np.zeros((1, 2)))]
    grads = ds.model_backward(np.array([[0.8, 0.25]]), np.array([[1.0, 0.0]]), caches)
    np.testing.assert_allclose(grads["dW1"], [[17 / 96]], rtol=1e-14)
    np.testing.assert_allclose(grads["db1"], [[1 / 96]], rtol=1e-12)
    np.testing.assert_allclose(grads["dA0"], [[-0.15625, 1 / 6]], rtol=1e-14)


def test_linear_activation_backward_by_hand():
    # A_prev = [[0, 1]] (m = 2), W = [[ln 3 / 2]], b = [[0]]: Z = [[0, ln 3 / 2]], and
    # tanh(ln 3 / 2) = (3 - 1)/(3 + 1) = 1/2, so g'(Z) = [[1, 1 - 1/4]] = [[1, 3/4]].
    # dA = [[2, 4]] -> dZ = dA * g'(Z) = [[2, 3]]
    A_prev, W, b = np.array([[0.0, 1.0]]), np.array([[np.log(3) / 2]]), np.zeros((1, 1))
    _, cache = ds.linear_activation_forward(A_prev, W, b, "tanh")
    dA_prev, dW, db = ds.linear_activation_backward(np.array([[2.0, 4.0]]), cache, "tanh")
    # dW = (1/2)(2*0 + 3*1) = 1.5;  db = (1/2)(2 + 3) = 2.5;  dA_prev = W dZ = [[ln3, 1.5 ln3]]
    np.testing.assert_allclose(dW, [[1.5]], rtol=1e-14)
    np.testing.assert_allclose(db, [[2.5]], rtol=1e-14)
    np.testing.assert_allclose(dA_prev, [[np.log(3), 1.5 * np.log(3)]], rtol=1e-14)


def test_model_forward_by_hand():
    # relu then sigmoid: X = [[1, -1]]; W1 = [[2], [-1]], b1 = [[0], [0]] -> Z1 = [[2, -2], [-1, 1]],
    # A1 = [[2, 0], [0, 1]]; W2 = [[1, 1]], b2 = [[-1]] -> Z2 = [[1, 0]], AL = [[s(1), 1/2]]
    params = {"W1": np.array([[2.0], [-1.0]]), "b1": np.zeros((2, 1)), "W2": np.array([[1.0, 1.0]]),
              "b2": np.array([[-1.0]])}
    AL, caches = ds.model_forward(np.array([[1.0, -1.0]]), params)
    np.testing.assert_allclose(AL, [[1 / (1 + np.exp(-1.0)), 0.5]], rtol=1e-15)
    np.testing.assert_array_equal(caches[0][1], [[2.0, -2.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(caches[1][0][0], [[2.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(caches[1][1], [[1.0, 0.0]])
