"""Layer kinds: a kind's backward (right under its forward) is checked by centered finite differences in float64,
and the traversals over layers give exactly what the course's step functions give."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN, centered, random_problem
from deepstep.core.activations import get_activation
from deepstep.core.layers import Dense, backward_layers, forward_layers, layers_for


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_dense_layers_backward_is_its_forwards_derivative(hidden, rng):
    """For J = sum(R * A[l]) with fixed random R, dA = R: dW, db, dA_prev of the layer's backward against centered
    differences of its forward, entry by entry (float64)."""
    layer = Dense(get_activation(hidden))
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal((3, 1))}
    A_prev = rng.standard_normal((4, 5))
    A, cache = layer.forward(params, 1, A_prev)
    R = rng.standard_normal(A.shape)
    grads = {}
    dA_prev = layer.backward(R, cache, 1, grads)
    m = A_prev.shape[1]

    def J():
        return float(np.sum(R * layer.forward(params, 1, A_prev)[0]))

    for key, P in [("W1", params["W1"]), ("b1", params["b1"])]:
        # dW = (1/m) dZ A_prev^T: the course's gradients carry 1/m (J here has none)
        np.testing.assert_allclose(grads["d" + key] * m, centered(J, P), rtol=1e-6, atol=1e-8)
        assert grads["d" + key].shape == P.shape
    np.testing.assert_allclose(dA_prev, centered(J, A_prev), rtol=1e-6, atol=1e-8)
    assert dA_prev.shape == A_prev.shape


@pytest.mark.parametrize("hidden", HIDDEN)
def test_the_traversals_over_layers_are_the_course_functions_exactly(hidden, rng):
    dims = [4, 5, 3, 1]
    X, Y, params = random_problem(dims, 6, rng, hidden=hidden)
    AL, caches = ds.model_forward(X, params, hidden, "sigmoid")
    layers = layers_for(get_activation(hidden), get_activation("sigmoid"), 3)
    mine = []
    np.testing.assert_array_equal(forward_layers(X, params, layers, caches=mine), AL)
    grads = ds.model_backward(AL, Y, caches, hidden, "sigmoid", lambd=0.3)
    from deepstep.core.tasks import task_for

    dZL = get_activation("sigmoid").backward(task_for("sigmoid").derivative(AL, Y), mine[-1][1])  # as model_backward
    ours = backward_layers(dZL, mine, layers, lambd=0.3)
    for key in ("dW1", "db1", "dW2", "db2", "dW3", "db3", "dA1", "dA2"):
        np.testing.assert_array_equal(ours[key], grads[key])


def test_an_onnx_network_is_its_layers_forms(tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    net = ds.DeepNetwork([3, 4, 2, 1], "elu", rng=0)
    path = ds.export_onnx(net, tmp_path / "m.onnx")
    X = np.random.default_rng(1).normal(size=(3, 7))
    (P,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": X.T})
    np.testing.assert_allclose(P.T, net.predict_proba(X), rtol=1e-12)
