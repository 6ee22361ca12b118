"""Resource bounds proportional to the machine, and checks that never call a gradient "ok" they could not see
(issue 17): gradient checks of large networks sample a bounded number of entries and say how many; training and
explain estimate their memory before allocating and refuse in one line what does not fit; prediction over many
examples runs in bounded chunks; ONNX opsets beyond what the file format carries are refused."""

from __future__ import annotations

import time

import numpy as np
import pytest

import deepstep as ds
from deepstep import cli, engine, limits
from deepstep.errors import DeepstepError
from deepstep.gradcheck import entries_checked, gradient_check_details


def deepstep(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# -- explain's verdicts ------------------------------------------------------------------------------------------


def test_explain_never_calls_a_gradient_it_cannot_see_ok():
    """The issue's finding: `explain --l2 1e308` printed "nan ok" and "every gradient ok". The cost is ~1e308
    there, so rounding swamps every finite difference: each gradient is n/a and the summary claims nothing."""
    X, Y = ds.datasets.make_planar(m=4, rng=1)
    net = ds.DeepNetwork([2, 4, 1], "tanh", rng=2)
    e = ds.explain(net, X, Y, learning_rate=1.2, l2=1e308)
    verdicts = {s.verdict for s in e.steps if s.verdict is not None}
    assert "ok" not in verdicts and verdicts <= {"n/a", "WRONG", "doubtful"}
    assert e.checks_pass is not True
    assert "every gradient ok" not in str(e)


def test_explain_cli_with_a_huge_l2_claims_no_check(capsys):
    status, out, err = deepstep(capsys, "explain", "--l2", "1e308")
    assert status == 0, err
    assert " ok" not in out and "nan ok" not in out
    assert "could not be checked" in out.splitlines()[-1]


@pytest.mark.parametrize(("error", "difference", "noise", "scale", "size", "expected"), [
    (float("nan"), 0.0, 1e-9, 1.0, 1.0, "n/a"),       # a non-finite check is never ok
    (0.1, float("inf"), 1e-9, 1.0, 1.0, "n/a"),
    (1e-9, 1e-12, 1e-9, 1.0, 1.0, "ok"),              # below the tolerance
    (1.0, 1e-12, 1e-9, 1.0, 1e-17, "ok"),             # zero within rounding (a dead unit's db)
    (1.0, 0.06, 1e298, 1.0, 0.06, "n/a"),             # "within rounding" of a cost of 1e307: not a check
    (1e-3, 1e-5, 1e-4, 1.0, 0.01, "n/a"),             # a real error of 1e-5 hides in rounding of 1e-4: not ok
    (1.0, 1e-7, 1e-6, 1e-4, 1e-7, "n/a"),             # zero within rounding, but rounding too coarse to say so
    (1e-5, 1e-3, 1e-9, 1.0, 1.0, "doubtful"),
    (0.5, 1.0, 1e-9, 1.0, 1.0, "WRONG"),
])
def test_verdict_rules(error, difference, noise, scale, size, expected):
    from deepstep.explain import _verdict

    assert _verdict(error, difference, 1e-7, noise, scale, size) == expected


def test_explain_does_not_call_a_planted_error_hidden_by_rounding_ok(monkeypatch):
    """The review's case: db gets +1e-5 on purpose; with L2 = 1e5 the cost is large and rounding hides an error
    of that size: the verdict is n/a (or worse), never ok, and the summary never says every gradient is ok."""
    import importlib

    backward_module = importlib.import_module("deepstep.core.layers")  # explain back-propagates through the layers
    real = backward_module.weight_gradients

    def planted(dZ, A_prev, *args, **kwargs):
        dW, db = real(dZ, A_prev, *args, **kwargs)
        return dW, db + 1e-5

    monkeypatch.setattr(backward_module, "weight_gradients", planted)
    X, Y = ds.datasets.make_planar(m=4, rng=1)
    for l2 in (0.0, 1e5):
        e = ds.explain(ds.DeepNetwork([2, 4, 1], "tanh", rng=2), X, Y, l2=l2)
        db = [s for s in e.steps if s.equation.startswith("db[")]
        assert db and all(s.verdict != "ok" for s in db), l2
        assert e.checks_pass is not True and "every gradient ok" not in str(e)


def test_explain_shows_the_mean_of_values_near_the_float_range_without_a_warning():
    import warnings

    from deepstep.explain import _value_lines

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        line = _value_lines("W", np.full((10, 10), 1.7e308) * np.array([1.0, -0.5] * 5), "")[0]
    assert "mean 4.25e307" in line  # (0.25 * 1.7e308, its exponent as written by hand)


def test_a_partly_unchecked_explanation_says_how_many(monkeypatch):
    """Some gradients n/a, the rest ok: checks_pass is None (not True) and the summary counts the n/a ones."""
    import importlib

    explain_module = importlib.import_module("deepstep.explain")

    real = explain_module._verdict
    calls = []

    def first_unchecked(*args):
        calls.append(args)
        return "n/a" if len(calls) == 1 else real(*args)

    monkeypatch.setattr(explain_module, "_verdict", first_unchecked)
    X, Y = ds.datasets.make_planar(m=4, rng=1)
    e = ds.explain(ds.DeepNetwork([2, 3, 1], "tanh", rng=0), X, Y)
    assert e.unchecked == 1 and e.checks_pass is None
    assert "1 could not be checked" in e.summary()


# -- gradient checks of large networks ---------------------------------------------------------------------------


def test_small_networks_check_every_entry_and_large_ones_a_bounded_sample():
    small = {"W1": (5, 4), "b1": (5, 1), "W2": (1, 5), "b2": (1, 1)}
    assert entries_checked(small) == {"W1": 20, "b1": 5, "W2": 5, "b2": 1}
    big = {"W1": (2000, 2000), "b1": (2000, 1), "W2": (1, 2000), "b2": (1, 1)}
    assert entries_checked(big) == {"W1": 100, "b1": 100, "W2": 100, "b2": 1}
    assert entries_checked(big, None)["W1"] == 4_000_000
    assert entries_checked(big, 7) == {"W1": 7, "b1": 7, "W2": 7, "b2": 1}
    for bad in (0, -1, 2.5, "all"):
        with pytest.raises(DeepstepError) as e:
            gradient_check_details({"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}, np.ones((2, 3)),
                                   np.array([[0, 1, 0]]), max_checked=bad)
        assert str(e.value).startswith("max_checked:")


def test_a_sample_of_every_entry_is_the_whole_check():
    rng = np.random.default_rng(0)
    params = ds.initialize_parameters([4, 5, 3, 1], init="xavier", rng=rng)
    X, Y = rng.standard_normal((4, 6)), np.array([[0, 1, 1, 0, 1, 0]])
    whole = gradient_check_details(params, X, Y, "tanh", max_checked=None)
    sampled = gradient_check_details(params, X, Y, "tanh", max_checked=20)  # 20 >= every parameter's size
    assert whole == sampled and whole[0] < 1e-7


def test_a_sampled_check_still_catches_a_wrong_gradient(monkeypatch):
    """Back-propagation with dW1 doubled: a sample of 5 of W1's entries shows it as plainly as all of them."""
    from deepstep import gradcheck

    real = gradcheck.backpropagate

    def doubled(*args, **kwargs):
        grads = real(*args, **kwargs)
        grads["dW1"] = 2 * grads["dW1"]
        return grads

    monkeypatch.setattr(gradcheck, "backpropagate", doubled)
    rng = np.random.default_rng(1)
    params = ds.initialize_parameters([30, 20, 1], init="xavier", rng=rng)
    X, Y = rng.standard_normal((30, 4)), np.array([[0, 1, 1, 0]])
    _, per = gradient_check_details(params, X, Y, "tanh", max_checked=5, rng=3)
    assert per["W1"] == pytest.approx(1 / 3, rel=1e-6)  # ||2g - g|| / (||2g|| + ||g||)
    assert per["b1"] < 1e-7


def test_gradcheck_of_a_four_million_parameter_network_takes_seconds_and_says_it_sampled(capsys):
    """The issue's finding: gradcheck of a 4-million-parameter network checked every parameter (hours)."""
    start = time.process_time()
    status, out, err = deepstep(capsys, "gradcheck", "--layers", "2000,2000,1", "-m", "2")
    assert time.process_time() - start < 60
    assert status == 0, err
    assert "100 of 4,000,000" in out
    assert "a sample: 301 of 4,004,001 entries" in out


def test_gradcheck_refuses_a_non_finite_check_in_one_line(capsys, monkeypatch):
    from deepstep import gradcheck

    monkeypatch.setattr(gradcheck, "_check", lambda *a, **k: (float("nan"), {"W1": float("nan"), "b1": 0.0,
                                                                          "W2": 0.0, "b2": 0.0}))
    status, out, err = deepstep(capsys, "gradcheck", "--layers", "2,2,1")
    assert status == 2 and "PASS" not in out and err.count("\n") == 1 and "gradient_check" in err


# -- memory -------------------------------------------------------------------------------------------------------


def test_training_that_cannot_fit_in_memory_is_refused_before_anything_changes(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 50 * 2**20)  # 50 MiB
    net = ds.DeepNetwork([2, 3000, 3000, 1], rng=0)  # 9 M parameters: 72 MB, the gradients as much again
    before = {k: v.copy() for k, v in net.parameters.items()}
    X, Y = ds.datasets.make_planar(m=20, rng=1)
    with pytest.raises(DeepstepError) as e:
        net.fit(X, Y, learning_rate=0.1, num_iterations=1)
    assert str(e.value).startswith("layer_dims:")
    assert net.history.cost == [] and all(np.array_equal(before[k], net.parameters[k]) for k in before)


@pytest.mark.parametrize("loaded", [False, True])
def test_the_memory_check_counts_starting_the_compiled_loops_once_per_process(loaded, monkeypatch):
    """A run that takes the compiled loops (deepstep.core.compiled: Adam over many updates) adds numba's ~150 MiB
    where numba is not yet imported in the process; the same run with the loops off, or in a process that holds
    numba already, fits in what is left."""
    from deepstep.core import compiled

    net = ds.DeepNetwork([2, 64, 64, 1], rng=0)
    X, Y = ds.datasets.make_planar(m=400, rng=1)
    held = sum(limits.training_bytes(net.layer_dims, 400, 4, 8, 2, m_signals=400))
    # room for the run and a third of numba: the check's fraction of the memory "available"
    monkeypatch.setattr(limits, "available_memory",
                        lambda: int((held + compiled.START_BYTES / 3) / limits.MEMORY_FRACTION))
    monkeypatch.setattr(compiled, "start_bytes", lambda: 0 if loaded else compiled.START_BYTES)
    monkeypatch.setattr(compiled, "START_S", 0.0)  # (any saving pays: the loops are taken where enabled)
    fit = dict(learning_rate=0.01, num_iterations=1, batch_size=4, optimizer="adam")
    before = {k: v.copy() for k, v in net.parameters.items()}
    if loaded or not compiled.available():
        net.fit(X, Y, **fit)
        return
    with pytest.raises(DeepstepError) as e:
        net.fit(X, Y, **fit)
    assert str(e.value).startswith("layer_dims:")
    assert net.history.cost == [] and all(np.array_equal(before[k], net.parameters[k]) for k in before)
    monkeypatch.setattr(compiled, "ENABLED", False)
    net.fit(X, Y, **fit)  # without the loops it fits
    monkeypatch.setattr(compiled, "ENABLED", True)
    # gradient descent in mini-batches takes the folded step (its update one pass already): no numba counted; with L2
    # it takes the flat update, and the compiled loop where it pays
    ds.DeepNetwork([2, 64, 64, 1], rng=0).fit(X, Y, 0.01, 1, batch_size=4)
    with pytest.raises(DeepstepError, match="^layer_dims:"):
        ds.DeepNetwork([2, 64, 64, 1], rng=0).fit(X, Y, 0.01, 1, batch_size=4, l2=0.1)


def test_activations_that_cannot_fit_name_the_examples(monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 2**20)
    X = np.zeros((2, 20_000))
    Y = (np.arange(20_000) % 2)[np.newaxis, :]
    with pytest.raises(DeepstepError) as e:
        ds.DeepNetwork([2, 50, 1], rng=0).fit(X, Y, learning_rate=0.1, num_iterations=1)
    assert str(e.value).startswith("X:")
    with pytest.raises(DeepstepError) as e:
        ds.DeepNetwork([2, 50, 1], rng=0).fit(X, Y, learning_rate=0.1, num_iterations=1, batch_size=10_000)
    assert str(e.value).startswith("batch_size:")


def test_train_and_explain_refuse_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(limits, "available_memory", lambda: 50 * 2**20)
    status, out, err = deepstep(capsys, "train", "--layers", "2,3000,3000,1", "--iterations", "1", "--out",
                                tmp_path / "run", "--quiet")
    assert status == 2 and err.count("\n") == 1 and "layer_dims" in err
    assert not (tmp_path / "run" / "model.npz").exists()
    status, out, err = deepstep(capsys, "explain", "--layers", "2,3000,3000,1")
    assert status == 2 and err.count("\n") == 1 and "error: net:" in err


def test_the_memory_estimate_is_an_upper_bound_of_what_training_holds():
    """tracemalloc's peak over a short fit stays below the estimate (both above the network and data)."""
    import tracemalloc

    X, Y = ds.datasets.make_moons(m=1024, rng=0)
    for dims in ([2, 256, 256, 1], [2, 1024, 1024, 1]):
        for optimizer, slots in (("gd", 0), ("momentum", 1), ("adam", 2)):
            for batch in (64, None):
                net = ds.DeepNetwork(dims, rng=0)
                tracemalloc.start()
                net.fit(X, Y, learning_rate=0.01, num_iterations=2, batch_size=batch, optimizer=optimizer,
                        validation_fraction=0.25)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                estimate = sum(limits.training_bytes(dims, 768, batch, 8, slots, m_validation=256, m_signals=768))
                assert peak < estimate < 4 * peak, (dims, optimizer, batch)


def test_the_available_memory_is_read_from_the_system():
    avail = limits.available_memory()
    assert avail is None or 0 < avail


# -- prediction in chunks ------------------------------------------------------------------------------------------


def test_prediction_in_chunks_equals_prediction_at_once(monkeypatch):
    rng = np.random.default_rng(4)
    net = ds.DeepNetwork([3, 40, 7, 3], "tanh", output_activation="softmax", rng=1)
    X = rng.standard_normal((3, 1001))
    whole = net.predict_proba(X)
    monkeypatch.setattr(engine, "PREDICT_CHUNK_VALUES", 40 * 64)  # 64 columns at a time, the last one short
    chunked = net.predict_proba(X)
    np.testing.assert_allclose(chunked, whole, rtol=1e-14, atol=0)
    AL, _ = ds.model_forward(X, net.parameters, "tanh", "softmax")
    np.testing.assert_allclose(chunked, AL, rtol=1e-14, atol=0)


def test_a_large_networks_decision_boundary_is_drawn_on_a_coarser_grid(monkeypatch):
    pytest.importorskip("matplotlib")
    from deepstep import plots

    seen = []
    net = ds.DeepNetwork([2, 300, 1], rng=0)
    real = net.predict
    monkeypatch.setattr(net, "predict", lambda X: seen.append(X.shape[1]) or real(X))
    monkeypatch.setattr(plots, "MAX_GRID_WORK", 1201 * 50 * 50)  # parameters x points
    X, Y = ds.datasets.make_planar(m=20, rng=1)
    plots.plot_decision_boundary(net, X, Y, resolution=300)
    assert seen == [50 * 50]


def test_the_explain_estimate_refuses_a_network_too_big_to_write_out():
    """The issue's 144M-parameter case, without allocating it: the estimate alone refuses it on a machine with
    less than its ~18 GiB free for explain."""
    dims = [2, 12000, 12000, 1]
    assert limits.parameter_count(dims) > 144_000_000
    assert limits.explain_bytes(dims, 4) > 16 * 144_000_000 * 8


def test_a_float32_network_refuses_a_feature_that_would_vanish():
    """Values of 1e-50 become 0 in float32: a feature made of them would be silently zeroed (estimators' review)."""
    X = np.vstack([np.linspace(-1, 1, 6), np.array([1e-50, -2e-50, 3e-50, 0.0, 1e-50, -1e-50])])
    X0 = X.copy()
    net = ds.DeepNetwork([2, 3, 1], rng=0, dtype="float32")
    with pytest.raises(DeepstepError) as e:
        net.predict(X)
    assert str(e.value).startswith("X:") and "row 1" in str(e.value)
    np.testing.assert_array_equal(X, X0)
    X[1, 0] = 1.0  # one value float32 holds: the feature is there, the tiny ones are negligible beside it
    assert net.predict(X).shape == (1, 6)


def test_inputs_that_overflow_before_any_update_are_named_not_the_learning_rate():
    """A cost that is not finite at the starting parameters is the inputs' doing: the error names X."""
    X = np.array([[3e38, -3e38, 2e38, -1e38], [1.0, 2.0, 3.0, 4.0]])
    Y = np.array([[0, 1, 0, 1]])
    net = ds.DeepNetwork([2, 3, 1], "relu", rng=0, dtype="float32")
    with pytest.raises(DeepstepError) as e:
        net.fit(X, Y, learning_rate=1e-9, num_iterations=3)
    assert str(e.value).startswith("X:")
    with pytest.raises(DeepstepError) as e:  # a run that diverges by its updates still names the learning rate
        ds.DeepNetwork([2, 4, 1], "relu", rng=0).fit(*ds.datasets.make_planar(m=40, rng=1), learning_rate=1e6,
                                                     num_iterations=300)
    assert str(e.value).startswith("learning_rate:")


@pytest.mark.parametrize("size", [1e-200, 1.0, 1e299, 1e307])
def test_regression_metrics_of_targets_of_any_size(size):
    """The review's case: targets near 1e299 trained, then 'expected values whose squares are finite'. R^2 is the
    same of Y and A scaled together; MAE and RMSE scale with them (values worked out at size 1)."""
    import warnings

    from deepstep.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    Y = np.array([[1.0, -2.0, 3.0, 0.5]])
    A = np.array([[1.5, -1.0, 2.0, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r2 = r2_score(Y * size, A * size)
        mae = mean_absolute_error(Y * size, A * size)
        rmse = root_mean_squared_error(Y * size, A * size)
    # by hand: residual 0.25 + 1 + 1 + 0 = 2.25; mean 0.625, total 0.140625 + 6.890625 + 5.640625 + 0.015625 = 12.6875
    assert r2 == pytest.approx(1 - 2.25 / 12.6875, rel=1e-14)
    assert mae == pytest.approx(2.5 / 4 * size, rel=1e-14)
    assert rmse == pytest.approx(np.sqrt(2.25 / 4) * size, rel=1e-14)


def test_gradcheck_cli_fails_a_wrong_small_parameter_the_pooled_error_hides(capsys, monkeypatch):
    """db1 doubled: its relative error is 1/3 while W's dominate the pooled error; the verdict is per parameter."""
    from deepstep import gradcheck

    real = gradcheck.backpropagate

    def doubled(*args, **kwargs):
        grads = real(*args, **kwargs)
        grads["db1"] = 2 * grads["db1"]
        return grads

    monkeypatch.setattr(gradcheck, "backpropagate", doubled)
    status, out, _ = deepstep(capsys, "gradcheck", "--layers", "40,30,1")
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith(("W", "b"))}
    assert status == 1 and rows["b1"].rstrip().endswith("FAIL") and not rows["W1"].rstrip().endswith("FAIL")
