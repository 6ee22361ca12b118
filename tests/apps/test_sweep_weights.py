"""Weighted sweeps: sweep(sample_weight=...), weighted validation and test sets, and deepstep sweep --weight-column /
--class-weight.  An integer weight is the example repeated: a weighted sweep scores as the sweep of the repeated rows
does (full-batch runs: fit's documented equivalence)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepstep as ds
from conftest import command
from deepstep import cli
from deepstep.data.split import validation_split
from deepstep.sweep import sweep

GRID = {"hidden": [[3], [5]], "learning_rate": [0.5, 1.0]}
FIXED = {"num_iterations": 30, "hidden_activation": "tanh", "method": "plain"}


def moons(m, seed):
    return ds.datasets.make_moons(m, noise=0.25, rng=seed)


def repeated(X, Y, w):
    idx = np.repeat(np.arange(X.shape[1]), w)
    return X[:, idx], Y[:, idx]


def same_rows(a, b, columns):
    assert [r["status"] for r in a.rows] == [r["status"] for r in b.rows] == ["ok"] * len(a.rows)
    for ra, rb in zip(a.rows, b.rows, strict=True):
        for c in columns:
            assert ra[c] == pytest.approx(rb[c], rel=1e-12, abs=1e-12), (c, ra, rb)


def test_integer_weights_sweep_as_the_repeated_rows_do(rng):
    X, Y = moons(60, 1)
    Xv, Yv = moons(30, 2)
    Xt, Yt = moons(40, 3)
    w, wv, wt = (rng.integers(0, 4, m) for m in (60, 30, 40))
    w[0] = wv[0] = wt[0] = 1  # (some weight above 0)
    weighted = sweep(X, Y, GRID, fixed=FIXED, sample_weight=w, validation_data=(Xv, Yv, wv), test_data=(Xt, Yt, wt))
    rows = sweep(*repeated(X, Y, w), GRID, fixed=FIXED, validation_data=repeated(Xv, Yv, wv),
                 test_data=repeated(Xt, Yt, wt))
    same_rows(weighted, rows, ["cost", "train_accuracy", "val_accuracy", "test_accuracy"])
    assert weighted.best["run"] == rows.best["run"]
    assert any(note.startswith("sample_weight:") for note in weighted.notes)
    # and the weights count: unweighted, the scores differ
    plain = sweep(X, Y, GRID, fixed=FIXED, validation_data=(Xv, Yv), test_data=(Xt, Yt))
    assert [r["test_accuracy"] for r in plain.rows] != [r["test_accuracy"] for r in weighted.rows]


def test_the_held_out_examples_keep_their_weights(rng):
    """hold_out takes its share of X with the weights: the choosing score is the held-out examples' weighted score,
    and the runs train on the rest with theirs."""
    X, Y = moons(80, 4)
    w = rng.uniform(0.1, 3.0, 80)
    result = sweep(X, Y, {"hidden": [[4]]}, fixed=FIXED, sample_weight=w, hold_out=0.25, seed=5, keep="all")
    held = validation_split(Y[0], 0.25, 5, "hold_out")
    net = result.networks[0]
    assert result.rows[0]["val_accuracy"] == pytest.approx(net.score(X[:, held], Y[:, held], w[held]), abs=1e-15)
    assert result.rows[0]["train_accuracy"] == pytest.approx(net.score(X[:, ~held], Y[:, ~held], w[~held]), abs=1e-15)
    # the run is fit(sample_weight=w[~held]) on the rest: redone so, the same parameters
    from deepstep.apps.sweep.settings import DEFAULTS, run_seed

    row = result.rows[0]
    settings = {k: row[k] for k in DEFAULTS}
    again = ds.DeepNetwork([2, 4, 1], "tanh", row["output_activation"], row["init"],
                           np.random.default_rng(run_seed(5, settings)))
    again.fit(X[:, ~held], Y[:, ~held], row["learning_rate"], row["num_iterations"], method="plain",
              sample_weight=w[~held])
    for key, P in again.parameters.items():
        np.testing.assert_array_equal(net.parameters[key], P)


def test_weighted_r2_of_a_regression_sweep_counts_each_example_its_weight(rng):
    X = rng.standard_normal((3, 50))
    Y = (X[:1] - 0.5 * X[1:2]) + 0.1 * rng.standard_normal((1, 50))
    w = rng.integers(1, 4, 50)
    fixed = {**FIXED, "output_activation": "linear", "learning_rate": 0.1}
    weighted = sweep(X, Y, {"hidden": [[4]]}, fixed=fixed, sample_weight=w, hold_out=None, test_data=(X, Y, w))
    rows = sweep(*repeated(X, Y, w), {"hidden": [[4]]}, fixed=fixed, hold_out=None, test_data=repeated(X, Y, w))
    same_rows(weighted, rows, ["cost", "train_r2", "test_r2"])


def test_class_weight_trains_as_repeated_rows_and_leaves_the_scores_unweighted():
    X, Y = moons(60, 1)
    w = np.where(Y[0] == 1, 3, 1)
    weighted = sweep(X, Y, GRID, fixed=FIXED, class_weight={1: 3}, hold_out=None, test_data=(X, Y))
    rows = sweep(*repeated(X, Y, w), GRID, fixed=FIXED, hold_out=None)
    same_rows(weighted, rows, ["cost"])
    for row, net in zip(weighted.rows, weighted.networks, strict=True):
        assert row["train_accuracy"] == row["test_accuracy"] == pytest.approx(net.score(X, Y), abs=1e-15)
    balanced = sweep(X, Y, GRID, fixed=FIXED, class_weight="balanced", sample_weight=np.full(60, 2.0), hold_out=None)
    assert [r["status"] for r in balanced.rows] == ["ok"] * 4
    with pytest.raises(ds.DeepstepError, match="^class_weight"):
        sweep(X, Y, GRID, fixed={**FIXED, "output_activation": "linear"}, class_weight="balanced")
    with pytest.raises(ds.DeepstepError, match=r"^class_weight"):
        sweep(X, Y, GRID, fixed=FIXED, class_weight={2: 1.0})


def test_held_out_examples_all_of_weight_zero_are_refused_before_any_run(monkeypatch):
    from deepstep.apps.sweep import runs

    monkeypatch.setattr(runs, "_train_one", lambda *a: pytest.fail("a run started"))
    X, Y = moons(80, 4)
    held = validation_split(Y[0], 0.25, 0, "hold_out")
    with pytest.raises(ds.DeepstepError, match="^sample_weight: every example hold_out keeps back"):
        sweep(X, Y, GRID, fixed=FIXED, sample_weight=np.where(held, 0.0, 1.0), hold_out=0.25, seed=0)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"sample_weight": np.ones(59)}, "sample_weight"),
    ({"sample_weight": -np.ones(60)}, "sample_weight"),
    ({"sample_weight": np.zeros(60)}, "sample_weight"),
    ({"validation_data": "VAL3"}, r"validation_data\[2\]"),
    ({"test_data": (1, 2, 3, 4)}, "test_data"),
])
def test_bad_weights_are_refused_by_name_before_any_run(kwargs, name, monkeypatch):
    from deepstep.apps.sweep import runs

    monkeypatch.setattr(runs, "_train_one", lambda *a: pytest.fail("a run started"))
    X, Y = moons(60, 1)
    if kwargs.get("validation_data") == "VAL3":
        Xv, Yv = moons(30, 2)
        kwargs = {"validation_data": (Xv, Yv, np.ones(29))}
    with pytest.raises(ds.DeepstepError, match=f"^{name}"):
        sweep(X, Y, GRID, fixed=FIXED, **kwargs)


def test_a_previous_sweep_of_other_weights_is_not_taken(rng):
    X, Y = moons(60, 1)
    first = sweep(X, Y, GRID, fixed=FIXED, sample_weight=np.ones(60), hold_out=None)
    with pytest.raises(ds.DeepstepError, match="^previous"):
        sweep(X, Y, GRID, fixed=FIXED, sample_weight=np.full(60, 2.0), hold_out=None, previous=first)
    again = sweep(X, Y, GRID, fixed=FIXED, sample_weight=np.ones(60), hold_out=None, previous=first)
    assert [r["cost"] for r in again.rows] == [r["cost"] for r in first.rows]


# -- the command line -----------------------------------------------------------------------------------------------

def write_csv(path, X, Y, w=None):
    head = "a,b,label" + (",w" if w is not None else "")
    lines = [head] + [",".join([repr(float(X[0, j])), repr(float(X[1, j])), str(int(Y[0, j]))]
                               + ([str(int(w[j]))] if w is not None else [])) for j in range(X.shape[1])]
    path.write_text("\n".join(lines) + "\n")


SWEEP = ["sweep", "--hidden", "3,5", "--hidden-activation", "tanh", "--learning-rate", "0.5", "--iterations", "25",
         "--no-hold-out", "--label-column", "label"]


def test_the_command_line_weight_column_sweeps_as_the_repeated_rows_do(tmp_path, capsys, rng):
    X, Y = moons(50, 6)
    Xt, Yt = moons(30, 7)
    w, wt = rng.integers(1, 4, 50), rng.integers(1, 4, 30)
    write_csv(tmp_path / "w.csv", X, Y, w)
    write_csv(tmp_path / "wt.csv", Xt, Yt, wt)
    write_csv(tmp_path / "r.csv", *repeated(X, Y, w))
    write_csv(tmp_path / "rt.csv", *repeated(Xt, Yt, wt))
    status, out, err = command(capsys, *SWEEP, "--dataset", tmp_path / "w.csv", "--test-data", tmp_path / "wt.csv",
                               "--weight-column", "w", "--out", tmp_path / "sw")
    assert status == 0, err
    status, out, err = command(capsys, *SWEEP, "--dataset", tmp_path / "r.csv", "--test-data", tmp_path / "rt.csv",
                               "--out", tmp_path / "sr")
    assert status == 0, err
    rows_w = json.loads((tmp_path / "sw" / "results.json").read_text())["rows"]
    rows_r = json.loads((tmp_path / "sr" / "results.json").read_text())["rows"]
    for a, b in zip(rows_w, rows_r, strict=True):
        for c in ("cost", "train_accuracy", "test_accuracy"):
            assert a[c] == pytest.approx(b[c], rel=1e-12), (c, a, b)
    net = ds.load_model(tmp_path / "sw" / "run-0.npz")
    assert net.metadata["training"]["weight_column"] == "w"
    # --resume finds the same data (its key covers the weights): nothing runs again
    status, out, err = command(capsys, *SWEEP, "--dataset", tmp_path / "w.csv", "--test-data", tmp_path / "wt.csv",
                               "--weight-column", "w", "--out", tmp_path / "sw", "--resume")
    assert status == 0 and "2 finished run(s) kept" in out and "run 0 ok" not in out, (out, err)


def test_the_command_line_class_weight_trains_each_class_its_weight(tmp_path, capsys):
    """--class-weight 0=3 trains as the rows of class 0 written three times do (the scores stay unweighted: the
    weight column's alone weigh them, as train's metrics)."""
    X, Y = moons(40, 8)
    write_csv(tmp_path / "d.csv", X, Y)
    w = np.where(Y[0] == 0, 3, 1)
    write_csv(tmp_path / "r.csv", *repeated(X, Y, w))
    Xt, Yt = moons(20, 9)
    write_csv(tmp_path / "t.csv", Xt, Yt)
    runs = {}
    for name, extra in (("c", ["--dataset", tmp_path / "d.csv", "--class-weight", "0=3"]),
                        ("r", ["--dataset", tmp_path / "r.csv"])):
        status, out, err = command(capsys, *SWEEP, *extra, "--test-data", tmp_path / "t.csv", "--out", tmp_path / name)
        assert status == 0, err
        runs[name] = json.loads((tmp_path / name / "results.json").read_text())["rows"]
    for a, b in zip(runs["c"], runs["r"], strict=True):
        assert a["cost"] == pytest.approx(b["cost"], rel=1e-12)
        assert a["test_accuracy"] == pytest.approx(b["test_accuracy"], rel=1e-12)
    for row in runs["c"]:  # the training score is the plain one: the class weights train, they do not score
        net = ds.load_model(tmp_path / "c" / f"run-{row['run']}.npz")
        assert row["train_accuracy"] == pytest.approx(net.score(X, Y), abs=1e-15)


def test_weights_the_command_line_cannot_take_are_refused_naming_the_flag(tmp_path, capsys):
    status, out, err = command(capsys, "sweep", "--dataset", "planar", "--weight-column", "w", "--iterations", "5",
                               "--out", tmp_path / "p")
    assert status == 2 and err.count("\n") == 1 and "--weight-column" in err, err
    status, out, err = command(capsys, "train", "--dataset", "planar", "--weight-column", "w", "--iterations", "5",
                               "--out", tmp_path / "t")
    assert status == 2 and err.count("\n") == 1 and "--weight-column" in err, err
    X, Y = moons(40, 8)
    zero = np.where(np.arange(40) % 2 == 0, 1, 0)  # half the rows weigh nothing; a test file of only those
    write_csv(tmp_path / "d.csv", X, Y, zero + 1)
    write_csv(tmp_path / "t.csv", X, Y, 0 * zero)
    status, out, err = command(capsys, *SWEEP, "--dataset", tmp_path / "d.csv", "--test-data", tmp_path / "t.csv",
                               "--weight-column", "w", "--out", tmp_path / "z")
    assert status == 2 and err.count("\n") == 1 and "--weight-column:" in err, err


def test_class_weight_on_a_regression_sweep_is_refused_in_one_line(tmp_path, capsys):
    X = np.random.default_rng(0).standard_normal((2, 30))
    lines = ["a,b,y"] + [f"{float(X[0, j])!r},{float(X[1, j])!r},{X[0, j] * 2:.4f}" for j in range(30)]
    (tmp_path / "reg.csv").write_text("\n".join(lines) + "\n")
    status, out, err = command(capsys, "sweep", "--dataset", tmp_path / "reg.csv", "--label-column", "y",
                               "--task", "regression", "--class-weight", "balanced", "--iterations", "5",
                               "--out", tmp_path / "o")
    assert status == 2 and err.count("\n") == 1 and "--class-weight" in err, err
    assert cli  # (the module under test)
