"""`deepstep sweep`: the table and model files it writes, the same with one or two worker processes, and the same
as the Python sweep it runs; bad lists are one line and exit status 2."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import deepstep as ds
from conftest import needs_cats
from deepstep import cli


def deepstep(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def without_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_one_or_two_processes_write_the_same_runs(tmp_path, capsys):
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        status, stdout, err = deepstep(capsys, "sweep", "--hidden", "1,4", "--learning-rate", "1.2,0.5",
                                       "--iterations", "200", "--validation-fraction", "0.2", "--jobs", jobs,
                                       "--out", out)
        assert status == 0, err
        assert "best: run" in stdout
        runs[jobs] = json.loads((out / "results.json").read_text())
        assert len(list(csv.DictReader(open(out / "results.csv")))) == 4
        assert sorted(p.name for p in out.glob("run-*.npz")) == [f"run-{k}.npz" for k in range(4)]
    assert runs[1]["varying"] == ["hidden", "learning_rate"]
    assert without_seconds(runs[1]["rows"]) == without_seconds(runs[2]["rows"])
    for k in range(4):
        a, b = (ds.load_model(tmp_path / f"jobs{j}" / f"run-{k}.npz") for j in (1, 2))
        for key in a.parameters:
            np.testing.assert_array_equal(a.parameters[key], b.parameters[key])


def test_the_command_runs_the_python_sweep(tmp_path, capsys):
    """The rows the command writes are those of ds.sweep on the same split with the same settings."""
    status, out, err = deepstep(capsys, "sweep", "--dataset", "moons", "--hidden", "2,8", "--iterations", "150",
                                "--keep", "best", "--out", tmp_path / "s")
    assert status == 0, err
    written = json.loads((tmp_path / "s" / "results.json").read_text())["rows"]
    data = ds.datasets.load_dataset("moons", rng=1, test_fraction=0.2)
    preset = cli.PRESETS["moons"]
    # without --validation-fraction the command holds out 0.2 of the training set by the one rule to choose on
    from deepstep.data.split import validation_split

    held = validation_split(data.train_Y[0], 0.2, 1)
    assert "is held out" in out and "never used to choose" in out
    result = ds.sweep(data.train_X[:, ~held], data.train_Y[:, ~held], {"hidden": [(2,), (8,)]},
                      fixed={"hidden_activation": preset["hidden_activation"], "init": preset["init"],
                             "learning_rate": preset["learning_rate"], "num_iterations": 150,
                             "dtype": "float64", "standardize": False, "output_activation": "auto"},
                      validation_data=(data.train_X[:, held], data.train_Y[:, held]),
                      test_data=(data.test_X, data.test_Y), seed=1)
    expected = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in row.items()} for row in result.rows]
    assert without_seconds(written) == without_seconds(expected)
    assert [p.name for p in (tmp_path / "s").glob("*.npz")] == ["best.npz"]


@pytest.mark.parametrize("argv", [["--learning-rate", "0.1,,0.2"], ["--hidden", "0"], ["--hidden", "4-x"],
                                  ["--optimizer", "gd,sgd2"], ["--jobs", "0"]])
def test_bad_lists_are_one_line(tmp_path, capsys, argv):
    try:
        status = cli.main(["sweep", *argv, "--iterations", "5", "--out", str(tmp_path / "bad")])
    except SystemExit as exc:
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_every_setting_of_a_run_is_a_list_flag(tmp_path, capsys):
    """The optimizer's hyperparameters, the schedule, early stopping and the method sweep like any other flag, and
    each run is the fit `deepstep train` would make with those flags."""
    out = tmp_path / "s"
    status, stdout, err = deepstep(capsys, "sweep", "--dataset", "moons", "--hidden", "4", "--optimizer",
                                   "momentum,adam", "--beta", "0.8", "--learning-rate", "0.05", "--iterations",
                                   "60", "--schedule", "step,exponential", "--lr-decay", "0.5", "--lr-decay-every",
                                   "20", "--validation-fraction", "0.25", "--early-stopping", "10", "--method",
                                   "plain", "--out", out)
    assert status == 0, err
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [(r["optimizer"], r["schedule"], r["status"]) for r in rows] == [
        ("momentum", "step", "ok"), ("momentum", "exponential", "ok"), ("adam", "step", "failed"),
        ("adam", "exponential", "failed")]
    assert rows[2]["message"] == "beta: applies to optimizer momentum, got optimizer adam"
    assert "  run 2 failed (" in stdout and "beta: applies to optimizer momentum" in stdout
    # each run is a hand-made fit on the command's split: the seed rule over its settings, a hand-built optimizer,
    # schedule and early stopping
    import argparse

    from deepstep.sweep import SETTINGS, run_seed

    data = ds.datasets.load_dataset("moons", rng=1, test_fraction=0.2)
    X, Y, validation = cli._hold_out(argparse.Namespace(validation_fraction=0.25, seed=1), data)
    preset = cli.PRESETS["moons"]
    schedules = {"step": ds.schedules.StepDecay(0.5, 20), "exponential": ds.schedules.ExponentialDecay(0.5, 20)}
    for k in (0, 1):
        row = rows[k]
        hand = ds.DeepNetwork([2, 4, 1], preset["hidden_activation"], "sigmoid", preset["init"],
                              np.random.default_rng(run_seed(1, {key: row[key] for key in SETTINGS})))
        hand.fit(X, Y, 0.05, 60, optimizer=ds.optimizers.Momentum(0.8, schedule=schedules[row["schedule"]]),
                 validation_data=validation, callbacks=[ds.callbacks.EarlyStopping(patience=10)], method="plain")
        swept = ds.load_model(out / f"run-{k}.npz")
        assert swept.history.cost == hand.history.cost and swept.history.val_cost == hand.history.val_cost
        for key in hand.parameters:
            np.testing.assert_array_equal(swept.parameters[key], hand.parameters[key])


def test_logistic_regression_is_hidden_none(tmp_path, capsys):
    status, stdout, err = deepstep(capsys, "sweep", "--hidden", "none,3", "--iterations", "20", "--out",
                                   tmp_path / "s")
    assert status == 0, err
    assert [ds.load_model(tmp_path / "s" / f"run-{k}.npz").layer_dims for k in (0, 1)] == [[2, 1], [2, 3, 1]]


SLOW_SWEEP = ["sweep", "--hidden", "1,2,3,4,5,6", "--hidden-activation", "tanh", "--learning-rate", "1.2",
              "--iterations", "1500", "--validation-fraction", "0.2", "--quiet"]


def _rows_and_parameters(out):
    rows = without_seconds(json.loads((out / "results.json").read_text())["rows"])
    nets = {k: ds.load_model(out / f"run-{k}.npz") for k in range(len(rows))}
    return rows, {(k, key): net.parameters[key] for k, net in nets.items() for key in net.parameters}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "whole"
    assert cli.main([*SLOW_SWEEP, "--out", str(out)]) == 0
    return _rows_and_parameters(out)


def assert_same_sweep(out, expected):
    rows, parameters = _rows_and_parameters(out)
    assert rows == expected[0]
    assert parameters.keys() == expected[1].keys()
    for key, P in parameters.items():
        np.testing.assert_array_equal(P, expected[1][key], err_msg=str(key))


def test_sigterm_keeps_the_finished_runs_and_resume_runs_the_rest(tmp_path, uninterrupted):
    """A real process stopped by SIGTERM once two runs are in the journal: exit 130, results written with the
    rest "cancelled"; --resume (with two processes this time) runs only the rest and ends as one whole sweep."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "s"
    proc = subprocess.Popen([sys.executable, "-m", "deepstep", *SLOW_SWEEP, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not journal.exists() or len(journal.read_text().splitlines()) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "run the same command with --resume" in stderr and "Traceback" not in stderr
    statuses = [r["status"] for r in json.loads((out / "results.json").read_text())["rows"]]
    done = statuses.count("ok")
    assert 2 <= done < 6 and statuses.count("cancelled") == 6 - done
    status = cli.main([*SLOW_SWEEP, "--out", str(out), "--resume", "--jobs", "2"])
    assert status == 0
    assert len((out / "runs.jsonl").read_text().splitlines()) == 1 + 6  # the header and each run once
    assert_same_sweep(out, uninterrupted)


def test_a_sweep_killed_mid_write_resumes_from_its_journal(tmp_path, capsys, uninterrupted):
    """As if killed (SIGKILL) while writing its fourth journal line: the torn line and the runs after it are run
    again; a run whose model file is gone too."""
    out = tmp_path / "s"
    assert cli.main([*SLOW_SWEEP, "--out", str(out)]) == 0
    lines = (out / "runs.jsonl").read_text().splitlines()
    (out / "runs.jsonl").write_text("\n".join(lines[:4]) + "\n" + lines[4][: len(lines[4]) // 2])
    for name in ("results.json", "results.csv", "run-4.npz", "run-5.npz", "run-1.npz"):
        (out / name).unlink()
    capsys.readouterr()
    assert cli.main([*SLOW_SWEEP[:-1], "--out", str(out), "--resume"]) == 0
    stdout = capsys.readouterr().out
    assert "2 finished run(s) kept" in stdout  # runs 0 and 2; run 1 lost its model file
    assert sorted(int(line.split()[1]) for line in stdout.splitlines() if line.startswith("  run ")) == [1, 3, 4, 5]
    assert_same_sweep(out, uninterrupted)
    journal = (out / "runs.jsonl").read_text().splitlines()
    assert len(journal) == 7 and all(json.loads(line) for line in journal)  # no torn line, each run once
    assert cli.main([*SLOW_SWEEP[:-1], "--out", str(out), "--resume"]) == 0  # and it resumes again
    stdout = capsys.readouterr().out
    assert "6 finished run(s) kept" in stdout and not any(ln.startswith("  run ") for ln in stdout.splitlines())


@pytest.mark.parametrize("argv, message", [
    (["--resume"], "--resume: there is no sweep to continue in"),
    (["--early-stopping", "5"], "--early-stopping: watches the validation cost; give --validation-fraction too"),
    (["--samples", "9", "--hidden", "1,2"], "--samples: expected at most 2 (the grid's size), got 9"),
    (["--beta", "1.5"], "argument --beta: expected a number with 0 <= beta < 1"),
    (["--method", "plain,fast"], "argument --method: 'fast': expected one of"),
    (["--schedule", "cosine"], "argument --schedule: 'cosine': expected one of"),
    (["--hidden", "2,2"], "argument --hidden: '2' is in the list twice"),
    (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:9"], "not allowed with argument"),
    (["--hidden", "100000000,2"], "--hidden: expected at most 268435456 parameters"),
    (["--beta", "0.9"], "--beta: applies to --optimizer momentum, got --optimizer gd; no run of the sweep can take it"),
    (["--lr-decay", "0.5", "--schedule", "constant"], "--lr-decay: applies to a decaying --schedule"),
    (["--schedule", "step,exponential"], "--schedule: step needs --lr-decay RATE"),
    (["--scheduler", "localhost"], "--scheduler: expected a dask.distributed.Client or a scheduler address"),
])
def test_bad_sweeps_are_one_line_before_any_run(tmp_path, capsys, argv, message):
    try:
        status = cli.main(["sweep", *argv, "--iterations", "5", "--out", str(tmp_path / "bad")])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert "  run " not in out and not (tmp_path / "bad" / "runs.jsonl").exists()


def test_resume_refuses_other_flags_and_a_new_sweep_refuses_an_old_folder(tmp_path, capsys):
    out = tmp_path / "s"
    assert deepstep(capsys, "sweep", "--hidden", "1,2", "--iterations", "5", "--out", out)[0] == 0
    status, _, err = deepstep(capsys, "sweep", "--hidden", "1,3", "--iterations", "5", "--out", out, "--resume")
    assert status == 2 and "--resume: the sweep in" in err and "was run with --hidden 1,2, got --hidden 1,3" in err
    status, _, err = deepstep(capsys, "sweep", "--hidden", "1,2", "--iterations", "5", "--out", out)
    assert status == 2 and "holds a sweep already (runs.jsonl); continue it with --resume" in err


def test_the_course_hidden_layer_size_experiment_through_the_command(tmp_path, capsys):
    """Week 3's "tuning hidden layer size" on the planar flower (320 training points here): 1 unit stays near
    67%, accuracy rises to about 4-5 units (the course: 67.5%, 67.25%, 90.75%, 90.5%, 91.25% for 1 to 5 units), and
    the picture is one decision boundary per run."""
    out = tmp_path / "hidden"
    status, stdout, err = deepstep(capsys, "sweep", "--hidden", "1,2,3,4,5,20", "--hidden-activation", "tanh",
                                   "--learning-rate", "1.2", "--iterations", "5000", "--jobs", "2", "--quiet",
                                   "--no-hold-out", "--out", out)  # the course's figures: the whole training set
    assert status == 0, err
    rows = json.loads((out / "results.json").read_text())["rows"]
    train = {r["hidden"][0]: r["train_accuracy"] for r in rows}
    assert 0.60 <= train[1] <= 0.72
    assert max(train[4], train[5]) > 0.85 and train[4] > train[1] + 0.15
    from matplotlib.image import imread

    assert imread(out / "decision_boundaries.png").shape[1] > imread(out / "costs.png").shape[1] * 0.9


@pytest.mark.slow
@needs_cats
def test_the_course_learning_rate_comparison_on_the_cats(tmp_path, capsys, monkeypatch):
    """Week 2's "choice of learning rate": logistic regression from zeros, 1500 iterations, alpha 0.01, 0.001,
    0.0001; the assignment's published accuracies (train 99.52% / 88.99% / 68.42%, test 68% / 64% / 36%) and its
    picture of three cost curves on one plot."""
    drawn = []
    original = ds.SweepResult.plot_costs

    def spy(self, path=None):
        drawn.append(original(self, path))
        return drawn[-1]

    monkeypatch.setattr(ds.SweepResult, "plot_costs", spy)
    out = tmp_path / "lr"
    status, stdout, err = deepstep(capsys, "sweep", "--dataset", "cats", "--hidden", "none", "--init", "zeros",
                                   "--learning-rate", "0.01,0.001,0.0001", "--iterations", "1500", "--no-hold-out",
                                   "--out", out)
    assert status == 0, err
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["learning_rate"] for r in rows] == [0.01, 0.001, 0.0001]
    assert [round(r["train_accuracy"] * 209) for r in rows] == [208, 186, 143]
    assert [round(r["test_accuracy"] * 50) for r in rows] == [34, 32, 18]
    result = [ds.load_model(out / f"run-{k}.npz") for k in range(3)]
    assert [net.layer_dims for net in result] == [[12288, 1]] * 3
    costs = [net.history.cost for net in result]
    assert costs[0][-1] < costs[1][-1] < costs[2][-1]  # the larger rate, the lower the cost after 1500 iterations
    assert "best: run 0 (learning_rate=0.01), train_accuracy 0.9952" in stdout  # chosen on training, not test
    assert (out / "costs.png").stat().st_size > 0
    lines = drawn[0].axes[0].get_lines()  # the course's picture: three cost curves on one plot, by learning rate
    assert [line.get_label() for line in lines] == ["learning_rate=0.01", "learning_rate=0.001", "learning_rate=0.0001"]
    np.testing.assert_array_equal(lines[2].get_ydata(), costs[2])


def test_diverging_regression_runs_are_recorded_and_the_files_stay_valid_json(tmp_path, capsys):
    """Targets near 1e20 without standardization, in float32: every run diverges and its R^2 is no number; each is
    a row of strict JSON (no NaN), the sweep goes through them all and exits 1 (no run trained)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 2))
    y = 3e20 * X[:, 0] - 2e20 * X[:, 1] + 1e19 * rng.standard_normal(120)
    path = tmp_path / "big.csv"
    path.write_text("a,b,y\n" + "".join(f"{a:.5f},{b:.5f},{t:.1f}\n" for (a, b), t in zip(X, y, strict=True)))
    status, stdout, err = deepstep(capsys, "sweep", "--dataset", path, "--task", "regression", "--no-standardize",
                                   "--hidden", "3", "--learning-rate", "1e-6,50", "--iterations", "30", "--dtype",
                                   "float32", "--validation-fraction", "0.2", "--out", tmp_path / "s")
    assert status == 1 and "no run finished training" in err
    assert "Traceback" not in err

    def no_nan(text):
        raise AssertionError(f"{text} in strict JSON")

    rows = json.loads((tmp_path / "s" / "results.json").read_text(), parse_constant=no_nan)["rows"]
    assert [r["status"] for r in rows] == ["diverged", "diverged"]
    assert rows[1]["val_r2"] is None and "diverged" in rows[1]["message"]
    for line in (tmp_path / "s" / "runs.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=no_nan)


def test_keep_best_writes_one_model_file_and_draws_every_run(tmp_path, capsys, monkeypatch):
    drawn = []
    original = ds.SweepResult.plot_decision_boundaries

    def spy(self, *args, **kwargs):
        fig = original(self, *args, **kwargs)
        drawn.append(len(fig.axes))
        return fig

    monkeypatch.setattr(ds.SweepResult, "plot_decision_boundaries", spy)
    status, stdout, err = deepstep(capsys, "sweep", "--hidden", "1,2,3", "--iterations", "30", "--keep", "best",
                                   "--out", tmp_path / "s")
    assert status == 0, err
    assert [p.name for p in (tmp_path / "s").glob("*.npz")] == ["best.npz"] and drawn == [3]
    assert "1 model file(s) and costs.png, decision_boundaries.png" in stdout


def test_a_sweep_where_no_run_trains_exits_1(tmp_path, capsys):
    status, stdout, err = deepstep(capsys, "sweep", "--optimizer", "gd,adam", "--beta", "0.9,0.8", "--iterations",
                                   "5", "--out", tmp_path / "s")
    assert status == 2 and "--beta: applies to --optimizer momentum" in err  # refused: no run takes --beta
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 2))
    path = tmp_path / "line.csv"
    path.write_text("a,b,y\n" + "".join(f"{a:.5f},{b:.5f},{a + 2 * b:.5f}\n" for a, b in X))
    status, stdout, err = deepstep(capsys, "sweep", "--dataset", path, "--task", "regression", "--hidden", "3,4",
                                   "--iterations", "20", "--learning-rate", "1e4", "--out", tmp_path / "t")  # too fast
    rows = json.loads((tmp_path / "t" / "results.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["diverged", "diverged"]
    assert status == 1 and "no run finished training" in err


def _started(proc, marker="sweeping "):
    line = proc.stdout.readline()
    assert line.startswith(marker), line + proc.stderr.read()


def test_sigterm_before_any_run_finishes_says_to_run_again(tmp_path):
    import signal
    import subprocess
    import sys

    out = tmp_path / "s"
    proc = subprocess.Popen([sys.executable, "-m", "deepstep", "sweep", "--hidden", "8,9", "--iterations", "500000",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _started(proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "run the same command again" in err
    assert "Traceback" not in err and not (out / "runs.jsonl").exists()


def test_ctrl_c_while_the_workers_start_prints_no_traceback(tmp_path):
    """Ctrl-C goes to the whole process group (the workers too) while the spawned workers still import."""
    import os
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "deepstep", "sweep", "--hidden", "3,4,5,6", "--iterations",
                             "200000", "--jobs", "2", "--out", str(tmp_path / "s")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    _started(proc)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
