"""Random search on a log or linear scale (Course 2, week 3), reproducible from the seed; the best run chosen on
held-out examples, never on the test set."""

import json

import numpy as np
import pytest

import deepstep as ds
from conftest import command
from deepstep.apps.sweep import Range


def test_a_log_range_is_uniform_in_the_exponent():
    gen = np.random.default_rng(0)
    r = np.log10([Range(1e-4, 1.0, "log").draw(gen) for _ in range(8000)])
    assert r.min() >= -4 and r.max() <= 0
    counts = np.histogram(r, bins=4, range=(-4, 0))[0] / r.size  # the course's r = -4 * rand(): each decade 1/4
    np.testing.assert_allclose(counts, 0.25, atol=0.02)


def test_a_linear_range_and_the_courses_beta_near_one():
    gen = np.random.default_rng(1)
    lin = np.array([Range(0.9, 0.999, "lin").draw(gen) for _ in range(8000)])
    assert 0.9 <= lin.min() and lin.max() <= 0.999 and abs(lin.mean() - 0.9495) < 0.002
    beta = np.array([Range(1e-3, 1e-1, "1-log").draw(gen) for _ in range(8000)])
    assert 0.9 <= beta.min() and beta.max() <= 0.999
    # 1 - beta is log-uniform on [1e-3, 1e-1]: as many betas in [0.99, 0.999] as in [0.9, 0.99]
    assert abs(np.mean(beta > 0.99) - 0.5) < 0.02


def test_a_sweep_draws_each_run_reproducibly_from_its_seed(rng):
    X, Y = rng.standard_normal((2, 60)), (rng.random((1, 60)) > 0.5).astype(int)
    grid = {"learning_rate": [Range(1e-3, 1.0, "log")], "hidden": [(2,), (4,)]}
    a = ds.sweep(X, Y, grid, samples=4, fixed={"num_iterations": 3}, seed=5)
    b = ds.sweep(X, Y, grid, samples=4, fixed={"num_iterations": 3}, seed=5)
    c = ds.sweep(X, Y, grid, samples=4, fixed={"num_iterations": 3}, seed=6)
    rates = [row["learning_rate"] for row in a.rows]
    assert rates == [row["learning_rate"] for row in b.rows] != [row["learning_rate"] for row in c.rows]
    assert all(1e-3 <= r <= 1 for r in rates) and len(set(rates)) == 4


@pytest.mark.parametrize(("grid", "named"), [
    ({"learning_rate": [Range(1e-3, 1.0, "log")]}, "samples"),
    ({"beta": [Range(0.5, 1.5, "lin")]}, "grid['beta'][0]"),
    ({"hidden_activation": [Range(0.1, 1.0, "lin")]}, "grid['hidden_activation'][0]"),
])
def test_a_range_without_samples_or_outside_the_settings_bounds_is_refused(grid, named, rng):
    X, Y = rng.standard_normal((2, 20)), (rng.random((1, 20)) > 0.5).astype(int)
    with pytest.raises(ds.DeepstepError, match=named.replace("[", r"\[").replace("]", r"\]")):
        ds.sweep(X, Y, grid)


def test_the_best_run_is_never_chosen_on_the_test_set(rng):
    X = rng.standard_normal((2, 80))
    Y = (X[:1] > 0).astype(int)
    flipped = (1 - Y[:, :40], X[:, :40])[::-1]  # test labels that reward the worst run
    result = ds.sweep(X, Y, {"learning_rate": [1e-6, 0.5]}, fixed={"num_iterations": 200, "hidden": (4,)},
                      test_data=flipped, seed=1, hold_out=None)
    assert result.score_column == "train_accuracy"
    best = result.best
    assert best["learning_rate"] == 0.5  # the run that learned, though its test score (on flipped labels) is worse
    worse = min(result.rows, key=lambda row: row["train_accuracy"])
    assert best["test_accuracy"] < worse["test_accuracy"]
    held = ds.sweep(X[:, 20:], Y[:, 20:], {"learning_rate": [1e-6, 0.5]}, fixed={"num_iterations": 200},
                    validation_data=(X[:, :20], Y[:, :20]), test_data=flipped, seed=1)
    assert held.score_column == "val_accuracy" and held.best["learning_rate"] == 0.5


def test_without_validation_data_a_sweep_holds_examples_out_and_says_so(rng):
    """The default: 0.2 of X held out by the one hold-out rule (per class, the sweep's seed), the runs trained on
    the rest (each network's history has m - held examples' worth of validation figures), the choice made on the
    held-out score, and a note saying so."""
    from deepstep.data.split import validation_split

    X = rng.standard_normal((2, 80))
    Y = (X[:1] > 0).astype(int)
    flipped = (X[:, :40], 1 - Y[:, :40])
    result = ds.sweep(X, Y, {"learning_rate": [1e-6, 0.5]}, fixed={"num_iterations": 200, "hidden": (4,)},
                      test_data=flipped, seed=3)
    assert result.score_column == "val_accuracy" and result.best["learning_rate"] == 0.5
    assert result.notes and "held out" in result.notes[0] and "held out" in repr(result)
    held = validation_split(Y[0], 0.2, 3)
    net = result.networks[1]
    assert result.rows[1]["val_accuracy"] == pytest.approx(net.accuracy(X[:, held], Y[:, held]), rel=1e-12)
    assert result.rows[1]["train_accuracy"] == pytest.approx(net.accuracy(X[:, ~held], Y[:, ~held]), rel=1e-12)
    early = ds.sweep(X, Y, {"hidden": [(2,)]}, fixed={"num_iterations": 30, "early_stopping": 3}, seed=3)
    assert early.rows[0]["status"] == "ok"  # early stopping watches the held-out examples
    with pytest.raises(ds.DeepstepError, match=r"^hold_out: "):
        ds.sweep(X, Y, {"hidden": [(2,)]}, hold_out=1.5)


def test_the_command_draws_from_ranges_and_chooses_on_held_out_examples(tmp_path, capsys):
    code, out, err = command(capsys, "sweep", "--learning-rate", "log:1e-3..1", "--optimizer", "momentum",
                             "--beta", "1-log:1e-2..1e-1", "--samples", "3", "--iterations", "20", "--out",
                             tmp_path / "s")
    assert code == 0, err
    assert "is held out" in out and "never used to choose" in out
    written = json.loads((tmp_path / "s" / "results.json").read_text())
    rates = [row["learning_rate"] for row in written["rows"]]
    betas = [row["beta"] for row in written["rows"]]
    assert len(set(rates)) == 3 and all(1e-3 <= r <= 1 for r in rates) and all(0.9 <= b <= 0.99 for b in betas)
    assert "val_accuracy" in written["rows"][0]
    code, _, err = command(capsys, "sweep", "--learning-rate", "log:1e-3..1", "--out", tmp_path / "t")
    assert code == 2 and "--learning-rate" in err and "--samples" in err
    code, _, err = command(capsys, "sweep", "--learning-rate", "log:0..1", "--samples", "2", "--out", tmp_path / "u")
    assert code == 2 and "--learning-rate" in err


@pytest.mark.parametrize("text", ["log:1e-4...1", "lin:a..b", "log:1e-4"])
def test_a_mistyped_range_is_refused(text, tmp_path, capsys):
    code, _, err = command(capsys, "sweep", "--learning-rate", text, "--samples", "2", "--out", tmp_path / "s")
    assert code == 2 and "--learning-rate" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ds.DeepstepError, match="range"):
        Range("a", 1.0, "lin")


@pytest.mark.parametrize(("flag", "text"), [("--batch-size", "log:16..256"), ("--iterations", "10..20"),
                                           ("--hidden-activation", "lin:1..2")])
def test_a_range_for_a_setting_that_is_not_a_real_number_says_so(flag, text, tmp_path, capsys):
    code, _, err = command(capsys, "sweep", flag, text, "--samples", "2", "--out", tmp_path / "s")
    assert code == 2 and flag in err and "ranges" in err and len(err.strip().splitlines()) == 1


def test_a_sweep_without_hold_out_resumes(tmp_path, capsys):
    argv = ["sweep", "--dataset", "moons", "--hidden", "4", "--learning-rate", "log:1e-3..1", "--samples", "2",
            "--iterations", "5", "--no-hold-out", "--out", tmp_path / "s"]
    code, out, err = command(capsys, *argv)
    assert code == 0, err
    assert "train_accuracy" in json.loads((tmp_path / "s" / "results.json").read_text())["rows"][0]
    code, out, err = command(capsys, *argv, "--resume")
    assert code == 0 and "2 finished run(s) kept" in out, err


def test_a_sweep_compares_batch_normalization_on_and_off(tmp_path, capsys):
    code, out, err = command(capsys, "sweep", "--batch-norm", "on,off", "--hidden", "4", "--iterations", "10",
                             "--optimizer", "adam", "--learning-rate", "0.01", "--out", tmp_path / "s")
    assert code == 0, err
    rows = json.loads((tmp_path / "s" / "results.json").read_text())["rows"]
    assert [row["batch_norm"] for row in rows] == [True, False]
    assert ds.load_model(tmp_path / "s" / "run-0.npz").batch_norm == [1]
    assert ds.load_model(tmp_path / "s" / "run-1.npz").batch_norm == []
    code, _, err = command(capsys, "sweep", "--batch-norm", "maybe", "--out", tmp_path / "t")
    assert code == 2 and "--batch-norm" in err
