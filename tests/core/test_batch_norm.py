"""Batch normalization (Course 2, week 3) as a layer kind: its forward and backward worked by hand and held to
centered finite differences, its running averages, and the network, files, ONNX, command line and estimators
that carry it."""

import math

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN, command
from deepstep.core.activations import get_activation
from deepstep.core.engine import Engine
from deepstep.core.layers import EPSILON, BatchNorm, backward_layers, forward_layers, layers_of


def bn_parameters(rng, dims, dtype=np.float64):
    """W, gamma, beta of batch-normalized hidden layers, and W, b of the output layer (values away from 1 and 0)."""
    L = len(dims) - 1
    P = {}
    for l in range(1, L + 1):
        P[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])).astype(dtype)
        if l < L:
            P[f"gamma{l}"] = rng.uniform(0.5, 1.5, (dims[l], 1)).astype(dtype)
            P[f"beta{l}"] = rng.standard_normal((dims[l], 1)).astype(dtype)
        else:
            P[f"b{l}"] = rng.standard_normal((dims[l], 1)).astype(dtype)
    return P


def test_forward_and_backward_by_hand_on_two_examples():
    # one unit, m = 2: Z = W A_prev = [1, 3], mu = 2, sigma^2 = 1, Z_norm = [-1, 1] / sqrt(1 + eps)
    layer = BatchNorm(get_activation("linear"))
    params = {"W1": np.array([[1.0]]), "gamma1": np.array([[2.0]]), "beta1": np.array([[0.5]])}
    A, cache = layer.forward(params, 1, np.array([[1.0, 3.0]]))
    inv = 1 / math.sqrt(1 + EPSILON)
    np.testing.assert_allclose(A, [[0.5 - 2 * inv, 0.5 + 2 * inv]], rtol=1e-15)
    grads = {}
    dA_prev = layer.backward(np.array([[1.0, 0.0]]), cache, 1, grads)
    # dgamma = (1/m) sum(dZ~ Z_norm) = -inv/2; dbeta = 1/2; G = gamma dZ~ = [2, 0], mean(G) = 1,
    # mean(G Z_norm) = -inv, so dZ = inv (G - 1 - Z_norm (-inv)) = inv (1 - inv^2) [1, -1]
    np.testing.assert_allclose(grads["dgamma1"], [[-inv / 2]], rtol=1e-14)
    np.testing.assert_allclose(grads["dbeta1"], [[0.5]], rtol=1e-15)
    dZ = inv * (1 - inv**2) * np.array([[1.0, -1.0]])
    np.testing.assert_allclose(grads["dW1"], dZ @ np.array([[1.0, 3.0]]).T / 2, rtol=1e-9)
    np.testing.assert_allclose(dA_prev, 1.0 * dZ, rtol=1e-9)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("l2", "keep_prob"), [(0.0, 1.0), (0.7, 0.8)])
def test_gradients_are_centered_differences_for_every_activation(hidden, l2, keep_prob):
    rng = np.random.default_rng(HIDDEN.index(hidden))  # (a fixed seed: str hashes differ from run to run)
    P = bn_parameters(rng, [4, 5, 3, 1])
    X = rng.standard_normal((4, 7))
    Y = (rng.random((1, 7)) > 0.5).astype(int)
    overall, per = ds.gradient_check_details(P, X, Y, hidden_activation=hidden, l2=l2, keep_prob=keep_prob, rng=3)
    assert overall < 1e-7, per
    assert set(per) == {"W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"}
    # with a linear hidden activation, the next layer's normalization takes away any shift beta[1] makes: its
    # gradient is 0 (both ways), where a relative error says nothing
    degenerate = {"beta1"} if hidden == "linear" and keep_prob == 1 else set()
    assert all(err < 1e-6 for key, err in per.items() if key not in degenerate), per


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_the_training_loops_buffered_pass_gives_the_traversals_gradients(output, rng):
    n_out = 3 if output == "softmax" else 1
    P = bn_parameters(rng, [3, 4, 4, n_out])
    X = rng.standard_normal((3, 6))
    Y = np.eye(3)[:, rng.integers(0, 3, 6)] if output == "softmax" else rng.random((1, 6))
    hidden, out = get_activation("tanh"), get_activation(output)
    layers = layers_of(P, hidden, out)
    caches = []
    AL = forward_layers(X, P, layers, caches=caches)
    expected = backward_layers(AL - Y, caches, layers, 0.3)
    engine = Engine([3, 4, 4, n_out], hidden, out, np.dtype(np.float64), [1.0, 1.0], 0.3, batch_norm=[1, 2])
    engine.params = P
    state = {"running_mean1": np.zeros((4, 1)), "running_var1": np.ones((4, 1)),
             "running_mean2": np.zeros((4, 1)), "running_var2": np.ones((4, 1))}
    engine.state = state
    W, b = [None, P["W1"], P["W2"], P["W3"]], [None, None, None, P["b3"]]
    np.testing.assert_allclose(engine.forward(W, b, X), AL, rtol=1e-14)
    engine.backward(Y, W)
    for key, G in engine.grads.items():
        np.testing.assert_allclose(G, expected[key], rtol=1e-12, atol=1e-14, err_msg=key)
        assert G.shape == P[key[1:]].shape
    # the running averages moved once: 0.9 * (0, 1) + 0.1 * (the batch's mean and variance)
    Z1 = P["W1"] @ X
    np.testing.assert_allclose(state["running_mean1"], 0.1 * Z1.mean(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(state["running_var1"], 0.9 + 0.1 * Z1.var(axis=1, keepdims=True), rtol=1e-12)


def test_running_averages_are_the_exponentially_weighted_averages_of_the_batch_statistics(rng):
    X = rng.standard_normal((3, 40)) * 5 + 2
    Y = (rng.random((1, 40)) > 0.5).astype(int)
    net = ds.DeepNetwork([3, 4, 1], batch_norm=True, rng=1)
    Z1 = net.parameters["W1"] @ X  # with a learning rate of 1e-12 the weights stay put: the same statistics
    net.fit(X, Y, learning_rate=1e-12, num_iterations=7)
    k = 7  # started at mean 0, variance 1: after k updates (1 - 0.9^k) of the batch's
    np.testing.assert_allclose(net.layer_state["running_mean1"],
                               (1 - 0.9**k) * Z1.mean(axis=1, keepdims=True), rtol=1e-9)
    np.testing.assert_allclose(net.layer_state["running_var1"],
                               0.9**k + (1 - 0.9**k) * Z1.var(axis=1, keepdims=True), rtol=1e-9)
    # prediction normalizes with them, not with the batch it is given
    A1 = np.maximum(0, net.parameters["gamma1"] * (net.parameters["W1"] @ X[:, :1] - net.layer_state["running_mean1"])
                    / np.sqrt(net.layer_state["running_var1"] + EPSILON) + net.parameters["beta1"])
    expected = 1 / (1 + np.exp(-(net.parameters["W2"] @ A1 + net.parameters["b2"])))
    np.testing.assert_allclose(net.predict_proba(X[:, :1]), expected, rtol=1e-12)


def test_a_deep_badly_scaled_problem_trains_in_fewer_epochs_with_batch_norm():
    rng = np.random.default_rng(0)
    scales = np.array([[1.0], [10.0], [100.0], [0.1], [1000.0]])
    X = rng.standard_normal((5, 400)) * scales
    Y = ((X[0] + X[1] / 10 - X[4] / 1000) > 0).astype(int)[np.newaxis]

    def epochs_to(batch_norm):
        net = ds.DeepNetwork([5, 16, 16, 16, 1], batch_norm=batch_norm, rng=3)
        history = net.fit(X, Y, learning_rate=0.01, num_iterations=60, batch_size=50, optimizer="adam")
        below = [i for i, c in enumerate(history.cost) if c < 0.3]
        return below[0] if below else math.inf
    with_bn, without = epochs_to(True), epochs_to(False)
    assert with_bn < without, (with_bn, without)


def test_a_model_file_keeps_the_running_averages_and_resumes_exactly(tmp_path, rng):
    X = rng.standard_normal((4, 90)) * 3
    Y = (X[:1] > 0).astype(int)
    net = ds.DeepNetwork([4, 6, 5, 1], batch_norm=True, rng=2)
    net.fit(X, Y, learning_rate=0.01, num_iterations=5, batch_size=16, optimizer="adam", keep_prob=0.9)
    net.save(tmp_path / "bn.npz")
    again = ds.DeepNetwork.load(tmp_path / "bn.npz")
    assert again.batch_norm == [1, 2]
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))
    for _a, b in ((net, net.fit), (again, again.fit)):
        b(X, Y, learning_rate=0.01, num_iterations=4, batch_size=16, optimizer="adam", keep_prob=0.9)
    for key in net.parameters:
        np.testing.assert_array_equal(again.parameters[key], net.parameters[key], err_msg=key)
    for key in net.layer_state:
        np.testing.assert_array_equal(again.layer_state[key], net.layer_state[key], err_msg=key)
    assert again.history.cost == net.history.cost


def test_a_model_file_with_broken_running_averages_is_refused(tmp_path, rng):
    net = ds.DeepNetwork([3, 4, 1], batch_norm=True, rng=2)
    state = net.state_dict()
    state["layer_state"] = {"running_mean1": np.zeros((4, 1)), "running_var1": -np.ones((4, 1))}
    from deepstep.model import files

    files.write_state(tmp_path / "bad.npz", state)
    with pytest.raises(ds.ModelFileError, match="running_var1"):
        ds.DeepNetwork.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_is_kept_and_onnx_predicts_the_same(tmp_path, dtype, rng):
    pytest.importorskip("onnxruntime")
    import onnxruntime

    X = (rng.standard_normal((4, 50)) * 4).astype(dtype)
    Y = (X[:1] > 0).astype(int)
    net = ds.DeepNetwork([4, 6, 5, 1], batch_norm=True, rng=2, dtype=dtype, hidden_activation="tanh")
    net.fit(X, Y, learning_rate=0.05, num_iterations=10, batch_size=16, optimizer="adam")
    assert all(P.dtype == dtype for P in net.parameters.values())
    assert all(S.dtype == dtype for S in net.layer_state.values())
    A = net.predict_proba(X)
    assert A.dtype == dtype
    ds.export_onnx(net, tmp_path / "bn.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "bn.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: X.T})[-1].T
    np.testing.assert_allclose(got, A, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_the_gram_form_is_refused_with_batch_norm_on_the_first_layer_and_auto_takes_plain(rng):
    X, Y = rng.standard_normal((30, 8)), (rng.random((1, 8)) > 0.5).astype(int)
    net = ds.DeepNetwork([30, 4, 1], batch_norm=True, rng=1)
    with pytest.raises(ds.DeepstepError, match="method.*batch normalization"):
        net.fit(X, Y, learning_rate=0.1, num_iterations=3, method="gram")
    assert net.fit(X, Y, learning_rate=0.1, num_iterations=3).method == "plain"


@pytest.mark.parametrize("value", ["yes", [True], [1, 0], None])
def test_a_bad_batch_norm_argument_is_refused_by_name(value):
    with pytest.raises(ds.DeepstepError, match="batch_norm"):
        ds.DeepNetwork([3, 4, 2, 1], batch_norm=value)


def test_per_layer_batch_norm_and_the_parameters_it_gives():
    net = ds.DeepNetwork([3, 4, 2, 1], batch_norm=[False, True])
    assert net.batch_norm == [2]
    assert sorted(net.parameters) == ["W1", "W2", "W3", "b1", "b3", "beta2", "gamma2"]
    np.testing.assert_array_equal(net.parameters["gamma2"], np.ones((2, 1)))
    np.testing.assert_array_equal(net.parameters["beta2"], np.zeros((2, 1)))


def test_the_estimator_and_the_command_line_carry_it(tmp_path, capsys, rng):
    from deepstep.sklearn import DeepClassifier

    X = rng.standard_normal((120, 3)) * np.array([1.0, 50.0, 0.01])
    y = (X[:, 0] + X[:, 1] / 50 > 0).astype(int)
    clf = DeepClassifier(hidden_layer_sizes=(8,), batch_norm=True, standardize=False, random_state=0,
                         num_iterations=200).fit(X, y)  # (batch normalization takes the scales on itself)
    assert clf.network_.batch_norm == [1] and clf.score(X, y) > 0.8
    clf.set_params(batch_norm=False, warm_start=True)
    with pytest.raises(ds.DeepstepError, match="batch_norm"):
        clf.fit(X, y)
    code, out, err = command(capsys, "train", "--batch-norm", "--iterations", "20", "--out", tmp_path / "run",
                             "--quiet")
    assert code == 0, err
    assert ds.DeepNetwork.load(tmp_path / "run" / "model.npz").batch_norm != []
    code, _, err = command(capsys, "train", "--resume", "--no-batch-norm", "--iterations", "30", "--out",
                           tmp_path / "run", "--quiet")
    assert code == 2 and "--batch-norm" in err


@pytest.mark.parametrize("hidden", HIDDEN)
def test_explain_writes_out_the_normalization_and_checks_every_gradient(hidden, rng):
    net = ds.DeepNetwork([3, 4, 1], batch_norm=True, rng=1, hidden_activation=hidden)
    X, Y = rng.standard_normal((3, 5)), (rng.random((1, 5)) > 0.5).astype(int)
    e = ds.explain(net, X, Y, l2=0.2)
    equations = [s.equation for s in e.steps]
    for needed in ("mu = (1/m)", "sigma^2 = (1/m)", "Z_norm = ", "Z~[1] = gamma[1] Z_norm + beta[1]",
                   "dgamma[1]", "dbeta[1]", "gamma[1] := gamma[1] - alpha dgamma[1]"):
        assert any(needed in eq for eq in equations), needed
    checked = [s for s in e.steps if s.phase == "backward"]
    assert checked and all(s.verdict == "ok" for s in checked), [(s.equation, s.check) for s in checked]
    Zt = next(s.value for s in e.steps if s.equation.startswith("Z~[1]"))
    np.testing.assert_allclose(Zt.mean(axis=1), 0, atol=1e-12)  # gamma = 1, beta = 0: mean 0 and variance ~1
    np.testing.assert_allclose(Zt.var(axis=1), 1 / (1 + EPSILON / Zt.var(axis=1)), rtol=1e-3)
    assert "\\gamma" in e._repr_markdown_() and "<math" in e._repr_html_()


def test_explain_refuses_one_example_with_batch_norm(capsys):
    code, _, err = command(capsys, "explain", "--batch-norm", "-m", "1")
    assert code == 2 and err.startswith("deepstep explain: error: X: batch normalization")


def test_the_commands_check_and_explain_a_normalized_network(capsys):
    code, out, err = command(capsys, "gradcheck", "--batch-norm", "--keep-prob", "0.8", "--l2", "0.3")
    assert code == 0 and "gamma1" in out and "beta2" in out and "PASS" in out, err
    code, out, err = command(capsys, "explain", "--batch-norm", "-m", "3", "--layers", "2,3,1")
    assert code == 0 and "Z_norm" in out and "dgamma[1]" in out, err


# -- what an independent review found ------------------------------------------------------------------------------
def test_the_command_takes_the_plain_path_on_wide_data_with_batch_norm(tmp_path, capsys, rng):
    X = rng.standard_normal((300, 60))
    np.savez(tmp_path / "wide.npz", X=X, Y=(X[:1] > 0).astype(int))  # more features than examples: Gram pays off
    code, out, err = command(capsys, "train", "--dataset", tmp_path / "wide.npz", "--layers", "300,8,1",
                             "--batch-norm", "--iterations", "5", "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    assert ds.DeepNetwork.load(tmp_path / "run" / "model.npz").history.method == "plain"


def test_the_estimators_take_one_choice_per_hidden_layer_as_the_network_does(rng):
    from sklearn.base import clone

    from deepstep.sklearn import DeepClassifier, DeepRegressor

    X = rng.standard_normal((120, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = DeepClassifier(hidden_layer_sizes=(8, 6), batch_norm=(False, True), random_state=0, num_iterations=20)
    clf.fit(X, y)
    assert clf.network_.batch_norm == [2] and sorted(k for k in clf.network_.parameters if "gamma" in k) == ["gamma2"]
    same = ds.DeepNetwork([3, 8, 6, 2], output_activation="softmax", batch_norm=[False, True], rng=0)
    assert sorted(same.parameters) == sorted(clf.network_.parameters)
    assert clone(clf).get_params()["batch_norm"] == (False, True)
    clf.set_params(batch_norm=(True, False), warm_start=True)  # another layer than the fitted network's
    with pytest.raises(ds.DeepstepError, match="^batch_norm: .*hidden layers \\[2\\]"):
        clf.fit(X, y)
    for wrong, named in (((True,), "batch_norm"), ((True, "yes"), "batch_norm")):
        with pytest.raises(ds.DeepstepError, match=f"^{named}: "):
            DeepRegressor(hidden_layer_sizes=(4, 4), batch_norm=wrong).fit(X, X[:, 0])


def test_a_lone_last_example_joins_the_batch_before_it(rng):
    """m = 65 in batches of 32: 32 and 33 (not 32, 32 and 1, whose variance would be 0): two steps an epoch, as the
    optimizer's step count shows; without batch normalization, three."""
    X, Y = rng.standard_normal((2, 65)), (rng.random((1, 65)) > 0.5).astype(int)
    for batch_norm, steps in ((True, 2), (False, 3)):
        net = ds.DeepNetwork([2, 4, 1], batch_norm=batch_norm, rng=1)
        net.fit(X, Y, 0.01, 3, batch_size=32, optimizer="adam")
        assert net.optimizer.t == 3 * steps
    sklearn = pytest.importorskip("deepstep.sklearn")
    X201 = rng.standard_normal((201, 3))
    est = sklearn.DeepClassifier(hidden_layer_sizes=(4,), batch_norm=True, num_iterations=2, random_state=0)
    est.fit(X201, (X201[:, 0] > 0).astype(int))  # the default batch_size 200: 201 = 200 + 1
    assert est.network_.optimizer.t == 2


@pytest.mark.parametrize(("m", "batch_size", "named"), [(40, 1, "batch_size"), (1, None, "X")])
def test_a_batch_of_one_example_is_refused_with_batch_norm(m, batch_size, named, rng):
    X, Y = rng.standard_normal((2, m)), (rng.random((1, m)) > 0.5).astype(int)
    net = ds.DeepNetwork([2, 4, 1], batch_norm=True, rng=1)
    before = {k: v.copy() for k, v in net.parameters.items()}
    with pytest.raises(ds.DeepstepError, match=f"^{named}: .*2 examples"):
        net.fit(X, Y, 0.1, 2, batch_size=batch_size)
    assert all(np.array_equal(net.parameters[k], v) for k, v in before.items())  # nothing changed


def test_early_stopping_puts_back_the_best_epochs_running_averages(rng):
    from deepstep.callbacks import EarlyStopping

    X = rng.standard_normal((3, 120)) * 3
    Y = (X[:1] + 0.5 * rng.standard_normal((1, 120)) > 0).astype(int)
    net = ds.DeepNetwork([3, 8, 1], batch_norm=True, rng=4)
    stop = EarlyStopping(patience=3)
    net.fit(X, Y, 0.5, 300, batch_size=40, optimizer="adam", validation_fraction=0.3, callbacks=[stop])
    assert stop.stopped_epoch is not None
    for key in ("running_mean1", "running_var1"):
        np.testing.assert_array_equal(net.layer_state[key], stop.best_parameters[key])
    np.testing.assert_array_equal(net.parameters["W1"], stop.best_parameters["W1"])


def test_batch_norm_is_refused_where_it_does_not_belong(rng):
    net = ds.DeepNetwork([2, 4, 1], batch_norm=True, rng=1)
    with pytest.raises(ds.DeepstepError, match="^parameters: .*running averages"):
        ds.predict_forward(rng.standard_normal((2, 3)), dict(net.parameters))
    with pytest.raises(ds.DeepstepError, match="^parameters: .*output layer"):
        ds.DeepNetwork.from_parameters({"W1": np.ones((3, 2)), "gamma1": np.ones((3, 1)), "beta1": np.zeros((3, 1)),
                                        "W2": np.ones((1, 3)), "gamma2": np.ones((1, 1)), "beta2": np.zeros((1, 1))})
    with pytest.raises(ds.DeepstepError, match="^batch_norm: .*no"):
        ds.DeepNetwork([2, 1], batch_norm=True)


def test_the_notebook_view_counts_gamma_and_beta():
    html = ds.DeepNetwork([3, 4, 1], batch_norm=True)._repr_html_()
    assert "gamma, beta (4, 1)" in html and "<td>20</td>" in html  # 4 x 3 + 4 + 4
    assert "total</td><td>25</td>" in html  # and the output layer's 4 + 1


def test_info_counts_and_the_courses_dense_functions_refuse_batch_norm(capsys):
    code, out, _ = command(capsys, "info", "--layers", "5,4,1", "-m", "3", "--batch-norm")
    assert code == 0 and "gamma[l], beta[l] in place of b[l]" in out
    assert "total parameters: 33" in out  # W1 4 x 5 + gamma1 4 + beta1 4 = 28, then W2 1 x 4 + b2 1 = 5
    P = dict(ds.DeepNetwork([2, 3, 1], batch_norm=True).parameters)
    for call in (lambda: ds.L_model_forward(np.ones((2, 3)), P), lambda: ds.update_parameters_with_gd(P, {}, 0.1),
                 lambda: ds.forward_propagation_with_dropout(np.ones((2, 3)), P)):
        with pytest.raises(ds.DeepstepError, match="^parameters: .*dense layers"):
            call()
