"""One engine: the fast path (in-place activations, reused buffers) equals the plain one it stands beside.

* every activation's in-place pair gives exactly the values of its g and its backward step;
* the engine's raw gradients are the course functions' (model_forward / model_backward), with L2 and
  dropout (same masks), in float64 and float32;
* an activation's parameter is a number, carried exactly through a model file.
"""

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN, random_problem
from deepstep.activations import ACTIVATIONS, get_activation
from deepstep.engine import Engine

IN_PLACE = [name for name, a in ACTIVATIONS.items() if a.in_place] + ["leaky_relu:0.2", "leaky_relu:0.123456789",
                                                                      "leaky_relu:0", "leaky_relu:1.5"]


def test_every_element_wise_activation_has_an_in_place_pair():
    assert {n for n, a in ACTIVATIONS.items() if a.dg is not None} == {n for n, a in ACTIVATIONS.items() if a.in_place}
    assert not get_activation("leaky_relu:-0.1").in_place  # A no longer tells the sign of Z: trained on kept Z


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", IN_PLACE)
def test_the_in_place_pair_equals_the_plain_functions_exactly(name, dtype, rng):
    g = get_activation(name)
    Z = (rng.standard_normal((6, 50)) * 4).astype(dtype)
    Z[0, :5] = [0.0, -0.0, 1e-30, -1e-30, 40.0]  # the kink, signed zeros, tiny and saturating values
    dA = rng.standard_normal(Z.shape).astype(dtype)
    A_plain, dZ_plain = g.g(Z), g.backward(dA, Z)
    buf, dA_buf = Z.copy(), dA.copy()
    A = g.forward_(buf)
    assert A is buf and A.dtype == dtype
    np.testing.assert_array_equal(A, A_plain)
    dZ = g.backward_(dA_buf, A)
    assert dZ is dA_buf and dZ.dtype == dtype
    np.testing.assert_array_equal(dZ, dZ_plain)


def test_a_leaky_slope_is_a_number_carried_exactly(tmp_path, rng):
    g = get_activation("leaky_relu:0.123456789")
    assert g.params == {"slope": 0.123456789} and g.name == "leaky_relu:0.123456789"
    third = get_activation(f"leaky_relu:{0.1 + 0.2!r}")  # 0.30000000000000004: no rounding in the name
    assert third.params["slope"] == 0.1 + 0.2
    net = ds.DeepNetwork([3, 5, 1], hidden_activation="leaky_relu:0.123456789", rng=1)
    X = rng.standard_normal((3, 40)) * 3
    net.save(tmp_path / "m.npz")
    loaded = ds.load_model(tmp_path / "m.npz")
    assert loaded.hidden.params == {"slope": 0.123456789}
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("l2", "keep_prob"), [(0.0, 1.0), (0.7, 1.0), (0.0, [0.8, 0.6]), (0.3, [0.5, 0.9])],
                         ids=["plain", "l2", "dropout", "l2+dropout"])
@pytest.mark.parametrize(("hidden", "output", "n_out"),
                         [(h, "sigmoid", 1) for h in HIDDEN] + [("tanh", "softmax", 3), ("relu", "softmax", 3)])
def test_engine_gradients_are_the_course_functions_gradients(hidden, output, n_out, l2, keep_prob, dtype, rng):
    dims = [4, 6, 5, n_out]
    X, Y, params = random_problem(dims, 9, rng, hidden, output)
    X, Y = X.astype(dtype), Y.astype(dtype)
    params = {k: (0.5 * v).astype(dtype) for k, v in params.items()}
    # the course functions, masks drawn from a generator in layer order
    AL, caches = ds.model_forward(X, params, hidden, output, keep_prob=keep_prob, rng=np.random.default_rng(3))
    grads = ds.model_backward(AL, Y, caches, hidden, output, lambd=l2)
    # the engine, over its buffers, masks drawn from a generator in the same state
    kp = [keep_prob] * 2 if not isinstance(keep_prob, list) else keep_prob
    engine = Engine(dims, get_activation(hidden), get_activation(output), np.dtype(dtype), kp, l2)
    W = [None] + [params[f"W{l}"] for l in range(1, 4)]
    b = [None] + [params[f"b{l}"] for l in range(1, 4)]
    AL_engine = engine.forward(W, b, X, rng=np.random.default_rng(3))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(AL_engine, AL, rtol=tol, atol=tol)
    engine.backward(Y, W)
    for l in range(1, 4):
        for name, got in ((f"dW{l}", engine.dW[l]), (f"db{l}", engine.db[l])):
            assert got.shape == grads[name].shape and got.dtype == dtype
            np.testing.assert_allclose(got, grads[name], rtol=tol * 10, atol=tol * np.abs(grads[name]).max(),
                                       err_msg=name)


def test_buffers_are_reused_from_batch_to_batch(rng):
    engine = Engine([3, 4, 1], get_activation("tanh"), get_activation("sigmoid"), np.dtype(np.float64), [1.0])
    params = ds.initialize_parameters([3, 4, 1], rng=0)
    W, b = [None, params["W1"], params["W2"]], [None, params["b1"], params["b2"]]
    first = engine.forward(W, b, rng.standard_normal((3, 8)))
    engine.backward(np.ones((1, 8)), W)
    dW1 = engine.dW[1]
    Z1 = engine._buffers[8][1].Z
    engine.forward(W, b, rng.standard_normal((3, 8)))
    engine.backward(np.zeros((1, 8)), W)
    assert engine.dW[1] is dW1 and engine._buffers[8][1].Z is Z1 and first.shape == (1, 8)
