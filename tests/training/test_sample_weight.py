"""Weights per example in the engine's cost and gradient: integer weights are repeated rows (full batch, plain and
Gram paths, L2 included), the gradient is that of the weighted cost by centered finite differences, weight 0 is
leaving the example out, and bad weights are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds


def targets(output, rng, m):
    if output == "sigmoid":
        return (rng.random((1, m)) < 0.5).astype(int)
    if output == "softmax":
        return np.eye(3)[:, rng.integers(0, 3, m)]
    return rng.standard_normal((2, m))


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
@pytest.mark.parametrize(("n0", "method"), [(3, "plain"), (30, "gram")])  # 30 features, 12 examples: Gram pays
def test_integer_weights_are_repeated_rows(output, n0, method, rng):
    m = 12
    X, Y = rng.standard_normal((n0, m)), targets(output, rng, m)
    w = rng.integers(0, 4, m)
    w[:2] = (2, 3)
    rows = np.repeat(np.arange(m), w)
    n = Y.shape[0]
    weighted = ds.DeepNetwork([n0, 5, n], "tanh", output, rng=1)
    repeated = ds.DeepNetwork([n0, 5, n], "tanh", output, rng=1)
    weighted.fit(X, Y, 0.1, 8, sample_weight=w, l2=0.3, optimizer="momentum", method=method)
    repeated.fit(X[:, rows], Y[:, rows], 0.1, 8, l2=0.3, optimizer="momentum", method="plain")
    assert weighted.history.method == method
    np.testing.assert_allclose(weighted.history.cost, repeated.history.cost, rtol=1e-12)
    for key, P in repeated.parameters.items():
        np.testing.assert_allclose(weighted.parameters[key], P, rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_the_gradient_is_the_weighted_costs_by_finite_differences(output, rng):
    """One gradient-descent step with learning rate 1 moves each parameter by its gradient; that gradient is held to
    centered differences of J_w = (1/sum w) sum_j w_j L_j + (lambda / 2 sum w) sum ||W||^2, computed here on its own
    (the course's forward pass and the cost written out)."""
    m, lambd = 7, 0.4
    X, Y = rng.standard_normal((3, m)), targets(output, rng, m)
    w = rng.random(m) * 3
    net = ds.DeepNetwork([3, 4, Y.shape[0]], "tanh", output, rng=2)
    before = {k: np.array(v) for k, v in net.parameters.items()}

    def J(params):
        AL, _ = ds.model_forward(X, params, "tanh", output)
        if output == "sigmoid":
            losses = -(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))[0]
        elif output == "softmax":
            losses = -(Y * np.log(AL)).sum(axis=0)
        else:
            losses = 0.5 * ((AL - Y) ** 2).sum(axis=0)
        penalty = sum(np.sum(params[k] ** 2) for k in params if k[0] == "W")
        return np.dot(w, losses) / w.sum() + lambd / (2 * w.sum()) * penalty

    net.fit(X, Y, 1.0, 1, sample_weight=w, l2=lambd)
    for key, P in before.items():
        grad = P - net.parameters[key]  # W := W - 1.0 dW
        approx = np.zeros_like(P)
        for i in np.ndindex(P.shape):
            plus, minus = dict(before), dict(before)
            plus[key], minus[key] = P.copy(), P.copy()
            plus[key][i] += 1e-6
            minus[key][i] -= 1e-6
            approx[i] = (J(plus) - J(minus)) / 2e-6
        error = np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))
        assert error < 1e-7, (key, error)


def test_weight_zero_leaves_the_example_out_and_equal_weights_change_nothing(rng):
    X, Y = rng.standard_normal((2, 40)), (rng.random((1, 40)) < 0.5).astype(int)
    w = np.ones(40)
    w[::3] = 0
    a, b = ds.DeepNetwork([2, 4, 1], rng=1), ds.DeepNetwork([2, 4, 1], rng=1)
    a.fit(X, Y, 0.5, 20, sample_weight=w, l2=0.2)
    b.fit(X[:, w > 0], Y[:, w > 0], 0.5, 20, l2=0.2)
    np.testing.assert_allclose(a.parameters["W1"], b.parameters["W1"], rtol=1e-12)
    c, d = ds.DeepNetwork([2, 4, 1], rng=1), ds.DeepNetwork([2, 4, 1], rng=1)  # mini-batches: each batch's own mean
    c.fit(X, Y, 0.1, 3, batch_size=16, optimizer="adam", sample_weight=np.full(40, 2.5))
    d.fit(X, Y, 0.1, 3, batch_size=16, optimizer="adam")
    np.testing.assert_allclose(c.parameters["W1"], d.parameters["W1"], rtol=1e-12)


@pytest.mark.parametrize("weights", [np.ones(5), -np.ones(10), np.full(10, np.nan), np.zeros(10), "heavy",
                                     np.ones((2, 10))])
def test_bad_weights_are_refused_by_name_and_nothing_changes(weights, rng):
    X, Y = rng.standard_normal((2, 10)), (rng.random((1, 10)) < 0.5).astype(int)
    net = ds.DeepNetwork([2, 3, 1], rng=1)
    before = {k: np.array(v) for k, v in net.parameters.items()}
    with pytest.raises(ds.DeepstepError, match=r"^sample_weight: "):
        net.fit(X, Y, 0.1, 2, sample_weight=weights)
    assert all(np.array_equal(net.parameters[k], v) for k, v in before.items()) and len(net.history) == 0
