import math

import numpy as np
import pytest

import deepstep as ds


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("init", ["small", "xavier", "he", "auto"])
def test_shapes_dtypes_and_zero_biases(init, dtype):
    p = ds.initialize_parameters([5, 4, 3, 1], init=init, rng=0, dtype=dtype)
    assert sorted(p) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert p["W1"].shape == (4, 5) and p["W2"].shape == (3, 4) and p["W3"].shape == (1, 3)
    assert p["b1"].shape == (4, 1) and p["b3"].shape == (1, 1)
    assert all(a.dtype == dtype for a in p.values())
    assert all(not p[f"b{l}"].any() for l in (1, 2, 3))
    assert all(p[f"W{l}"].any() for l in (1, 2, 3))


@pytest.mark.parametrize(
    "init, scale",
    [("small", lambda n: 0.01), ("xavier", lambda n: 1 / math.sqrt(n)), ("he", lambda n: math.sqrt(2 / n))],
)
def test_draws_are_standard_normal_in_layer_order_then_scaled(init, scale):
    dims = [6, 5, 2]
    p = ds.initialize_parameters(dims, init=init, rng=np.random.default_rng(7))
    ref = np.random.default_rng(7)
    for l in (1, 2):
        N = ref.standard_normal((dims[l], dims[l - 1]))
        np.testing.assert_allclose(p[f"W{l}"], N * scale(dims[l - 1]), rtol=1e-15)


def test_int_seed_and_randomstate_reproduce_course_draws():
    # the course: np.random.seed(1); W1 = np.random.randn(4, 3) * 0.01; W2 = np.random.randn(1, 4) * 0.01
    legacy = np.random.RandomState(1)
    W1, W2 = legacy.randn(4, 3) * 0.01, legacy.randn(1, 4) * 0.01
    for rng in (1, np.random.RandomState(1)):
        p = ds.initialize_parameters([3, 4, 1], init="small", rng=rng)
        np.testing.assert_array_equal(p["W1"], W1)
        np.testing.assert_array_equal(p["W2"], W2)
    # a published figure of that draw: W1[0, 0] = 0.01624345
    assert round(float(W1[0, 0]), 8) == 0.01624345


def test_auto_is_he_for_relu_family_and_xavier_otherwise():
    for hidden, expected in [("relu", "he"), ("leaky_relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier")]:
        a = ds.initialize_parameters([8, 3, 1], init="auto", rng=3, hidden_activation=hidden)
        b = ds.initialize_parameters([8, 3, 1], init=expected, rng=3)
        np.testing.assert_array_equal(a["W1"], b["W1"])


def test_zeros_allowed_for_logistic_regression_only():
    p = ds.initialize_parameters([4, 1], init="zeros")
    assert not p["W1"].any() and p["W1"].shape == (1, 4)
    with pytest.raises(ds.DeepstepError, match="symmetry"):
        ds.initialize_parameters([4, 3, 1], init="zeros")


def test_nothing_global_is_touched():
    np.random.seed(123)  # noqa: NPY002 -- the global state is what this test watches
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    ds.initialize_parameters([5, 3, 1], rng=4)
    ds.initialize_parameters([5, 3, 1])
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer_dims": [3]}, "layer_dims"),
        ({"layer_dims": [3, 0, 1]}, "layer_dims"),
        ({"layer_dims": [3, -2, 1]}, "layer_dims"),
        ({"layer_dims": [3, 2.5, 1]}, "layer_dims"),
        ({"layer_dims": [3, True, 1]}, "layer_dims"),
        ({"layer_dims": 5}, "layer_dims"),
        ({"layer_dims": [3, 1], "init": "glorot"}, "init"),
        ({"layer_dims": [3, 1], "dtype": np.int32}, "dtype"),
        ({"layer_dims": [3, 1], "rng": "seed"}, "rng"),
        ({"layer_dims": [3, 1], "rng": -1}, "rng"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ds.DeepstepError, match=match):
        ds.initialize_parameters(**kwargs)
