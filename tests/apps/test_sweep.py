"""Hyperparameter sweeps (deepstep.sweep): each run equals a hand-made fit seeded by the documented rule, the same
serially and in worker processes, whatever the grid around it; failures are recorded, bad grids refused by name."""

import hashlib
import importlib
import os
import struct

import numpy as np
import pytest

import deepstep as ds
from deepstep.sweep import SweepInterrupted, sweep

sweep_module = importlib.import_module("deepstep.sweep")  # (the package's ``sweep`` may be the function)
# a name is patched in the module that defines it: the sweep looks it up there
runs_module = importlib.import_module("deepstep.apps.sweep.runs")
pool_module = importlib.import_module("deepstep.apps.sweep.pool")

PLANAR = ds.datasets.make_planar(m=100, rng=0)


def hand_rng(seed, canonical_json):
    """The documented seed rule, written out: SeedSequence([seed, 8 little-endian uint32 of sha256(JSON)])."""
    words = struct.unpack("<8I", hashlib.sha256(canonical_json.encode()).digest())
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def assert_same_parameters(net_a, net_b):
    assert sorted(net_a.parameters) == sorted(net_b.parameters)
    for key in net_a.parameters:
        a, b = net_a.parameters[key], net_b.parameters[key]
        assert a.dtype == b.dtype and np.array_equal(a, b), key


def without_timing(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_each_run_is_a_hand_made_fit_seeded_by_the_documented_rule():
    X, Y = PLANAR
    Xv, Yv = ds.datasets.make_planar(m=40, rng=5)
    X0, Y0 = X.copy(), Y.copy()
    result = sweep(X, Y, {"hidden": [1, 3], "learning_rate": [0.5, 1.2]},
                   fixed={"hidden_activation": "tanh", "num_iterations": 30}, validation_data=(Xv, Yv), seed=7)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    assert [(r["hidden"], r["learning_rate"]) for r in result.rows] == [((1,), 0.5), ((1,), 1.2), ((3,), 0.5),
                                                                      ((3,), 1.2)]
    for row, history, net in zip(result.rows, result.histories, result.networks, strict=True):
        h, lr = row["hidden"][0], row["learning_rate"]
        # the settings that differ from the defaults, canonical JSON with sorted keys
        canonical = ('{"hidden":[H],"hidden_activation":"tanh","learning_rate":LR,"num_iterations":30,'
                     '"output_activation":"sigmoid"}').replace("H", str(h)).replace("LR", repr(lr))
        hand = ds.DeepNetwork([2, h, 1], "tanh", "sigmoid", "auto", hand_rng(7, canonical), np.float64)
        hist = hand.fit(X, Y, learning_rate=lr, num_iterations=30, validation_data=(Xv, Yv))
        assert_same_parameters(net, hand)
        assert history["cost"] == hist.cost and history["val_cost"] == hist.val_cost
        assert row["cost"] == hist.cost[-1]
        assert row["train_accuracy"] == hand.accuracy(X, Y)
        assert row["val_accuracy"] == hand.accuracy(Xv, Yv)
        assert (row["iterations"], row["status"], row["message"]) == (30, "ok", "")
        assert row["seconds"] > 0
    assert result.score_column == "val_accuracy"
    best = max(result.rows, key=lambda r: (r["val_accuracy"], -r["run"]))
    assert result.best is best
    assert result.best_network is result.networks[best["run"]]
    assert result.varying == ("hidden", "learning_rate")
    assert repr(result).startswith("SweepResult(4 runs: 4 ok; best: run ")


def test_the_seed_rule_is_the_documented_one():
    settings = {"hidden": (4,), "learning_rate": 0.5}
    assert sweep_module.settings_key(settings) == '{"hidden":[4],"learning_rate":0.5}'
    a = np.random.default_rng(sweep_module.run_seed(3, settings)).random(4)
    b = hand_rng(3, '{"hidden":[4],"learning_rate":0.5}').random(4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.random.default_rng(sweep_module.run_seed(4, settings)).random(4))


def test_serial_and_two_worker_processes_give_the_same_runs():
    X, Y = PLANAR
    Xt, Yt = ds.datasets.make_planar(m=30, rng=9)
    # mini-batches and dropout draw from each run's generator: the run's seed must travel with it
    kwargs = dict(grid={"hidden": [2, (3, 2)], "optimizer": ["gd", "adam"]},
                  fixed={"batch_size": 32, "keep_prob": 0.9, "num_iterations": 8, "learning_rate": 0.05},
                  validation_data=PLANAR, test_data=(Xt, Yt), seed=3)
    before = {k: os.environ.get(k) for k in sweep_module.BLAS_THREAD_VARIABLES}
    serial = sweep(X, Y, **kwargs)
    parallel = sweep(X, Y, n_jobs=2, **kwargs)
    assert {k: os.environ.get(k) for k in sweep_module.BLAS_THREAD_VARIABLES} == before
    assert [r["status"] for r in serial.rows] == ["ok"] * 4
    assert without_timing(serial.rows) == without_timing(parallel.rows)
    assert serial.histories == parallel.histories
    for a, b in zip(serial.networks, parallel.networks, strict=True):
        assert_same_parameters(a, b)
    assert parallel.retried == ()
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(serial.table().drop(columns="seconds"), parallel.table().drop(columns="seconds"))


def test_blas_threads_are_set_for_the_workers_and_restored():
    names = sweep_module.BLAS_THREAD_VARIABLES
    before = {k: os.environ.get(k) for k in names}
    with sweep_module._blas_threads(3):
        assert all(os.environ[k] == "3" for k in names)
    assert {k: os.environ.get(k) for k in names} == before


def test_a_run_does_not_depend_on_the_grid_around_it():
    X, Y = PLANAR
    common = {"hidden_activation": "tanh", "num_iterations": 15}
    a = sweep(X, Y, {"hidden": [1, 3], "learning_rate": [0.5]}, fixed=common)
    b = sweep(X, Y, {"learning_rate": [1.2, 0.5]}, fixed={**common, "hidden": 3})
    c = sweep(X, Y, {"hidden": [(3,)]}, fixed={**common, "learning_rate": 0.5})  # defaults spelled out or not
    run_a, run_b, run_c = a.networks[1], b.networks[1], c.networks[0]
    assert (a.rows[1]["hidden"], a.rows[1]["learning_rate"]) == (b.rows[1]["hidden"], b.rows[1]["learning_rate"])
    assert_same_parameters(run_a, run_b)
    assert_same_parameters(run_a, run_c)
    assert a.histories[1] == b.histories[1] == c.histories[0]
    other_seed = sweep(X, Y, {"hidden": [3]}, fixed={**common, "learning_rate": 0.5}, seed=2)
    assert not np.array_equal(other_seed.networks[0].parameters["W1"], run_a.parameters["W1"])


def test_samples_draw_distinct_combinations_reproducibly():
    X, Y = PLANAR
    grid = {"hidden": [1, 2, 3, 4], "learning_rate": [0.1, 0.5, 1.0]}
    fixed = {"num_iterations": 1}
    full = [(r["hidden"], r["learning_rate"]) for r in sweep(X, Y, grid, fixed=fixed).rows]
    assert len(set(full)) == 12
    drawn = [(r["hidden"], r["learning_rate"]) for r in sweep(X, Y, grid, samples=5, fixed=fixed, seed=4).rows]
    assert len(set(drawn)) == 5 and set(drawn) <= set(full)
    assert drawn == sorted(drawn, key=full.index)  # in grid order
    again = [(r["hidden"], r["learning_rate"]) for r in sweep(X, Y, grid, samples=5, fixed=fixed, seed=4).rows]
    assert again == drawn
    other = [(r["hidden"], r["learning_rate"]) for r in sweep(X, Y, grid, samples=5, fixed=fixed, seed=5).rows]
    assert other != drawn
    assert len(sweep(X, Y, grid, samples=12, fixed=fixed).rows) == 12
    with pytest.raises(ds.DeepstepError, match=r"samples: expected at most 12"):
        sweep(X, Y, grid, samples=13, fixed=fixed)


def test_a_diverging_or_failing_run_is_recorded_and_the_others_go_on():
    X, Y = PLANAR
    result = sweep(X, Y, {"learning_rate": [0.01, 1e300], "init": ["auto", "zeros"]},
                   fixed={"hidden": 4, "num_iterations": 20})
    status = {(r["learning_rate"], r["init"]): r for r in result.rows}
    ok, diverged = status[(0.01, "auto")], status[(1e300, "auto")]
    assert (ok["status"], ok["iterations"], ok["message"]) == ("ok", 20, "")
    assert diverged["status"] == "diverged"
    assert "diverged" in diverged["message"] and "\n" not in diverged["message"]
    assert diverged["iterations"] < 20
    for lr in (0.01, 1e300):  # zero weights with a hidden layer: the engine refuses that combination
        failed = status[(lr, "zeros")]
        assert failed["status"] == "failed" and failed["message"].startswith("init: 'zeros'")
        assert result.networks[failed["run"]] is None and failed["train_accuracy"] is None
    diverged_net = result.networks[diverged["run"]]  # the parameters put back are finite
    assert all(np.isfinite(P).all() for P in diverged_net.parameters.values())
    assert result.best is ok  # only "ok" runs compete


@pytest.mark.parametrize("kwargs, where", [
    (dict(grid={"hiden": [1]}), r"grid\['hiden'\]: unknown setting"),
    (dict(grid={"hidden": []}), r"grid\['hidden'\]: expected a non-empty list"),
    (dict(grid={"hidden": [2, 0]}), r"grid\['hidden'\]\[1\]"),
    (dict(grid={"learning_rate": [0.1, -1]}), r"grid\['learning_rate'\]\[1\]: expected a positive .*-1"),
    (dict(grid={"learning_rate": 0.1}), r"grid\['learning_rate'\]: expected a list"),
    (dict(grid={"optimizer": ["adamw"]}), r"grid\['optimizer'\]\[0\].*'adamw'"),
    (dict(grid={"hidden_activation": ["softmax"]}), r"grid\['hidden_activation'\]\[0\]"),
    (dict(grid={"dtype": ["float16"]}), r"grid\['dtype'\]\[0\]"),
    (dict(grid={"keep_prob": [1.5]}), r"grid\['keep_prob'\]\[0\]"),
    (dict(grid={"learning_rate": [1, 1.0]}), r"grid\['learning_rate'\]\[1\]: 1.0 is already"),
    (dict(grid={"output_activation": ["sigmoid", "linear"]}), r"grid\['output_activation'\]: the runs mix"),
    (dict(fixed={"l2": -1}), r"fixed\['l2'\]"),
    (dict(fixed={"batch": 32}), r"fixed\['batch'\]: unknown setting"),
    (dict(grid={"l2": [0, 1]}, fixed={"l2": 1}), r"fixed\['l2'\]: is in grid too"),
    (dict(fixed={"output_activation": "linear"}, validation_data=(PLANAR[0][:1], PLANAR[1])), r"validation_data\[0\]"),
    (dict(samples=2), r"samples: .* give grid"),
    (dict(n_jobs=0), r"n_jobs"),
    (dict(keep="some"), r"keep"),
])
def test_bad_settings_are_refused_by_name_before_any_run(monkeypatch, kwargs, where):
    def no_run(*args, **kw):
        raise AssertionError("a run started")

    monkeypatch.setattr(runs_module, "_train_one", no_run)
    with pytest.raises(ds.DeepstepError, match=where):
        sweep(*PLANAR, **kwargs)


def test_labels_choose_the_output_and_regression_scores_r2():
    X, labels = ds.datasets.make_blobs(m=60, rng=0, n_classes=3)
    three = sweep(X, labels, {"hidden": [3]}, fixed={"num_iterations": 5})
    assert three.rows[0]["output_activation"] == "softmax" and three.networks[0].layer_dims == [2, 3, 3]
    X, _ = PLANAR
    target = X[:1] * 2.0 - X[1:] + 1.0
    reg = sweep(X, target, {"learning_rate": [0.01, 0.05]}, hold_out=None,
                fixed={"output_activation": "linear", "hidden": 3, "num_iterations": 30, "standardize": True})
    assert reg.score_column == "train_r2"
    for row, net in zip(reg.rows, reg.networks, strict=True):
        assert net.standardizer is not None and net.target_standardizer is not None
        AL = net.predict(X)  # in the targets' units: the kept standardizers undo the network's scaling
        r2 = 1 - np.sum((AL - target) ** 2) / np.sum((target - target.mean()) ** 2)
        assert row["train_r2"] == pytest.approx(r2, rel=1e-12)
    with pytest.raises(ds.DeepstepError, match=r"^Y: output_activation 'auto'.*'linear'"):
        sweep(X, target, {"hidden": [3]})


def test_keep_best_keeps_only_the_best_network():
    X, Y = PLANAR
    kwargs = dict(grid={"hidden": [1, 4]}, fixed={"hidden_activation": "tanh", "learning_rate": 1.2,
                                                 "num_iterations": 200})
    everything = sweep(X, Y, **kwargs)
    best_only = sweep(X, Y, keep="best", **kwargs)
    run = everything.best["run"]
    assert [n is not None for n in best_only.networks] == [i == run for i in range(2)]
    assert_same_parameters(best_only.best_network, everything.best_network)
    assert best_only.best_network.history.cost == everything.histories[run]["cost"]


def test_the_course_hidden_layer_size_experiment():
    """Week 3: on the planar flower, 1 tanh unit stays near 67%; 4 to 5 units pass 85% (the README: 4 units reach
    90% in 10000 iterations)."""
    X, Y = ds.datasets.make_planar(m=400, rng=1)
    result = sweep(X, Y, {"hidden": [1, 4, 5]},
                   fixed={"hidden_activation": "tanh", "learning_rate": 1.2, "num_iterations": 5000})
    accuracy = {r["hidden"][0]: r["train_accuracy"] for r in result.rows}
    assert 0.60 <= accuracy[1] <= 0.72
    assert accuracy[4] > 0.85 and accuracy[5] > 0.85
    assert result.best["hidden"] in ((4,), (5,))


def test_interrupted_sweep_keeps_the_finished_runs(monkeypatch):
    calls = []
    train = runs_module._train_one

    def interrupted_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return train(*args)

    monkeypatch.setattr(runs_module, "_train_one", interrupted_third)
    with pytest.raises(SweepInterrupted) as info:
        sweep(*PLANAR, {"hidden": [1, 2, 3, 4]}, fixed={"num_iterations": 3})
    assert isinstance(info.value, KeyboardInterrupt)
    rows = info.value.result.rows
    assert [r["status"] for r in rows] == ["ok", "ok", "cancelled", "cancelled"]
    assert info.value.result.networks[2] is None and info.value.result.networks[1] is not None


def test_a_worker_that_dies_loses_no_finished_run(monkeypatch, tmp_path):
    X, Y = PLANAR
    kwargs = dict(grid={"hidden": [1, 2, 3, 4]}, fixed={"num_iterations": 40})
    serial = sweep(X, Y, **kwargs)
    marker = tmp_path / "crashed"
    monkeypatch.setenv("DEEPSTEP_SWEEP_TEST_CRASH", f"3:{marker}")  # run 3's worker exits, the first time only
    once = sweep(X, Y, n_jobs=2, **kwargs)
    assert marker.exists()
    assert 3 in once.retried and len(once.retried) < 4  # at least one run had finished before: kept, not re-run
    assert without_timing(once.rows) == without_timing(serial.rows)
    for a, b in zip(once.networks, serial.networks, strict=True):
        assert_same_parameters(a, b)

    monkeypatch.setenv("DEEPSTEP_SWEEP_TEST_CRASH", "1")  # every time: recorded as failed, the others finish
    always = sweep(X, Y, n_jobs=2, **kwargs)
    assert always.rows[1]["status"] == "failed" and "worker process died" in always.rows[1]["message"]
    assert 1 in always.retried
    for i in (0, 2, 3):
        assert always.rows[i]["status"] == "ok"
        assert_same_parameters(always.networks[i], serial.networks[i])


def test_plot_costs_draws_one_labelled_line_per_run(tmp_path):
    pytest.importorskip("matplotlib")
    X, Y = PLANAR
    result = sweep(X, Y, {"learning_rate": [0.01, 0.1, 1.0]}, fixed={"hidden": 2, "num_iterations": 12},
                   hold_out=None)
    path = tmp_path / "costs.png"
    fig = result.plot_costs(path)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["learning_rate=0.01", "learning_rate=0.1", "learning_rate=1"]
    for line, history in zip(ax.lines, result.histories, strict=True):
        assert line.get_ydata().tolist() == history["cost"]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    boundaries = result.plot_decision_boundaries(X, Y, resolution=20)
    assert len(boundaries.axes) == 3
    assert boundaries.axes[2].get_title().startswith("learning_rate=1\ntrain accuracy ")


def test_ctrl_c_with_worker_processes_keeps_the_finished_runs_and_ends_the_workers(monkeypatch):
    import multiprocessing

    real = pool_module.as_completed

    def interrupted_after_first(futures):  # Ctrl-C in the parent once the first run is back
        for k, future in enumerate(real(futures)):
            if k == 1:
                raise KeyboardInterrupt
            yield future

    monkeypatch.setattr(pool_module, "as_completed", interrupted_after_first)
    before = set(multiprocessing.active_children())  # (other tests' pools, e.g. joblib's loky workers, may live on)
    with pytest.raises(SweepInterrupted) as info:
        sweep(*PLANAR, {"hidden": [1, 2, 3, 4, 5, 6]}, fixed={"num_iterations": 20}, n_jobs=2)
    statuses = [r["status"] for r in info.value.result.rows]
    assert statuses.count("ok") == 1 and statuses.count("cancelled") == 5
    assert set(multiprocessing.active_children()) <= before  # the sweep's own workers are ended


def test_optimizer_settings_schedules_early_stopping_and_method_are_those_of_a_hand_made_fit():
    """beta1, the schedule and its decay, early stopping and the first-layer method reach each run as a hand-built
    Adam, schedule and EarlyStopping would; the seed is the documented rule over the settings off their defaults."""
    X, Y = PLANAR
    Xv, Yv = ds.datasets.make_planar(m=40, rng=5)
    result = sweep(X, Y, {"beta1": [0.8, 0.95], "schedule": ["exponential", "step"]},
                   fixed={"hidden": 3, "hidden_activation": "tanh", "optimizer": "adam", "learning_rate": 0.05,
                          "num_iterations": 60, "lr_decay": 0.5, "lr_decay_every": 10, "early_stopping": 5,
                          "method": "plain"}, validation_data=(Xv, Yv), seed=2)
    schedules = {"exponential": ds.schedules.ExponentialDecay(0.5, 10), "step": ds.schedules.StepDecay(0.5, 10)}
    for row, net in zip(result.rows, result.networks, strict=True):
        canonical = ('{"beta1":B,"early_stopping":5,"hidden":[3],"hidden_activation":"tanh","learning_rate":0.05,'
                     '"lr_decay":0.5,"lr_decay_every":10,"method":"plain","num_iterations":60,"optimizer":"adam",'
                     '"output_activation":"sigmoid","schedule":"S"}').replace("B", repr(row["beta1"])).replace(
                         "S", row["schedule"])
        hand = ds.DeepNetwork([2, 3, 1], "tanh", "sigmoid", "auto", hand_rng(2, canonical), np.float64)
        early = ds.callbacks.EarlyStopping(patience=5)
        hand.fit(X, Y, 0.05, 60, optimizer=ds.optimizers.Adam(beta1=row["beta1"], schedule=schedules[row["schedule"]]),
                 validation_data=(Xv, Yv), callbacks=[early], method="plain")
        assert row["status"] == "ok"
        assert_same_parameters(net, hand)
        assert row["iterations"] == len(hand.history.cost)
    assert result.varying == ("beta1", "schedule")


def test_a_setting_the_optimizer_does_not_take_is_a_failed_run_that_says_why():
    result = sweep(*PLANAR, {"optimizer": ["gd", "momentum"]}, fixed={"beta": 0.8, "num_iterations": 5})
    assert [r["status"] for r in result.rows] == ["failed", "ok"]
    assert result.rows[0]["message"] == "beta: applies to optimizer momentum, got optimizer gd"
    assert result.networks[0] is None and result.best["run"] == 1


def test_early_stopping_without_validation_data_is_refused_before_any_run(monkeypatch):
    monkeypatch.setattr(runs_module, "_train_one", lambda *a: pytest.fail("a run started"))
    with pytest.raises(ds.DeepstepError, match="early_stopping: .*validation_data"):
        sweep(*PLANAR, {"hidden": [1, 2]}, fixed={"early_stopping": 3}, hold_out=None)


def test_a_sweep_given_its_interrupted_result_runs_only_what_is_missing():
    """previous= takes the finished runs as they are (matched by settings) and runs the rest: the same rows and
    parameters as one uninterrupted sweep."""
    X, Y = PLANAR
    grid = {"hidden": [1, 2, 3], "learning_rate": [0.5, 1.2]}
    fixed = {"hidden_activation": "tanh", "num_iterations": 40}
    whole = sweep(X, Y, grid, fixed=fixed, seed=4)
    finished = []

    def stop_after_two(row, history, net, best):
        finished.append(row["run"])
        if len(finished) == 2:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as info:
        sweep(X, Y, grid, fixed=fixed, seed=4, on_run=stop_after_two)
    partial = info.value.result
    assert [r["status"] for r in partial.rows].count("cancelled") == 4
    ran = []
    resumed = sweep(X, Y, grid, fixed=fixed, seed=4, previous=partial, on_run=lambda row, *_: ran.append(row["run"]))
    assert sorted(ran) == [2, 3, 4, 5]
    assert without_timing(resumed.rows) == without_timing(whole.rows)
    for a, b in zip(whole.networks, resumed.networks, strict=True):
        assert_same_parameters(a, b)
    with pytest.raises(ds.DeepstepError, match="previous: was swept with seed 4, got seed 5"):
        sweep(X, Y, grid, fixed=fixed, seed=5, previous=partial)
    with pytest.raises(ds.DeepstepError, match="previous: was a sweep of other data"):
        sweep(X[:, :-1], Y[:, :-1], grid, fixed=fixed, seed=4, previous=partial)


def test_on_run_reports_each_finished_run_and_whether_it_is_the_best_so_far():
    seen = []
    result = sweep(*PLANAR, {"hidden": [1, 4, 2]}, fixed={"hidden_activation": "tanh", "learning_rate": 1.2,
                                                          "num_iterations": 300},
                   on_run=lambda row, history, net, best: seen.append((row["run"], best, net is not None,
                                                                       history["cost"][-1] == row["cost"])))
    scores = [r["train_accuracy"] for r in result.rows]
    expected_best = [scores[k] > max(scores[:k], default=-1) for k in range(3)]
    assert seen == [(k, expected_best[k], True, True) for k in range(3)]
