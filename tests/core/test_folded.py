"""The folded step (deepstep.core.folded): held to the engine's Gram path and to centered finite differences."""

import numpy as np
import pytest

import deepstep as ds
from deepstep.core import folded
from deepstep.core.activations import get_activation
from deepstep.core.cost import compute_cost
from deepstep.core.engine import forward_no_cache
from deepstep.core.optimizers import GradientDescent, Momentum

N0, M = 30, 12  # fewer examples than features: the Gram form's case

CASES = [
    (dims, hidden, output)
    for output, n_out in (("sigmoid", 1), ("softmax", 3), ("linear", 2))
    for dims in ([N0, 5, n_out], [N0, 6, 5, 4, n_out])
    for hidden in ("relu", "tanh", "leaky_relu", "sigmoid", "elu", "linear")
]


def problem(rng, n_out):
    X = rng.standard_normal((N0, M))
    labels = rng.integers(0, max(n_out, 2), M)
    return X, labels


def targets(output, n_out, labels, rng):
    if output == "linear":
        return rng.standard_normal((n_out, M))
    return labels[np.newaxis, :] if n_out == 1 else np.eye(n_out)[:, labels]


def run(dims, hidden, output, X, Y, monkeypatch, fold, iterations=60, dtype=np.float64, lr=0.05, batch_size=None):
    """fit by the folded step (``fold``) or by the engine (the Gram form's first layer, or with ``batch_size`` a plain
    one); returns (network, history, folded steps)."""
    steps = []
    backward = folded.FoldedStep.backward

    def spy(self, *a):
        steps.append(1)
        return backward(self, *a)

    with monkeypatch.context() as patch:
        patch.setattr(folded.FoldedStep, "backward", spy)
        if not fold:
            patch.setattr(folded, "applies", lambda *a: "turned off by the test")
        net = ds.DeepNetwork(dims, hidden, output, init="xavier", rng=np.random.default_rng(3), dtype=dtype)
        history = net.fit(X, Y, learning_rate=lr, num_iterations=iterations, signals=False, batch_size=batch_size,
                          method="gram" if batch_size is None else "plain")
    return net, history, len(steps)


@pytest.mark.parametrize(("dims", "hidden", "output"), CASES, ids=[f"L{len(d) - 1}-{h}-{o}" for d, h, o in CASES])
def test_the_folded_step_trains_what_the_engines_gram_path_trains(dims, hidden, output, rng, monkeypatch):
    """The same run by both: costs and parameters equal to 1e-12 relative (the sums run in other orders)."""
    X, labels = problem(rng, dims[-1])
    Y = targets(output, dims[-1], labels, rng)
    net_f, h_f, n_f = run(dims, hidden, output, X, Y, monkeypatch, fold=True)
    net_e, h_e, n_e = run(dims, hidden, output, X, Y, monkeypatch, fold=False)
    assert (n_f, n_e) == (60, 0)  # one took the folded step every iteration, the other never
    assert h_e.cost[-1] < h_e.cost[0]  # it learned something
    cost_f, cost_e = np.array(h_f.cost), np.array(h_e.cost)
    assert np.max(np.abs(cost_f - cost_e) / np.abs(cost_e)) < 1e-12
    assert h_f.accuracy == h_e.accuracy if output != "linear" else True
    for key, P in net_e.parameters.items():
        np.testing.assert_allclose(net_f.parameters[key], P, rtol=1e-12, atol=1e-12 * np.abs(P).max())
    assert net_f.optimizer.t == net_e.optimizer.t == 60


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mini_batches_by_the_folded_step_are_the_engines(dtype, hidden, output, rng, monkeypatch):
    """Mini-batches of 5 (the last one of 2) of a plain first layer, 20 epochs: the same batches, costs and parameters
    to 1e-12 relative in float64 (to float32 rounding in float32)."""
    dims = [4, 6, 5, 3 if output == "softmax" else 1]
    X = rng.standard_normal((4, M))
    labels = rng.integers(0, max(dims[-1], 2), M)
    Y = targets(output, dims[-1], labels, rng).astype(dtype)
    net_f, h_f, n_f = run(dims, hidden, output, X.astype(dtype), Y, monkeypatch, True, 20, dtype, 0.1, batch_size=5)
    net_e, h_e, n_e = run(dims, hidden, output, X.astype(dtype), Y, monkeypatch, False, 20, dtype, 0.1, batch_size=5)
    assert (n_f, n_e) == (20 * 3, 0)
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(h_f.cost, h_e.cost, rtol=rtol)
    for key, P in net_e.parameters.items():
        assert net_f.parameters[key].dtype == dtype
        np.testing.assert_allclose(net_f.parameters[key], P, rtol=rtol, atol=rtol * np.abs(P).max())


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_the_folded_steps_update_is_alpha_times_the_centered_finite_difference_gradient(hidden, rng, monkeypatch):
    """One step from P0 at rate alpha gives P1 = P0 - alpha dJ/dP: (P0 - P1) / alpha against (J(P + h) - J(P - h)) / 2h
    for every W[l] and b[l] (float64)."""
    dims = [N0, 5, 4, 1]
    X, labels = problem(rng, 1)
    Y = labels[np.newaxis, :].astype(float)
    P0 = ds.DeepNetwork(dims, hidden, "sigmoid", init="xavier", rng=np.random.default_rng(3)).parameters.copy()
    alpha = 0.01
    net1, _, n = run(dims, hidden, "sigmoid", X, Y, monkeypatch, fold=True, iterations=1, lr=alpha)
    assert n == 1
    P1 = net1.parameters.copy()
    g_hidden, g_out = get_activation(hidden), get_activation("sigmoid")

    def J(params):
        return compute_cost(forward_no_cache(X, params, g_hidden, g_out), Y)

    h = 1e-6
    for key in P0:
        assert P1[key].shape == P0[key].shape
        numeric = np.zeros_like(P0[key])
        for idx in np.ndindex(P0[key].shape):
            up, down = {k: v.copy() for k, v in P0.items()}, {k: v.copy() for k, v in P0.items()}
            up[key][idx] += h
            down[key][idx] -= h
            numeric[idx] = (J(up) - J(down)) / (2 * h)
        np.testing.assert_allclose((P0[key] - P1[key]) / alpha, numeric, rtol=1e-6, atol=1e-9, err_msg=key)


def test_a_float32_run_keeps_float32_and_the_gram_factors_in_float64(rng, monkeypatch):
    X, labels = problem(rng, 1)
    Y = labels[np.newaxis, :]
    seen = []
    backward = folded.FoldedStep.backward

    def spy(self, *a):
        backward(self, *a)
        seen.append((self._buf.U.dtype, self.first.basis.G.dtype, self.first.W.KT.dtype, self.flat.dtype))

    monkeypatch.setattr(folded.FoldedStep, "backward", spy)
    net = ds.DeepNetwork([N0, 5, 3, 1], "relu", init="xavier", rng=np.random.default_rng(3), dtype=np.float32)
    h32 = net.fit(X.astype(np.float32), Y, learning_rate=0.05, num_iterations=30, method="gram", signals=False)
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert seen == [(f32, f32, f64, f32)] * 30
    assert all(P.dtype == np.float32 for P in net.parameters.values())
    net64 = ds.DeepNetwork([N0, 5, 3, 1], "relu", init="xavier", rng=np.random.default_rng(3))
    h64 = net64.fit(X, Y, learning_rate=0.05, num_iterations=30, method="gram", signals=False)
    np.testing.assert_allclose(h32.cost, h64.cost, rtol=1e-4)


def test_a_callback_reads_the_parameters_the_folded_step_trains(rng):
    """During the run W[l] and b[l] are views of the blocks W~[l] = [W[l] b[l]]: a callback reads the values of the
    epoch just ended, and the network holds the last ones afterwards."""
    X, labels = problem(rng, 1)
    seen = []
    net = ds.DeepNetwork([N0, 5, 4, 1], rng=0)
    net.fit(X, labels[np.newaxis, :], 0.05, 20, method="gram",
            callbacks=[lambda epoch, logs: seen.append(net.parameters.copy())])
    assert net.history.method == "gram"
    for key, P in net.parameters.items():
        np.testing.assert_array_equal(seen[-1][key], P)
        assert not np.array_equal(seen[0][key], P)  # they moved
    # and they are what an unbroken run of 19 iterations gives, then one more
    net19 = ds.DeepNetwork([N0, 5, 4, 1], rng=0)
    net19.fit(X, labels[np.newaxis, :], 0.05, 19, method="gram")
    for key, P in net19.parameters.items():
        np.testing.assert_array_equal(seen[-2][key], P)


@pytest.mark.parametrize(("change", "reason"), [
    ({"gram_first": False}, "full batch with a plain first layer"),
    ({"optimizer": Momentum()}, "not plain gradient descent"),
    ({"l2": 0.1}, "L2"),
    ({"dropout": True}, "dropout"),
    ({"weighted": True}, "weights"),
    ({"batch_norm": [2]}, "batch normalization"),
    ({"hidden": get_activation("softmax")}, "in-place"),
    ({"L": 1}, "one layer"),
])
def test_the_rule_names_why_the_folded_step_does_not_apply(change, reason):
    ok = {"gram_first": True, "optimizer": GradientDescent(), "l2": 0.0, "dropout": False, "weighted": False,
          "batch_norm": [], "hidden": get_activation("relu"), "L": 3}
    assert folded.applies(**ok) is None
    assert reason in folded.applies(**{**ok, **change})


def test_a_subclass_of_gradient_descent_keeps_its_own_update(rng):
    class Halved(GradientDescent):
        def update_arrays(self, P, dP, state, lr):
            super().update_arrays(P, dP, state, lr / 2)

    assert "not plain gradient descent" in folded.applies(True, Halved(), 0.0, False, False, [],
                                                          get_activation("relu"), 3)
    X, labels = problem(rng, 1)
    a, b = ds.DeepNetwork([N0, 5, 1], rng=0), ds.DeepNetwork([N0, 5, 1], rng=0)
    a.fit(X, labels[np.newaxis, :], 0.1, 10, method="gram", optimizer=Halved(), signals=False)
    b.fit(X, labels[np.newaxis, :], 0.05, 10, method="gram", signals=False)
    for key, P in b.parameters.items():
        np.testing.assert_allclose(a.parameters[key], P, rtol=1e-12, atol=1e-14)


def test_a_plain_first_layer_takes_the_folded_step_in_mini_batches_only():
    ok = (GradientDescent(), 0.0, False, False, [], get_activation("relu"), 3)
    assert folded.applies(False, *ok, minibatch=True) is None
    assert "plain first layer" in folded.applies(False, *ok, minibatch=False)


def test_blocks_lay_out_w_tilde_then_b1():
    assert folded.blocks([12288, 20, 7, 5, 1], True) == [(2, (7, 21)), (3, (5, 8)), (4, (1, 6)), (1, (20, 1))]
    assert folded.blocks([784, 256, 10], False) == [(1, (256, 785)), (2, (10, 257))]


def test_a_float32_learning_rate_of_a_callers_schedule_is_divided_by_m_in_float64(rng, monkeypatch):
    """alpha/m is formed from the float32 alpha's exact value, as the engine uses it (alpha / m rounded to float32
    first moved a float64 run's parameters by 3e-8 relative)."""
    from deepstep.core.schedules import Schedule

    class Float32Decay(Schedule):
        name = "float32_decay"

        def __call__(self, learning_rate, epoch):
            return np.float32(learning_rate) / np.float32(1 + 0.01 * epoch)

    X = rng.standard_normal((40, 20))
    Y = rng.integers(0, 2, (1, 20))
    runs = []
    for fold in (True, False):
        with monkeypatch.context() as patch:
            if not fold:
                patch.setattr(folded, "applies", lambda *a: "turned off by the test")
            net = ds.DeepNetwork([40, 8, 4, 1], "tanh", init="xavier", rng=np.random.default_rng(3))
            net.fit(X, Y, 0.1, 50, method="gram", signals=False, optimizer=GradientDescent(schedule=Float32Decay()))
            runs.append(net)
    for key, P in runs[1].parameters.items():
        np.testing.assert_allclose(runs[0].parameters[key], P, rtol=1e-12, atol=1e-13, err_msg=key)


def test_an_optimizer_whose_step_a_caller_replaced_keeps_the_engines_path():
    """A hook on the object's step (the playground's budget and cancel check) runs at each update: the folded step,
    which does not call it, steps aside."""
    opt = GradientDescent()
    ok = (0.0, False, False, [], get_activation("relu"), 3)
    assert folded.applies(True, opt, *ok) is None
    opt.step = lambda *a: None
    assert "replaced" in folded.applies(True, opt, *ok)
