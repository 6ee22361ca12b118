"""Back-propagation against centered finite differences in float64."""

import dataclasses

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN, random_problem
from deepstep import activations


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradient_check_passes_on_random_networks(depth, hidden, rng):
    dims = [4] + [int(n) for n in rng.integers(2, 5, depth - 1)] + [1]
    X, Y, params = random_problem(dims, 6, rng)
    before = {k: v.copy() for k, v in params.items()}
    overall, per_param = ds.gradient_check_details(params, X, Y, hidden_activation=hidden)
    assert overall < 1e-7
    assert sorted(per_param) == sorted(params)
    for k in params:  # the check works on copies
        np.testing.assert_array_equal(params[k], before[k])


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_gradient_check_passes_with_softmax_output(hidden, rng):
    X, Y, params = random_problem([3, 4, 3], 5, rng)
    assert ds.gradient_check(params, X, Y, hidden, "softmax") < 1e-7


def test_gradient_check_passes_on_float32_parameters(rng):
    X, Y, params = random_problem([3, 4, 1], 5, rng)
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    assert ds.gradient_check(params32, X.astype(np.float32), Y, "tanh") < 1e-7


def test_gradient_check_catches_a_wrong_derivative(rng, monkeypatch):
    X, Y, params = random_problem([3, 4, 1], 5, rng)
    wrong = dataclasses.replace(activations.ACTIVATIONS["tanh"], dg=lambda Z: 1 - np.tanh(Z))  # forgot the square
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", wrong)
    assert ds.gradient_check(params, X, Y, "tanh") > 1e-3
