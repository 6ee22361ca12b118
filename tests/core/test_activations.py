"""Every registry entry: its derivative against centered differences, dtypes, stability."""

import warnings

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN
from deepstep.activations import get_activation, softmax, softmax_vjp


@pytest.mark.parametrize("name", HIDDEN)
def test_derivative_matches_centered_differences(name, rng):
    act = get_activation(name)
    Z = rng.uniform(-4, 4, size=(5, 7))
    Z[np.abs(Z) < 1e-3] = 0.5  # keep away from the kink of relu-like functions
    eps = 1e-6
    approx = (act.g(Z + eps) - act.g(Z - eps)) / (2 * eps)
    np.testing.assert_allclose(act.dg(Z), approx, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(act.backward(np.ones_like(Z), Z), act.dg(Z))


@pytest.mark.parametrize("name", [*HIDDEN, "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_dtype_and_shape(name, dtype, rng):
    act = get_activation(name)
    Z = rng.standard_normal((4, 6)).astype(dtype)
    assert act.g(Z).dtype == dtype and act.g(Z).shape == Z.shape
    dZ = act.backward(np.ones_like(Z), Z)
    assert dZ.dtype == dtype and dZ.shape == Z.shape


@pytest.mark.parametrize("name", [*HIDDEN, "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_overflow_or_warning_for_large_inputs(name, dtype):
    act = get_activation(name)
    Z = np.array([[-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4]], dtype=dtype).repeat(2, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = act.g(Z)
        dZ = act.backward(np.ones_like(Z), Z)
    assert np.isfinite(A).all() and np.isfinite(dZ).all()


def test_known_values():
    Z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(ds.activations.sigmoid(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)
    assert ds.activations.sigmoid(np.array([[0.0]]))[0, 0] == 0.5
    assert ds.activations.sigmoid(np.array([[1e4]]))[0, 0] == 1.0
    assert ds.activations.sigmoid(np.array([[-1e4]]))[0, 0] == 0.0
    # far in the left tail the value keeps full relative precision: e^-40 / (1 + e^-40)
    np.testing.assert_allclose(ds.activations.sigmoid(np.array([[-40.0]])), [[4.248354255291589e-18]], rtol=1e-14)
    np.testing.assert_array_equal(get_activation("relu").g(Z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(get_activation("leaky_relu").g(Z), [[-0.02, 0.0, 3.0]])
    np.testing.assert_array_equal(get_activation("leaky_relu:0.5").g(Z), [[-1.0, 0.0, 3.0]])
    np.testing.assert_array_equal(get_activation("leaky_relu:0.5").dg(Z), [[0.5, 0.5, 1.0]])
    np.testing.assert_allclose(get_activation("tanh").dg(np.array([[0.0]])), [[1.0]])
    np.testing.assert_allclose(softmax(np.array([[0.0], [np.log(3.0)]])), [[0.25], [0.75]], rtol=1e-15)


def test_softmax_vjp_matches_centered_differences(rng):
    Z, dA = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    eps = 1e-6
    approx = np.zeros_like(Z)
    for i in np.ndindex(Z.shape):  # d/dZ_i of sum(dA * softmax(Z))
        Zp, Zm = Z.copy(), Z.copy()
        Zp[i] += eps
        Zm[i] -= eps
        approx[i] = (np.sum(dA * softmax(Zp)) - np.sum(dA * softmax(Zm))) / (2 * eps)
    np.testing.assert_allclose(softmax_vjp(dA, Z), approx, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("bad", ["swish", "leaky_relu:abc", "leaky_relu:nan", 3, None])
def test_unknown_activation_is_a_clear_error(bad):
    with pytest.raises(ds.DeepstepError, match="activation"):
        get_activation(bad)


def test_elu_by_hand():
    """ELU(Z) = Z for Z > 0, e^Z - 1 otherwise; ELU'(Z) = 1 or e^Z (values from math.exp)."""
    import math

    Z = np.array([[-1.0, -1e-9, 0.0, 2.0, -800.0]])
    elu = get_activation("elu")
    np.testing.assert_allclose(elu.g(Z), [[math.exp(-1) - 1, -1e-9 + 5e-19, 0.0, 2.0, -1.0]], rtol=1e-15)
    np.testing.assert_allclose(elu.dg(Z), [[math.exp(-1), math.exp(-1e-9), 1.0, 1.0, 0.0]], rtol=1e-15)
    assert elu.equation("Z[1]") == ("elu(Z[1])", "elu(Z[1])") and elu.init == "he"
