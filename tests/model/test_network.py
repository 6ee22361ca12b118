"""DeepNetwork: training, the three classic cases, mini-batches, dtypes."""

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN


def separable(rng, m=200):
    """Two Gaussian blobs, linearly separable by construction (x0 + x1 > 0)."""
    X = rng.standard_normal((2, m))
    Y = (X[0] + X[1] > 0).astype(np.int64)[np.newaxis, :]
    X += 0.5 * np.where(Y == 1, 1.0, -1.0)  # push the classes apart along (1, 1)
    return X, Y


def xor(rng, m=200):
    X = rng.uniform(-1, 1, (2, m))
    Y = ((X[0] > 0) ^ (X[1] > 0)).astype(np.int64)[np.newaxis, :]
    return X, Y


def test_logistic_regression_is_the_one_layer_case(rng):
    X, Y = separable(rng)
    net = ds.DeepNetwork([2, 1], init="zeros")
    h = net.fit(X, Y, learning_rate=0.1, num_iterations=300)
    assert h.cost[0] == pytest.approx(np.log(2), rel=1e-15)  # A = 1/2 everywhere at W = 0
    assert h.cost[-1] < h.cost[0]
    assert net.accuracy(X, Y) == 1.0


def test_one_hidden_layer_tanh_learns_xor_where_logistic_regression_cannot(rng):
    X, Y = xor(rng)
    net = ds.DeepNetwork([2, 8, 1], hidden_activation="tanh", rng=0)
    net.fit(X, Y, learning_rate=1.0, num_iterations=2000)
    assert net.accuracy(X, Y) >= 0.95
    lr = ds.DeepNetwork([2, 1], init="zeros")
    lr.fit(X, Y, learning_rate=1.0, num_iterations=2000)
    assert lr.accuracy(X, Y) < 0.75


@pytest.mark.parametrize("hidden", HIDDEN)
def test_deep_network_separates_a_separable_problem(hidden, rng):
    X, Y = separable(rng)
    net = ds.DeepNetwork([2, 6, 5, 4, 1], hidden_activation=hidden, rng=1)
    h = net.fit(X, Y, learning_rate=0.5, num_iterations=600)
    assert len(h.cost) == 600
    assert h.cost[-1] < 0.5 * h.cost[0]
    assert net.accuracy(X, Y) >= 0.98


def test_history_cost_is_cost_before_each_update(rng):
    X, Y = xor(rng, m=30)
    net = ds.DeepNetwork([2, 3, 1], rng=2)
    p0 = {k: v.copy() for k, v in net.parameters.items()}
    h = net.fit(X, Y, learning_rate=0.5, num_iterations=2)
    # iteration 0's cost is J(p0); iteration 1's is J after one manual step
    AL, caches = ds.model_forward(X, p0)
    assert h.cost[0] == pytest.approx(ds.compute_cost(AL, Y), rel=1e-14)
    p1 = ds.update_parameters(p0, ds.model_backward(AL, Y, caches), 0.5)
    assert h.cost[1] == pytest.approx(ds.compute_cost(ds.predict_forward(X, p1), Y), rel=1e-12)


def test_training_matches_the_public_step_functions(rng):
    X, Y = xor(rng, m=40)
    net = ds.DeepNetwork([2, 4, 3, 1], hidden_activation="tanh", rng=5)
    p = {k: v.copy() for k, v in net.parameters.items()}
    net.fit(X, Y, learning_rate=0.2, num_iterations=25)
    for _ in range(25):
        AL, caches = ds.model_forward(X, p, "tanh")
        p = ds.update_parameters(p, ds.model_backward(AL, Y, caches, "tanh"), 0.2)
    for k in p:
        np.testing.assert_allclose(net.parameters[k], p[k], rtol=1e-9, atol=1e-12)


def test_mini_batches_are_epochs_of_shuffled_batches(rng):
    X, Y = separable(rng, m=103)
    net = ds.DeepNetwork([2, 4, 1], rng=np.random.default_rng(3))
    h = net.fit(X, Y, learning_rate=0.1, num_iterations=30, batch_size=16)
    assert len(h.cost) == 30 and h.batch_size == 16
    assert h.cost[-1] < h.cost[0]
    assert net.accuracy(X, Y) >= 0.95
    # same rng seed, same shuffles, same result
    net2 = ds.DeepNetwork([2, 4, 1], rng=np.random.default_rng(3))
    h2 = net2.fit(X, Y, learning_rate=0.1, num_iterations=30, batch_size=16)
    assert h2.cost == h.cost


def test_first_epoch_cost_is_the_mean_over_the_examples_of_the_batch_costs(rng):
    X, Y = separable(rng, m=10)
    net = ds.DeepNetwork([2, 3, 1], rng=np.random.default_rng(9))
    p0 = {k: v.copy() for k, v in net.parameters.items()}
    h = net.fit(X, Y, learning_rate=0.1, num_iterations=1, batch_size=4)
    # replay: the network's generator drew the initial weights, then one permutation
    replay = np.random.default_rng(9)
    ds.initialize_parameters([2, 3, 1], rng=replay)
    perm = replay.permutation(10)
    p, costs = p0, []
    for k in range(0, 10, 4):  # batches of 4, 4 and 2 examples
        idx = perm[k:k + 4]
        AL, caches = ds.model_forward(X[:, idx], p)
        costs.append(ds.compute_cost(AL, Y[:, idx]))
        p = ds.update_parameters(p, ds.model_backward(AL, Y[:, idx], caches), 0.1)
    assert h.cost[0] == pytest.approx((4 * costs[0] + 4 * costs[1] + 2 * costs[2]) / 10, rel=1e-12)


def test_softmax_network_learns_three_blobs(rng):
    centers = np.array([[0.0, 3.0, -3.0], [3.0, -2.0, -2.0]])
    labels = rng.integers(0, 3, 300)
    X = centers[:, labels] + 0.5 * rng.standard_normal((2, 300))
    net = ds.DeepNetwork([2, 8, 3], output_activation="softmax", rng=0)
    net.fit(X, labels[np.newaxis, :], learning_rate=0.5, num_iterations=300)
    assert net.accuracy(X, labels[np.newaxis, :]) > 0.97
    assert net.predict_proba(X).shape == (3, 300)
    np.testing.assert_allclose(net.predict_proba(X).sum(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 8])
def test_float32_stays_float32_end_to_end(batch_size, rng):
    X, Y = xor(rng, m=32)
    net = ds.DeepNetwork([2, 5, 3, 1], rng=0, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in net.parameters.values())
    net.fit(X.astype(np.float32), Y, learning_rate=0.1, num_iterations=5, batch_size=batch_size)
    assert all(v.dtype == np.float32 for v in net.parameters.values())
    assert net.predict_proba(X).dtype == np.float32  # float64 X is cast, not the other way round
    AL, caches = ds.model_forward(X.astype(np.float32), net.parameters)
    assert AL.dtype == np.float32
    assert all(a.dtype == np.float32 for (lin, Z) in caches for a in (*lin, Z))
    grads = ds.model_backward(AL, Y, caches)
    assert all(g.dtype == np.float32 for g in grads.values())
    grads32 = ds.backward.backward_from_dZL(AL - Y.astype(np.float32), caches)
    assert all(g.dtype == np.float32 for g in grads32.values())


def test_float32_and_float64_agree(rng):
    X, Y = xor(rng, m=64)
    nets = [ds.DeepNetwork([2, 5, 1], hidden_activation="tanh", rng=4, dtype=dt) for dt in (np.float32, np.float64)]
    for net in nets:
        net.fit(X, Y, learning_rate=0.5, num_iterations=50)
    np.testing.assert_allclose(nets[0].history.cost, nets[1].history.cost, rtol=1e-4)


def test_fit_continues_and_history_accumulates(rng):
    X, Y = separable(rng)
    net = ds.DeepNetwork([2, 3, 1], rng=0)
    net.fit(X, Y, learning_rate=0.1, num_iterations=5)
    h = net.fit(X, Y, learning_rate=0.1, num_iterations=7)
    assert len(h) == 7 and len(net.history.cost) == 12


def test_callback_sees_every_iteration(rng):
    X, Y = separable(rng, m=20)
    seen = []
    ds.DeepNetwork([2, 1], init="zeros").fit(X, Y, 0.1, 4, callbacks=[lambda i, logs: seen.append((i, logs["cost"]))])
    assert [i for i, _ in seen] == [0, 1, 2, 3]


def test_divergence_is_an_error_not_a_silent_nan(rng):
    X, Y = separable(rng)
    net = ds.DeepNetwork([2, 20, 1], rng=0)
    net.fit(X, Y, learning_rate=0.1, num_iterations=3)
    with pytest.raises(ds.TrainingDiverged, match=r"diverged at iteration \d+ .*smaller learning rate than 1e\+30"):
        net.fit(X * 1e10, Y, learning_rate=1e30, num_iterations=50)
    # put back to a sound state: finite parameters, and a history that ends where they were
    assert all(np.isfinite(v).all() for v in net.parameters.values())
    assert 3 <= len(net.history.cost) < 53 and all(np.isfinite(net.history.cost))


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_divergence_puts_back_the_parameters_of_the_last_finite_epoch(optimizer, batch_size):
    gen = np.random.default_rng(12345)
    X = gen.standard_normal((2, 64))
    Y = (X[:1] > 0).astype(np.float64)
    lr = 1e200 if optimizer == "adam" else 1e30  # the cost or the parameters stop being finite within a few epochs
    net = ds.DeepNetwork([2, 16, 16, 1], rng=3)
    with pytest.raises(ds.TrainingDiverged) as caught:
        net.fit(X * 1e10, Y, learning_rate=lr, num_iterations=200, batch_size=batch_size, optimizer=optimizer)
    k = len(net.history.cost)
    assert k == len(caught.value.history.cost) < 200
    assert f"put back to those before iteration {k}" in str(caught.value)
    # the parameters put back are exactly those an unbroken run has after those k epochs
    ref = ds.DeepNetwork([2, 16, 16, 1], rng=3)
    if k:
        h = ref.fit(X * 1e10, Y, learning_rate=lr, num_iterations=k, batch_size=batch_size, optimizer=optimizer)
        assert h.cost == net.history.cost
    for key, P in net.parameters.items():
        np.testing.assert_array_equal(P, ref.parameters[key])


def test_predict_is_thresholded_at_one_half():
    net = ds.DeepNetwork([1, 1], init="zeros")
    net.parameters["W1"][:] = 1.0
    X = np.array([[-1.0, -1e-9, 0.0, 1e-9, 2.0]])
    np.testing.assert_array_equal(net.predict(X), [[0, 0, 0, 1, 1]])
    assert net.predict(X).shape == (1, 5)


def replay(X, Y, parameters, hidden, output, learning_rate, epochs, batch_size=None, rng=None):
    """Train with the public step functions only; returns (costs, parameters)."""
    m = X.shape[1]
    p, costs = {k: v.copy() for k, v in parameters.items()}, []
    for _ in range(epochs):
        if batch_size is None:
            batches = [np.arange(m)]
        else:
            perm = rng.permutation(m)
            batches = [perm[k:k + batch_size] for k in range(0, m, batch_size)]
        total = 0.0
        for idx in batches:
            AL, caches = ds.model_forward(X[:, idx], p, hidden, output)
            total += ds.compute_cost(AL, Y[:, idx]) * idx.size  # the course's cost_total, then / m
            p = ds.update_parameters(p, ds.model_backward(AL, Y[:, idx], caches, hidden, output), learning_rate)
        costs.append(total / m)
    return costs, p


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("hidden", [*HIDDEN, "leaky_relu:0.123456789", "leaky_relu:1.5", "leaky_relu:-0.1"])
def test_training_matches_the_public_step_functions_for_every_activation(hidden, output, rng):
    X, Y = xor(rng, m=40)
    if output == "softmax":
        Y = np.eye(2)[:, Y[0]]
    net = ds.DeepNetwork([2, 5, 4, Y.shape[0]], hidden_activation=hidden, output_activation=output, rng=5)
    costs, p = replay(X, Y, net.parameters, hidden, output, 0.2, epochs=20)
    h = net.fit(X, Y, learning_rate=0.2, num_iterations=20, method="plain")
    np.testing.assert_allclose(h.cost, costs, rtol=1e-12)
    for k in p:
        np.testing.assert_allclose(net.parameters[k], p[k], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("hidden", "output", "n_out"), [("relu", "softmax", 3), ("tanh", "sigmoid", 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mini_batch_training_matches_the_public_step_functions(hidden, output, n_out, dtype, rng):
    m = 53  # the last batch of each epoch is a short one
    X = rng.standard_normal((6, m))
    Y = np.eye(3)[:, rng.integers(0, 3, m)] if n_out == 3 else (X[:1] * X[1:2] > 0).astype(np.float64)
    net = ds.DeepNetwork([6, 7, 5, n_out], hidden, output, rng=np.random.default_rng(4), dtype=dtype)
    replay_rng = np.random.default_rng(4)
    ds.initialize_parameters([6, 7, 5, n_out], rng=replay_rng, dtype=dtype)  # the draws the network made
    X, Y = X.astype(dtype), Y.astype(dtype)
    costs, p = replay(X, Y, net.parameters, hidden, output, 0.1, epochs=6, batch_size=16, rng=replay_rng)
    h = net.fit(X, Y, learning_rate=0.1, num_iterations=6, batch_size=16)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(h.cost, costs, rtol=rtol)
    for k in p:
        assert net.parameters[k].dtype == dtype
        np.testing.assert_allclose(net.parameters[k], p[k], rtol=rtol, atol=rtol * np.abs(p[k]).max())


@pytest.mark.parametrize("batch_size", [None, 8])
def test_fit_updates_the_parameter_arrays_in_place(batch_size, rng):
    X, Y = separable(rng, m=40)
    net = ds.DeepNetwork([2, 4, 3, 1], rng=1)
    arrays = dict(net.parameters)
    before = {k: v.copy() for k, v in arrays.items()}
    net.fit(X, Y, learning_rate=0.1, num_iterations=3, batch_size=batch_size)
    for k, v in arrays.items():
        assert net.parameters[k] is v and v.flags.c_contiguous
        assert not np.array_equal(v, before[k])


def test_callback_sees_the_parameters_after_each_epoch(rng):
    X, Y = separable(rng, m=40)
    seen = []
    net = ds.DeepNetwork([2, 4, 1], rng=np.random.default_rng(2))

    def callback(i, logs):
        seen.append({k: v.copy() for k, v in net.parameters.items()})

    net.fit(X, Y, 0.1, 3, batch_size=8, callbacks=[callback])
    for epochs in (1, 2, 3):
        ref = ds.DeepNetwork([2, 4, 1], rng=np.random.default_rng(2))
        ref.fit(X, Y, 0.1, epochs, batch_size=8)
        for k, v in ref.parameters.items():
            np.testing.assert_array_equal(seen[epochs - 1][k], v)


def test_the_example_script_runs_and_shows_what_a_hidden_layer_buys():
    """examples/demo.py: XOR, which no straight line separates (logistic regression at most 3/4 right)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    accuracy = [float(line.rsplit(" ", 1)[1].rstrip("%")) for line in out.strip().splitlines()]
    assert len(accuracy) == 3 and accuracy[0] <= 75 and min(accuracy[1:]) >= 95
