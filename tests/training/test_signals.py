"""Per-layer signals and the course's diagnosis: each figure against an independent computation, and the readings
the course teaches on networks where the answer is known."""

import numpy as np
import pytest

import deepstep as ds
from deepstep.training import signals as sig
from deepstep.training.callbacks import LayerSignals


def moons(m=200, seed=0):
    return ds.datasets.make_moons(m=m, noise=0.2, rng=seed)


def test_each_figure_of_a_record_is_the_one_computed_by_hand():
    X, Y = moons(m=50)
    net = ds.DeepNetwork([2, 5, 4, 1], hidden_activation="tanh", rng=1)
    P = {k: v.copy() for k, v in net.parameters.items()}
    before = {k: v + 0.01 for k, v in P.items() if k[0] == "W"}
    got = sig.layer_signals(P, net.hidden, net.output, X, Y, before)
    # by hand: the course's forward pass and backward pass of the data cost
    A0 = X
    Z1 = P["W1"] @ A0 + P["b1"]
    A1 = np.tanh(Z1)
    Z2 = P["W2"] @ A1 + P["b2"]
    A2 = np.tanh(Z2)
    Z3 = P["W3"] @ A2 + P["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    m = X.shape[1]
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    dZ2 = (P["W3"].T @ dZ3) * (1 - A2**2)
    dW2 = dZ2 @ A1.T / m
    dZ1 = (P["W2"].T @ dZ2) * (1 - A1**2)
    dW1 = dZ1 @ A0.T / m
    for l, (W, dW, Z, A) in enumerate([(P["W1"], dW1, Z1, A1), (P["W2"], dW2, Z2, A2), (P["W3"], dW3, Z3, A3)]):
        assert got["W_norm"][l] == pytest.approx(np.sqrt((W**2).sum()), rel=1e-12)
        assert got["dW_norm"][l] == pytest.approx(np.sqrt((dW**2).sum()), rel=1e-10)
        assert got["update_norm"][l] == pytest.approx(0.01 * np.sqrt(W.size), rel=1e-9)
        assert got["update_ratio"][l] == pytest.approx(got["update_norm"][l] / got["W_norm"][l], rel=1e-12)
        assert got["Z_mean"][l] == pytest.approx(Z.mean(), rel=1e-10, abs=1e-14)
        assert got["Z_std"][l] == pytest.approx(Z.std(), rel=1e-10)
        assert got["A_mean"][l] == pytest.approx(A.mean(), rel=1e-10, abs=1e-14)
        assert got["A_std"][l] == pytest.approx(A.std(), rel=1e-10)
    for l, A in enumerate([A1, A2]):
        assert got["saturated"][l] == pytest.approx(np.mean(np.abs(A) > 0.99))
    assert got["saturated"][2] is None and got["dead"] == [None, None, None]


def test_dead_relu_units_are_those_zero_for_every_example():
    gen = np.random.default_rng(0)
    X = gen.standard_normal((3, 40))
    Y = (X[:1] > 0) * 1.0
    net = ds.DeepNetwork([3, 6, 1], rng=0)
    P = net.parameters.copy()
    P["b1"][:3] = -100.0  # units 0, 1, 2 never fire: dead
    got = sig.layer_signals(P, net.hidden, net.output, X, Y)
    A1 = np.maximum(P["W1"] @ X + P["b1"], 0)
    assert got["dead"][0] == pytest.approx(np.mean((A1 == 0).all(axis=1))) and got["dead"][0] >= 0.5


def test_fit_records_signals_at_the_first_and_last_epochs_and_every_n_between():
    X, Y = moons()
    net = ds.DeepNetwork([2, 8, 8, 1], rng=0)
    h = net.fit(X, Y, 0.5, 45, signals=10)
    assert h.signals["epoch"] == [0, 10, 20, 30, 40, 44]
    short = ds.DeepNetwork([2, 8, 8, 1], rng=0).fit(X, Y, 0.5, 25, signals=10)
    assert short.signals["epoch"] == [10, 20, 24]  # (shorter than four periods: no record of the first epoch)
    assert set(sig.SIGNALS) < set(h.signals)
    assert all(len(r) == 3 for r in h.signals["W_norm"])
    # the last record is of the parameters the run ended with
    last = sig.layer_signals(net.parameters, net.hidden, net.output, X, Y)
    assert h.signals["W_norm"][-1] == pytest.approx(last["W_norm"], rel=1e-12)
    assert h.signals["dW_norm"][-1] == pytest.approx(last["dW_norm"], rel=1e-12)
    h2 = net.fit(X, Y, 0.5, 5, signals=False)
    assert not h2.signals and net.history.signals["epoch"] == [0, 10, 20, 30, 40, 44]


def test_recording_signals_changes_nothing_of_the_training():
    X, Y = moons()
    runs = []
    for signals in (True, 1, False):
        net = ds.DeepNetwork([2, 8, 8, 1], rng=0)
        h = net.fit(X, Y, 0.3, 30, batch_size=32, keep_prob=0.8, signals=signals)
        runs.append((h.cost, net.parameters["W1"].copy()))
    for cost, W1 in runs[1:]:
        assert cost == runs[0][0]
        np.testing.assert_array_equal(W1, runs[0][1])


def test_signals_survive_the_model_file_and_a_divergence_drops_the_records_it_takes_back(tmp_path):
    X, Y = moons()
    net = ds.DeepNetwork([2, 8, 1], rng=0)
    net.fit(X, Y, 0.5, 16, signals=4)
    net.save(tmp_path / "m.npz")
    back = ds.load_model(tmp_path / "m.npz")
    assert back.history.signals == net.history.signals
    h = ds.training.History()
    h.load_state_dict(net.history.state_dict())
    assert h.signals["epoch"] == [0, 4, 8, 12, 15]
    h.truncate(5)
    assert h.signals["epoch"] == [0, 4] and len(h.signals["W_norm"]) == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "often", None])
def test_a_bad_signals_setting_is_refused_by_name(bad):
    X, Y = moons(m=20)
    with pytest.raises(ds.DeepstepError, match=r"^signals: "):
        ds.DeepNetwork([2, 3, 1], rng=0).fit(X, Y, 0.1, 2, signals=bad)


# -- the course's readings, where the answer is known --------------------------------------------------


def test_a_deep_sigmoid_network_with_small_weights_has_vanishing_gradients_in_its_first_layers():
    X, Y = moons()
    dims = [2] + [10] * 9 + [1]
    net = ds.DeepNetwork(dims, hidden_activation="sigmoid", init="small", rng=0)  # 0.01 * randn: small
    net.fit(X, Y, 0.1, 3)
    d = net.diagnosis()
    grads = net.history.signals["dW_norm"][-1]
    expected = [l for l, g in enumerate(grads[:-1], 1) if g < 1e-3 * grads[-1]]  # counted here, from the norms
    assert d["vanishing_layers"] == expected and d["vanishing_layers"][:3] == [1, 2, 3]
    assert any(line.startswith("vanishing gradients") and "He initialization" in line for line in d["advice"])


def test_the_same_depth_with_he_initialization_and_relu_does_not_vanish():
    X, Y = moons()
    net = ds.DeepNetwork([2] + [10] * 9 + [1], hidden_activation="relu", init="he", rng=0)
    net.fit(X, Y, 0.01, 3)
    assert net.diagnosis()["vanishing_layers"] == []


def test_a_relu_network_pushed_by_a_huge_learning_rate_reports_its_dead_units():
    X, Y = moons(m=300)
    net = ds.DeepNetwork([2, 50, 50, 1], rng=3)
    try:
        net.fit(X, Y, 30.0, 20)
    except ds.TrainingDiverged:
        pass
    d = net.diagnosis()
    A1 = np.maximum(net.parameters["W1"] @ X + net.parameters["b1"], 0)  # counted independently: units never firing
    dead1 = float(np.mean(~(A1 > 0).any(axis=1)))
    assert dead1 > 0.2
    assert d["dead_relu"]["1"] == pytest.approx(dead1)


def test_one_hidden_unit_on_the_planar_data_reads_high_bias():
    X, Y = ds.datasets.make_planar(m=400, rng=1)
    net = ds.DeepNetwork([2, 1, 1], hidden_activation="tanh", rng=0)
    net.fit(X, Y, 1.2, 2000, validation_fraction=0.25)
    d = net.diagnosis()
    assert d["bias_variance"] == "high bias"
    assert d["train_error"] == pytest.approx(1 - net.history.accuracy[-1])
    assert any(line.startswith("high bias") and "bigger network" in line for line in d["advice"])


def test_a_wide_network_on_twenty_examples_reads_high_variance():
    X, Y = moons(m=40, seed=3)
    net = ds.DeepNetwork([2, 200, 200, 1], rng=0)
    net.fit(X, Y, 0.05, 800, optimizer="adam", validation_fraction=0.5)  # 20 to train on, 20 to validate
    d = net.diagnosis()
    assert net.history.accuracy[-1] == 1.0
    assert d["bias_variance"] == "high variance"
    assert any(line.startswith("high variance") and "regularization" in line for line in d["advice"])


@pytest.mark.parametrize(
    ("train", "dev", "baseline", "reading"),
    [  # the course's four examples (errors in %, a baseline near 0) and one with a human-level error
        (0.01, 0.11, 0.0, "high variance"),
        (0.15, 0.16, 0.0, "high bias"),
        (0.15, 0.30, 0.0, "high bias and high variance"),
        (0.005, 0.01, 0.0, "neither"),
        (0.15, 0.16, 0.14, "neither"),  # 15% is near a human-level 14%: no avoidable bias
    ],
)
def test_bias_and_variance_are_read_as_the_course_reads_them(train, dev, baseline, reading):
    d = sig.diagnosis(ds.training.History(), True, baseline, train_error=train, dev_error=dev)
    assert d["bias_variance"] == reading


def test_without_validation_scores_bias_and_variance_are_not_read():
    assert sig.diagnosis(ds.training.History(), True)["bias_variance"] is None


@pytest.mark.parametrize("bad", [-0.1, 1.5, "low", float("nan")])
def test_a_bad_baseline_error_is_refused_by_name(bad):
    with pytest.raises(ds.DeepstepError, match=r"^baseline_error: "):
        sig.diagnosis(ds.training.History(), True, bad)


def test_explain_shows_the_signals_of_its_step():
    X, Y = moons(m=40)
    net = ds.DeepNetwork([2, 4, 3, 1], hidden_activation="tanh", rng=0)
    e = ds.explain(net, X, Y, learning_rate=0.5)
    dW = {s.layer: s.value for s in e.steps if s.phase == "backward" and s.equation.startswith(f"dW[{s.layer}]")}
    for l in (1, 2, 3):
        W = net.parameters[f"W{l}"]
        assert e.signals["W_norm"][l - 1] == pytest.approx(np.linalg.norm(W), rel=1e-12)
        assert e.signals["dW_norm"][l - 1] == pytest.approx(np.linalg.norm(dW[l]), rel=1e-10)
        # gradient descent: the update is alpha dW
        assert e.signals["update_ratio"][l - 1] == pytest.approx(0.5 * np.linalg.norm(dW[l]) / np.linalg.norm(W),
                                                                 rel=1e-10)
    for form in ("text", "markdown", "html"):
        assert "Per-layer signals" in e.render(form)


def test_every_layer_exploding_together_is_reported():
    X, Y = moons()
    net = ds.DeepNetwork([2] + [10] * 9 + [1], init="he", rng=0)
    for key in net.parameters:
        if key[0] == "W":
            net.parameters[key][...] *= 3  # each layer multiplies the gradient's size: 3^9 by the first
    net.fit(X, Y, 0.01, 3)
    ratios = net.history.signals["update_ratio"][-1]
    expected = [l for l, r in enumerate(ratios, 1) if r > 1]  # an update larger than the weights themselves
    assert len(expected) >= 5 and net.diagnosis()["exploding_layers"] == expected
    calm = ds.DeepNetwork([2] + [10] * 9 + [1], init="he", rng=0)
    calm.fit(X, Y, 0.01, 3)
    assert calm.diagnosis()["exploding_layers"] == []


def test_regression_readings_speak_of_one_minus_r2():
    gen = np.random.default_rng(0)
    X = gen.standard_normal((2, 60))
    Y = X[:1] * 3 + gen.standard_normal((1, 60))
    net = ds.DeepNetwork([2, 1, 1], output_activation="linear", rng=0)
    net.fit(X, Y, 1e-6, 5, validation_fraction=0.3)
    d = net.diagnosis()
    assert d["train_error"] == pytest.approx(1 - net.history.r2[-1])
    assert all("%" not in line for line in d["advice"]) and any("1 - R^2" in line for line in d["advice"])


def test_plot_signals_refuses_an_empty_list_of_names():
    pytest.importorskip("matplotlib")
    X, Y = moons()
    h = ds.DeepNetwork([2, 3, 1], rng=0).fit(X, Y, 0.1, 3)
    with pytest.raises(ds.DeepstepError, match=r"^names: "):
        ds.plots.plot_signals(h, names=[])
    with pytest.raises(ds.DeepstepError, match=r"^names: "):
        ds.plots.plot_signals(h, names=["saturated"])  # (ReLU: no sigmoid or tanh layer)


def test_a_numpy_integer_sets_how_often_signals_are_recorded():
    X, Y = moons()
    h = ds.DeepNetwork([2, 3, 1], rng=0).fit(X, Y, 0.1, 8, signals=np.int64(2))
    assert h.signals["epoch"] == [0, 2, 4, 6, 7]


def test_saturation_is_advised_on_where_the_network_starts_saturated_not_where_training_made_it_so():
    X, Y = moons()
    raw = ds.DeepNetwork([2, 6, 1], hidden_activation="tanh", rng=0)
    raw.fit(X * 100, Y, 0.01, 20, signals=5)  # unscaled inputs: tanh saturated from the first epoch
    first = raw.history.signals["saturated"][0][0]
    assert raw.history.signals["epoch"][0] == 0 and first >= 0.5
    assert any(line.startswith("saturated units from the start: layer 1") for line in raw.diagnosis()["advice"])
    X2, Y2 = ds.datasets.make_planar(m=400, rng=1)
    trained = ds.DeepNetwork([2, 4, 1], hidden_activation="tanh", rng=0)
    trained.fit(X2, Y2, 1.2, 2000, signals=200)  # the course's flower: its units end up saturated, as they should
    d = trained.diagnosis()
    assert d["saturated"]["1"] >= 0.5 and not any(line.startswith("saturated") for line in d["advice"])


@pytest.mark.parametrize(("dtype", "rel"), [("float64", 1e-9), ("float32", 2e-3)])
@pytest.mark.parametrize("sample", [2048, 25], ids=["every example", "a sample"])
def test_a_record_of_a_first_layer_in_gram_form_is_the_dense_record_without_forming_W1(monkeypatch, dtype, rel,
                                                                                         sample):
    """Under the Gram form a record of every example measures layer 1 from the tensors (Z[1] = T X + b[1],
    ||dW[1]||^2 = <dZ[1] G, dZ[1]> / m^2, the update's norm from a copy of the tensor); the same run trained plain
    records densely, the hand-checked computation above.  Of a sample, the record is dense in both."""
    from deepstep.core import gram

    gen = np.random.default_rng(3)
    X = gen.standard_normal((300, 40))  # more features than examples: the Gram form applies
    Y = (X[:1] + 0.5 * X[1:2] > 0) * 1.0
    formed = []
    real = gram.GramTensor.__array__
    monkeypatch.setattr(gram.GramTensor, "__array__", lambda T, *a, **k: formed.append(1) or real(T, *a, **k))
    runs = {}
    for method in ("gram", "plain"):
        formed.clear()
        net = ds.DeepNetwork([300, 6, 4, 1], hidden_activation="tanh", rng=2, dtype=dtype)
        recorder = LayerSignals(every=5, sample=sample)
        h = net.fit(X, Y, 0.05, 23, method=method, callbacks=[recorder], signals=False)
        assert h.method == method
        runs[method] = (h.signals, recorder.latest_grads["dW1"], len(formed))
    (got, dW1, n_formed), (want, dW1_plain, _) = runs["gram"], runs["plain"]
    assert got["epoch"] == want["epoch"] == [0, 5, 10, 15, 20, 22]
    for name in sig.SIGNALS:
        for g, w in zip(got[name], want[name], strict=True):  # (a record per epoch, a figure per layer)
            assert (g == w) if None in g + w else g == pytest.approx(w, rel=rel, abs=1e-12), name
    assert dW1.shape == (6, 300) and dW1.dtype == dtype  # (formed from dZ[1] when read: the TensorBoard histogram)
    np.testing.assert_allclose(dW1, dW1_plain, rtol=rel, atol=1e-12)
    # W[1] formed once, at the end; a sample's dense records form it before and at each record
    assert n_formed == 1 if sample > 40 else n_formed > 6
