"""The Gram-matrix form of the first layer (deepstep.gram) and fit(method=...)."""


import numpy as np
import pytest

import deepstep as ds
from conftest import needs_cats
from deepstep import gram

N0, M = 30, 12  # fewer examples than features: the case the Gram form is for

# depth 1 (logistic / softmax regression), 2 and 4, every hidden activation, both outputs;
# the hidden activation plays no part without hidden layers, so depth 1 is taken once per output
CASES = [
    (dims, hidden, output)
    for output, n_out in (("sigmoid", 1), ("softmax", 3))
    for dims in ([N0, n_out], [N0, 5, n_out], [N0, 6, 5, 4, n_out])
    for hidden in (["relu"] if len(dims) == 2 else ["relu", "tanh", "leaky_relu", "sigmoid"])
]


def problem(rng, n0=N0, m=M, n_out=1):
    X = rng.standard_normal((n0, m))
    labels = rng.integers(0, max(n_out, 2), m)
    Y = labels[np.newaxis, :] if n_out == 1 else np.eye(n_out)[:, labels]
    return X, Y


def train(dims, hidden, output, X, Y, method, iterations=150, learning_rate=0.1, dtype=np.float64, **kw):
    net = ds.DeepNetwork(dims, hidden, output, init="xavier", rng=np.random.default_rng(7), dtype=dtype)
    history = net.fit(X, Y, learning_rate=learning_rate, num_iterations=iterations, method=method, **kw)
    return net, history


def assert_same_training(plain, gram_, rtol=1e-12):
    (net_p, h_p), (net_g, h_g) = plain, gram_
    assert h_p.method == "plain" and h_g.method == "gram"
    cost_p, cost_g = np.array(h_p.cost), np.array(h_g.cost)
    assert cost_p.shape == cost_g.shape
    assert np.max(np.abs(cost_g - cost_p) / np.abs(cost_p)) < rtol
    for k, P in net_p.parameters.items():
        np.testing.assert_allclose(net_g.parameters[k], P, rtol=rtol, atol=rtol * np.abs(P).max())


@pytest.mark.parametrize(("dims", "hidden", "output"), CASES,
                         ids=[f"L{len(d) - 1}-{h}-{o}" for d, h, o in CASES])
def test_gram_path_equals_plain_path(dims, hidden, output, rng):
    X, Y = problem(rng, n_out=dims[-1])
    plain = train(dims, hidden, output, X, Y, "plain")
    gram_ = train(dims, hidden, output, X, Y, "gram")
    assert plain[1].cost[-1] < plain[1].cost[0]  # it did learn something
    assert_same_training(plain, gram_)


def test_gram_path_continues_from_the_current_parameters(rng):
    X, Y = problem(rng)
    net_p, _ = train([N0, 4, 1], "tanh", "sigmoid", X, Y, "plain", iterations=30)
    net_g, _ = train([N0, 4, 1], "tanh", "sigmoid", X, Y, "gram", iterations=30)
    h_p = net_p.fit(X, Y, learning_rate=0.1, num_iterations=20, method="plain")
    h_g = net_g.fit(X, Y, learning_rate=0.1, num_iterations=20, method="gram")
    assert_same_training((net_p, h_p), (net_g, h_g))
    assert len(net_g.history.cost) == 50


def test_batch_size_at_least_m_is_a_full_batch_for_gram(rng):
    X, Y = problem(rng)
    plain = train([N0, 4, 1], "relu", "sigmoid", X, Y, "plain")
    gram_ = train([N0, 4, 1], "relu", "sigmoid", X, Y, "gram", batch_size=M)
    assert_same_training(plain, gram_)


@pytest.mark.parametrize("method", ["plain", "gram"])
def test_float32_stays_float32(method, rng):
    X, Y = problem(rng)
    X32 = X.astype(np.float32)
    net, h = train([N0, 5, 3, 1], "relu", "sigmoid", X32, Y, method, dtype=np.float32)
    assert h.method == method
    assert all(v.dtype == np.float32 for v in net.parameters.values())
    assert net.predict_proba(X32).dtype == np.float32
    assert gram.gram_matrix(X32).dtype == np.float32
    basis = gram.GramBasis(X32, [np.ones((5, N0), np.float32)])
    T = basis.anchor(0)
    T -= basis.gradient(X32[:5])
    assert np.asarray(T).dtype == np.float32  # W[1] formed in the network's dtype
    first = gram.GramFirstLayer(X32, np.ones((5, N0), np.float32), {}, X32[:, :3])
    Z1 = np.empty((5, M), np.float32)
    assert first.Z1(np.zeros((5, 1), np.float32), Z1).dtype == np.float32
    assert first.Z1_val(np.zeros((5, 1), np.float32)).dtype == np.float32
    # and it trains the same network as float64, to float32 precision
    net64, h64 = train([N0, 5, 3, 1], "relu", "sigmoid", X, Y, method)
    np.testing.assert_allclose(h.cost, h64.cost, rtol=1e-4)


def test_a_float32_gram_form_keeps_its_factors_in_float64(rng, monkeypatch):
    """dZ[1] comes in float32, G and the product of an update are float32 (as the plain path's products); K and T X,
    where the updates add up, are float64 (the cat pictures' run otherwise ends far from the plain path's: below)."""
    seen = []
    gradient = gram.GramBasis.gradient

    def spy(self, dZ1, out=None):
        g = gradient(self, dZ1, out)
        seen.append(tuple(a.dtype for a in (dZ1, self.G, g.K, g.TX)))
        return g

    monkeypatch.setattr(gram.GramBasis, "gradient", spy)
    X, Y = problem(rng)  # (momentum: gradient descent takes the folded step, tests/core/test_folded.py)
    train([N0, 5, 3, 1], "tanh", "sigmoid", X.astype(np.float32), Y, "gram", iterations=5, dtype=np.float32,
          optimizer="momentum")
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert seen == [(f32, f32, f64, f64)] * 5


@pytest.mark.parametrize("method", ["gram", "plain"])
def test_divergence_is_an_error_in_both_paths(method, rng):
    X, Y = problem(rng)
    net = ds.DeepNetwork([N0, 20, 1], rng=0)
    net.fit(X, Y, learning_rate=0.1, num_iterations=4, method=method)
    finite = []  # the iterations of this call whose cost was finite; the next one diverged
    with pytest.raises(ds.DeepstepError, match=r"diverged at iteration (\d+)") as error:
        net.fit(X * 1e10, Y, learning_rate=1e30, num_iterations=50, method=method,
                callbacks=[lambda i, logs: finite.append(i)])
    # numbered over the network's whole history (4 earlier iterations), as the CLI's progress counts
    assert f"diverged at iteration {4 + len(finite)} " in str(error.value)
    # put back to those the last iteration of finite cost began with (its update broke them), Gram path too
    kept = len(net.history.cost)
    assert kept == 4 + len(finite) - 1
    ref = ds.DeepNetwork([N0, 20, 1], rng=0)
    ref.fit(X, Y, learning_rate=0.1, num_iterations=4, method=method)
    if kept > 4:
        ref.fit(X * 1e10, Y, learning_rate=1e30, num_iterations=kept - 4, method=method)
    for k, v in ref.parameters.items():
        np.testing.assert_allclose(net.parameters[k], v, rtol=1e-12)


def test_gram_training_resumes_from_a_saved_model_to_rounding(rng, tmp_path):
    """A run stopped, saved and continued ends where an unbroken one ends, to rounding: the Gram form
    keeps W[1] X, not W[1], and forms W[1] when a fit call ends, so the split point changes the last bits."""
    X, Y = problem(rng)
    whole = ds.DeepNetwork([N0, 6, 1], rng=3)
    whole.fit(X, Y, learning_rate=0.1, num_iterations=200, method="gram")
    part = ds.DeepNetwork([N0, 6, 1], rng=3)
    part.fit(X, Y, learning_rate=0.1, num_iterations=70, method="gram")
    part.save(tmp_path / "model.npz")
    resumed = ds.load_model(tmp_path / "model.npz")
    resumed.fit(X, Y, learning_rate=0.1, num_iterations=130, method="gram")
    np.testing.assert_allclose(resumed.history.cost, whole.history.cost, rtol=1e-12)
    for k, v in whole.parameters.items():
        np.testing.assert_allclose(resumed.parameters[k], v, rtol=1e-12, atol=1e-14)
    assert resumed.history.method == "gram"


def test_auto_picks_gram_for_few_examples_full_batch(rng):
    X, Y = problem(rng)
    assert gram.gram_pays_off(N0, 4, M, 150)
    gram_ = train([N0, 4, 1], "relu", "sigmoid", X, Y, "auto")
    assert gram_[1].method == "gram"
    plain = train([N0, 4, 1], "relu", "sigmoid", X, Y, "plain")
    assert_same_training(plain, gram_)


@pytest.mark.parametrize(
    ("n0", "m", "iterations", "batch_size"),
    [(N0, M, 150, 4), (N0, N0, 150, None), (5, 40, 150, None), (N0, M, 1, None)],
    ids=["mini-batches", "m == n0", "m > n0", "too short to repay G"],
)
def test_auto_picks_plain_otherwise(n0, m, iterations, batch_size, rng):
    X, Y = problem(rng, n0=n0, m=m)
    net, h = train([n0, 4, 1], "relu", "sigmoid", X, Y, "auto", iterations=iterations, batch_size=batch_size)
    assert h.method == "plain" and net.history.method == "plain"


def test_unknown_method_is_an_error_naming_it(rng):
    X, Y = problem(rng)
    net = ds.DeepNetwork([N0, 1], init="zeros")
    with pytest.raises(ds.DeepstepError, match=r"method: expected one of \['auto', 'plain', 'gram'\], got 'dual'"):
        net.fit(X, Y, method="dual")
    assert net.history.cost == []


def test_gram_with_mini_batches_is_an_error(rng):
    X, Y = problem(rng)
    net = ds.DeepNetwork([N0, 1], init="zeros")
    with pytest.raises(ds.DeepstepError, match="method: 'gram' does not apply here: it needs full-batch training"):
        net.fit(X, Y, batch_size=4, method="gram")
    assert net.history.cost == [] and net.optimizer is None


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_gram_is_never_chosen_where_it_does_not_apply(optimizer, rng):
    X, Y = problem(rng)
    net = ds.DeepNetwork([N0, 4, 1], rng=1)
    with pytest.raises(ds.DeepstepError, match=f"does not apply here: the '{optimizer}' update is not linear"):
        net.fit(X, Y, 0.01, 10, optimizer=optimizer, method="gram")
    assert net.fit(X, Y, 0.01, 500, optimizer=optimizer).method == "plain"  # auto, where Gram would pay off


CHOICES = {
    "momentum": dict(optimizer=ds.optimizers.Momentum(beta=0.9)),
    "l2": dict(l2=0.7),
    "momentum+l2": dict(optimizer=ds.optimizers.Momentum(beta=0.8), l2=0.3),
    "schedule": dict(optimizer=ds.optimizers.GradientDescent(schedule=ds.schedules.InverseTimeDecay(0.5, 10))),
    "dropout": dict(keep_prob=[0.8, 0.6]),
    "validation": dict(validation_fraction=0.25),
    "all": dict(optimizer=ds.optimizers.Momentum(0.9, schedule=ds.schedules.StepDecay(0.5, 20)), l2=0.2,
                keep_prob=0.7, validation_fraction=0.25),
}


@pytest.mark.parametrize("choice", list(CHOICES))
def test_gram_path_equals_plain_path_with_every_linear_choice(choice, rng):
    import copy

    X, Y = problem(rng, m=16)
    runs = {}
    for method in ("plain", "gram"):
        net = ds.DeepNetwork([N0, 6, 5, 1], "tanh", init="xavier", rng=np.random.default_rng(7))
        h = net.fit(X, Y, learning_rate=0.1, num_iterations=150, method=method, **copy.deepcopy(CHOICES[choice]))
        runs[method] = (net, h)
    assert_same_training(runs["plain"], runs["gram"])
    (_, hp), (_, hg) = runs["plain"], runs["gram"]
    if hp.val_cost:
        np.testing.assert_allclose(hg.val_cost, hp.val_cost, rtol=1e-8)
        assert hg.val_accuracy == hp.val_accuracy
    for slot in runs["plain"][0].optimizer.slots:  # the optimizer's state of W[1] is formed again too
        np.testing.assert_allclose(runs["gram"][0].optimizer.state[slot]["dW1"],
                                   runs["plain"][0].optimizer.state[slot]["dW1"], rtol=1e-8, atol=1e-12)


def test_a_callback_never_sees_a_stale_first_layer(rng):
    X, Y = problem(rng)
    seen = {}
    for method in ("plain", "gram"):
        net = ds.DeepNetwork([N0, 4, 1], rng=np.random.default_rng(2))
        seen[method] = []
        net.fit(X, Y, 0.1, 5, method=method,
                callbacks=[lambda i, logs, net=net, method=method: seen[method].append(net.parameters["W1"].copy())])
    for Wp, Wg in zip(seen["plain"], seen["gram"], strict=True):
        np.testing.assert_allclose(Wg, Wp, rtol=1e-10)


def test_momentum_resumes_under_the_gram_form_from_a_saved_state(rng, tmp_path):
    X, Y = problem(rng)
    whole = ds.DeepNetwork([N0, 6, 1], rng=3)
    whole.fit(X, Y, 0.1, 120, optimizer="momentum", method="gram")
    part = ds.DeepNetwork([N0, 6, 1], rng=3)
    part.fit(X, Y, 0.1, 50, optimizer="momentum", method="gram")
    part.save(tmp_path / "m.npz")
    resumed = ds.load_model(tmp_path / "m.npz")
    assert resumed.optimizer.t == 50 and np.any(resumed.optimizer.state["v"]["dW1"])
    resumed.fit(X, Y, 0.1, 70, optimizer="momentum", method="gram")  # v of W[1] becomes an anchor of the basis
    np.testing.assert_allclose(resumed.history.cost, whole.history.cost, rtol=1e-11)
    for k, v in whole.parameters.items():
        np.testing.assert_allclose(resumed.parameters[k], v, rtol=1e-10, atol=1e-13)


class Stop(KeyboardInterrupt):
    pass


def interrupt_at(k):
    def callback(i, logs):
        if i == k:
            raise Stop
    return callback


@pytest.mark.parametrize("method", ["gram", "plain"])
def test_keyboard_interrupt_leaves_the_parameters_of_the_iterations_done(method, rng):
    X, Y = problem(rng)
    net = ds.DeepNetwork([N0, 6, 4, 1], "tanh", init="xavier", rng=np.random.default_rng(7))
    with pytest.raises(Stop):
        net.fit(X, Y, learning_rate=0.1, num_iterations=100, callbacks=[interrupt_at(16)], method=method)
    assert len(net.history.cost) == 17
    done, h = train([N0, 6, 4, 1], "tanh", "sigmoid", X, Y, "plain", iterations=17)
    assert net.history.cost == pytest.approx(h.cost, rel=1e-12)
    for k, P in done.parameters.items():
        np.testing.assert_allclose(net.parameters[k], P, rtol=1e-10, atol=1e-12)


def test_keyboard_interrupt_between_epochs_leaves_the_epochs_done(rng):
    X, Y = problem(rng, m=50)
    net = ds.DeepNetwork([N0, 6, 1], rng=np.random.default_rng(7))
    with pytest.raises(Stop):
        net.fit(X, Y, learning_rate=0.1, num_iterations=10, batch_size=8, callbacks=[interrupt_at(3)])
    done = ds.DeepNetwork([N0, 6, 1], rng=np.random.default_rng(7))
    done.fit(X, Y, learning_rate=0.1, num_iterations=4, batch_size=8)
    assert net.history.cost == done.history.cost
    for k, P in done.parameters.items():
        np.testing.assert_array_equal(net.parameters[k], P)


# -- the pure functions, against direct computation ------------------------------------------


def test_gram_matrix_holds_the_dot_products_of_the_examples(rng):
    X = rng.standard_normal((7, 4))
    G = gram.gram_matrix(X)
    direct = [[sum(X[k, i] * X[k, j] for k in range(7)) for j in range(4)] for i in range(4)]
    np.testing.assert_allclose(G, direct, rtol=1e-13)
    np.testing.assert_array_equal(G, G.T)


def test_a_gram_tensor_is_the_matrix_it_stands_for(rng):
    """T = a0 W0 + a1 V0 + K X^T, held as (a, K, T X): every operation against the dense matrices."""
    n1, n0, m = 3, 7, 4
    W0, V0, X = rng.standard_normal((n1, n0)), rng.standard_normal((n1, n0)), rng.standard_normal((n0, m))
    Xv = rng.standard_normal((n0, 5))
    W0_copy = W0.copy()
    basis = gram.GramBasis(X, [W0, V0], Xv)
    W, V = basis.anchor(0), basis.anchor(1)
    dZ = rng.standard_normal((n1, m))
    g = basis.gradient(dZ)  # dW = (1/m) dZ X^T
    g += (0.3 / m) * W  # + the L2 term
    dense_g = dZ @ X.T / m + 0.3 / m * W0
    np.testing.assert_allclose(np.asarray(g), dense_g, rtol=1e-12)
    V *= 0.9  # momentum on it
    g *= 0.1
    V += g
    W -= 0.5 * V
    dense_V = 0.9 * V0 + 0.1 * dense_g
    dense_W = W0 - 0.5 * dense_V
    for T, D in ((V, dense_V), (W, dense_W)):
        np.testing.assert_allclose(np.asarray(T), D, rtol=1e-12)
        np.testing.assert_allclose(T.TX, D @ X, rtol=1e-12)  # the products kept up to date
        np.testing.assert_allclose(T.times_val(), D @ Xv, rtol=1e-12)  # validation through H = X^T X_val
        assert T.sq_norm() == pytest.approx(float(np.sum(D * D)), rel=1e-12)  # ||T||_F^2 for the L2 cost
    np.testing.assert_array_equal(W0, W0_copy)  # the anchors are copies: the caller's W0 is untouched
    U = W.copy()
    U *= 2.0
    np.testing.assert_allclose(np.asarray(W), dense_W, rtol=1e-12)  # copy() is independent
    W.copyto(U)
    np.testing.assert_allclose(np.asarray(W), 2 * dense_W, rtol=1e-12)


def test_gram_pays_off_when_it_does_fewer_multiply_adds():
    for n0 in (10, 100, 12288):
        for n1 in (1, 7, 50):
            for m in (5, 99, 209, 5000, 20000):
                for T in (1, 3, 10, 100, 2500):
                    plain = T * 2 * n1 * n0 * m  # W[1] X and dZ[1] X^T, every iteration
                    dual = n0 * m * m + 2 * n1 * n0 * m + T * n1 * m * m  # G, P, W[1] once; dZ[1] G each time
                    assert gram.gram_pays_off(n0, n1, m, T) == (m < n0 and dual < plain), (n0, n1, m, T)


# -- the cat pictures -------------------------------------------------------------------------

@pytest.mark.slow
@needs_cats
def test_gram_path_equals_plain_path_on_the_cat_pictures():
    X, Y, _, _, _ = ds.datasets.load_cat_dataset()
    runs = {}
    for method in ("auto", "plain"):
        net = ds.DeepNetwork([12288, 20, 7, 5, 1], init="xavier", rng=1)
        runs[method] = (net, net.fit(X, Y, learning_rate=0.0075, num_iterations=2500, method=method))
    assert_same_training(runs["plain"], runs["auto"])
    assert runs["auto"][0].accuracy(X, Y) == runs["plain"][0].accuracy(X, Y)


@pytest.mark.slow
@needs_cats
def test_float32_gram_form_ends_the_cat_run_where_the_plain_float32_path_does():
    """In float32 the course's cat run leaves the float64 path near iteration 400 whatever the framework (PyTorch's
    float32 ends at 0.0845 as deepstep's plain path does; float64 at 0.0884).  The Gram form with float32 factors
    ended at 0.068; with float64 factors it ends within 1% of the plain float32 path and keeps its accuracy."""
    X, Y, X_test, Y_test, _ = ds.datasets.load_cat_dataset()
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    runs = {}
    for method in ("gram", "plain"):
        net = ds.DeepNetwork([12288, 20, 7, 5, 1], init="xavier", rng=1, dtype=np.float32)
        runs[method] = (net, net.fit(X, Y, learning_rate=0.0075, num_iterations=2500, method=method))
    (net_g, h_g), (net_p, h_p) = runs["gram"], runs["plain"]
    assert abs(h_g.cost[-1] - h_p.cost[-1]) / h_p.cost[-1] < 0.01
    assert abs(net_g.accuracy(X_test, Y_test) - net_p.accuracy(X_test, Y_test)) <= 0.05
    assert net_g.parameters["W1"].dtype == np.float32


def test_float32_gram_matrix_is_the_float64_one_rounded_once(rng):
    X = rng.standard_normal((5000, 6)).astype(np.float32)
    exact = X.astype(np.float64).T @ X.astype(np.float64)
    G = gram.gram_matrix(X)
    assert G.dtype == np.float32
    np.testing.assert_array_equal(G, exact.astype(np.float32))


@pytest.mark.parametrize("lambd", [0.0, 0.7])
@pytest.mark.parametrize("velocity", ["zero", "nonzero"])
def test_the_gram_strategy_gives_what_the_plain_first_layer_computes(lambd, velocity, rng):
    """GramFirstLayer beside the plain path's formulas: Z[1] = W[1] X + b[1], dW[1] = (1/m) dZ[1] X^T + (lambd/m)
    W[1], Z[1] of the validation examples, and the optimizer's state given back as the matrices it stands for."""
    n1, m_val = 4, 5
    X, Xv = rng.standard_normal((N0, M)), rng.standard_normal((N0, m_val))
    W1, b1 = rng.standard_normal((n1, N0)), rng.standard_normal((n1, 1))
    v = rng.standard_normal((n1, N0)) if velocity == "nonzero" else np.zeros((n1, N0))
    state = {"v": {"dW1": v.copy()}}
    first = gram.GramFirstLayer(X, W1, state, Xv)
    Z1 = np.empty((n1, M))
    np.testing.assert_allclose(first.Z1(b1, Z1), W1 @ X + b1, rtol=1e-12)
    np.testing.assert_allclose(first.Z1_val(b1), W1 @ Xv + b1, rtol=1e-12)
    dZ1 = rng.standard_normal((n1, M))
    g = first.gradient(dZ1, lambd)
    dW1 = dZ1 @ X.T / M + lambd / M * W1
    np.testing.assert_allclose(np.asarray(g), dW1, rtol=1e-12, atol=1e-14)
    # one momentum step on the tensors, as the optimizer's kernel runs it, then back to matrices
    beta, lr = 0.9, 0.05
    T_v = state["v"]["dW1"]
    T_v *= beta
    T_v += (1 - beta) * g
    step = lr * T_v
    first.W -= step
    v_plain = beta * v + (1 - beta) * dW1
    np.testing.assert_allclose(first.W1(), W1 - lr * v_plain, rtol=1e-12)
    assert first.finish() is W1
    assert type(state["v"]["dW1"]) is np.ndarray
    np.testing.assert_allclose(state["v"]["dW1"], v_plain, rtol=1e-12)
