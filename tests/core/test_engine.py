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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weights", [False, True], ids=["", "weights"])
@pytest.mark.parametrize("first", [False, True], ids=["", "gram"])
@pytest.mark.parametrize(("l2", "keep_prob"), [(0.0, 1.0), (0.7, 1.0), (0.0, [0.8, 0.6]), (0.3, [0.5, 0.9])],
                         ids=["plain", "l2", "dropout", "l2+dropout"])
@pytest.mark.parametrize(("hidden", "output", "n_out", "m"),
                         [(h, "sigmoid", 1, 9) for h in IN_PLACE[:6]] + [("tanh", "softmax", 3, 300),
                                                                       ("relu", "linear", 2, 9),
                                                                       ("relu", "sigmoid", 1, 1)])
def test_the_unrolled_dense_passes_equal_the_layer_traversal_bit_for_bit(hidden, output, n_out, m, l2, keep_prob,
                                                                        first, weights, dtype, rng):
    """The unrolled passes of a dense network (``Engine.unrolled``) against each layer's own forward_/backward_,
    over two steps of the same buffers (the second reuses what the first left), with a first-layer strategy (the
    Gram form gives Z[1] and takes dZ[1]), dropout, L2 and example weights."""
    dims = [4, 6, 5, n_out]
    X, Y, params = random_problem(dims, m, rng, "relu", "sigmoid" if output != "softmax" else "softmax")
    if output == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    elif output == "linear":
        Y = rng.standard_normal((n_out, m))
    X, Y = X.astype(dtype), Y.astype(dtype)
    s = rng.random((1, m)).astype(dtype) * 2 if weights else None
    params = {k: (0.5 * v).astype(dtype) for k, v in params.items()}
    W = [None] + [params[f"W{l}"] for l in range(1, 4)]
    b = [None] + [params[f"b{l}"] for l in range(1, 4)]
    kp = [keep_prob] * 2 if not isinstance(keep_prob, list) else keep_prob
    Z1 = (W[1] @ X + b[1]).astype(dtype) * 1.25  # a strategy's Z[1] (not W[1] X + b[1], so that using it shows)
    results = []
    for unrolled in (True, False):
        engine = Engine(dims, get_activation(hidden), get_activation(output), np.dtype(dtype), kp, l2,
                        unrolled=unrolled)
        assert engine.unrolled is unrolled
        gen = np.random.default_rng(3)
        out = []
        for step in range(2):
            Xs = X * (1 + step)
            AL = engine.forward(W, b, Xs, rng=gen, first=(lambda Z: np.copyto(Z, Z1)) if first else None).copy()
            engine.backward(Y, W, skip_first=first, weights=s)
            grads = {k: v.copy() for k, v in engine.grads.items() if not (first and k == "dW1")}
            out.append((AL, grads, engine.dZ1.copy() if first else None))
        results.append(out)
    for (AL_u, g_u, dZ1_u), (AL_t, g_t, dZ1_t) in zip(*results, strict=True):
        np.testing.assert_array_equal(AL_u, AL_t)
        assert set(g_u) == set(g_t)
        for key in g_u:
            assert g_u[key].shape == params[key[1:]].shape and g_u[key].dtype == dtype
            np.testing.assert_array_equal(g_u[key], g_t[key], err_msg=key)
        if first:
            np.testing.assert_array_equal(dZ1_u, dZ1_t)


def test_only_dense_networks_with_an_in_place_activation_are_unrolled():
    f64 = np.dtype(np.float64)
    sig = get_activation("sigmoid")
    assert Engine([3, 4, 1], get_activation("relu"), sig, f64, [1.0]).unrolled
    assert not Engine([3, 4, 1], get_activation("leaky_relu:-0.1"), sig, f64, [1.0]).unrolled
    assert not Engine([3, 4, 4, 1], get_activation("relu"), sig, f64, [1.0, 1.0], batch_norm=[2]).unrolled
    assert not Engine([3, 4, 1], get_activation("relu"), sig, f64, [1.0, 0.5]).unrolled  # dropout on the output
