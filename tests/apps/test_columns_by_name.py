"""Every file a model reads is matched by column name against the features it was trained on (issue 17): a
missing, renamed, doubled or unknown feature column is refused in one line naming it, columns in another order
are put back in the model's order, and `evaluate` never draws a split it cannot reproduce."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deepstep as ds
from deepstep import cli
from deepstep.datasets import DatasetError, match_features


def deepstep(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write_table(path, columns: dict[str, np.ndarray]) -> None:
    names = list(columns)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for j in range(len(columns[names[0]])):
            w.writerow([columns[n][j] if n == "label" else repr(float(columns[n][j])) for n in names])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model whose label is the sign of `size` alone (`noise` and `other` carry nothing): a column read in the
    wrong place flips most predictions."""
    folder = tmp_path_factory.mktemp("columns")
    rng = np.random.default_rng(7)
    m = 200
    cols = {"size": rng.normal(size=m), "noise": rng.normal(size=m) * 5, "other": rng.normal(size=m) * 5}
    cols["label"] = np.where(cols["size"] > 0, "big", "small")
    write_table(folder / "train.csv", cols)
    out = folder / "run"
    status = cli.main(["train", "--dataset", str(folder / "train.csv"), "--layers", "3,4,1", "--iterations", "300",
                       "--learning-rate", "0.5", "--out", str(out), "--quiet"])
    assert status == 0
    return folder, cols, out / "model.npz"


def predictions(text: str) -> list[str]:
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][:2] == ["row", "prediction"]
    return [r[1] for r in rows[1:]]


def test_the_model_records_its_columns(trained):
    _, _, model = trained
    net = ds.load_model(model)
    assert net.metadata["features"] == ["size", "noise", "other"]
    assert net.metadata["label"] == "label"


def test_columns_in_another_order_are_matched_by_name(trained, tmp_path, capsys):
    folder, cols, model = trained
    net = ds.load_model(model)
    X = np.vstack([cols["size"], cols["noise"], cols["other"]])
    expected = [net.metadata["classes"][k] for k in net.predict(X)[0]]
    shuffled = {"other": cols["other"], "label": cols["label"], "size": cols["size"], "noise": cols["noise"]}
    write_table(tmp_path / "shuffled.csv", shuffled)
    status, out, err = deepstep(capsys, "predict", model, tmp_path / "shuffled.csv")
    assert status == 0, err
    assert predictions(out) == expected
    # the model is right on most rows, so a column read by place would show
    assert np.mean(np.array(expected) == cols["label"]) > 0.9


@pytest.mark.parametrize("command", ["predict", "evaluate"])
@pytest.mark.parametrize(("change", "named"), [
    ("drop", "noise"),          # the case: a feature missing, the label still there (read as a feature)
    ("rename", "noise"),        # a feature under another name
    ("extra", "weight"),        # a column the model does not know
])
def test_a_missing_renamed_or_unknown_column_is_refused_by_name(trained, tmp_path, capsys, command, change, named):
    folder, cols, model = trained
    table = dict(cols)
    if change == "drop":
        del table["noise"]
    elif change == "rename":
        table = {("loudness" if k == "noise" else k): v for k, v in table.items()}
    else:
        table = {"weight": np.arange(len(cols["size"]), dtype=float) * 0.5 + 3, **table}
    write_table(tmp_path / "bad.csv", table)
    argv = ["predict", model, tmp_path / "bad.csv"] if command == "predict" else \
        ["evaluate", model, "--dataset", tmp_path / "bad.csv"]
    status, out, err = deepstep(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert named in err


def test_evaluate_on_reordered_columns_scores_as_the_original(trained, tmp_path, capsys):
    """Another file (its columns in another order) is scored whole, by name: as the model predicts every row."""
    folder, cols, model = trained
    net = ds.load_model(model)
    X = np.vstack([cols["size"], cols["noise"], cols["other"]])
    expected = np.mean(np.array(net.metadata["classes"])[net.predict(X)[0]] == cols["label"])
    shuffled = {"noise": cols["noise"], "label": cols["label"], "other": cols["other"], "size": cols["size"]}
    write_table(tmp_path / "shuffled.csv", shuffled)
    status, out, err = deepstep(capsys, "evaluate", model, "--dataset", tmp_path / "shuffled.csv")
    assert status == 0, err
    assert out.startswith(f"all of {tmp_path / 'shuffled.csv'} (not the data the model was trained on): m = 200")
    assert f"accuracy  {expected:.2%}" in out


def test_evaluate_refuses_a_split_it_cannot_draw_again(trained, tmp_path, capsys):
    """A model file without the seed of its split (as sweeps wrote them) would score a fresh random 'test' split
    holding training examples, differently on every call: refused, naming --dataset."""
    _, _, model = trained
    net = ds.load_model(model)
    net.metadata["training"].pop("seed")
    net.save(tmp_path / "noseed.npz")
    status, out, err = deepstep(capsys, "evaluate", tmp_path / "noseed.npz")
    assert status == 2
    assert err.count("\n") == 1 and "--dataset" in err


def test_evaluate_is_the_same_on_every_call(trained, capsys):
    _, _, model = trained
    outs = [deepstep(capsys, "evaluate", model) for _ in range(2)]
    assert outs[0][0] == 0 and outs[0] == outs[1]


def test_a_model_without_column_names_refuses_a_csv(tmp_path, capsys):
    """A model trained on arrays cannot match a CSV's columns (the review's case: a CSV with a, b and the label
    read the label as a feature by place): refused; a .npz of X is taken by position."""
    net = ds.DeepNetwork([2, 1], init="zeros")
    net.save(tmp_path / "m.npz")
    write_table(tmp_path / "two.csv", {"a": np.ones(3), "label": np.ones(3)})
    status, _, err = deepstep(capsys, "predict", tmp_path / "m.npz", tmp_path / "two.csv")
    assert status == 2 and "rows" in err and err.count("\n") == 1
    np.savez(tmp_path / "x.npz", X=np.ones((3, 2)))
    status, out, err = deepstep(capsys, "predict", tmp_path / "m.npz", tmp_path / "x.npz")
    assert status == 0, err


def test_a_npz_is_matched_by_its_feature_names(trained, tmp_path, capsys):
    """A model that names its columns takes a .npz only with an array 'features' naming X's columns, matched as a
    CSV's header: reordered columns give the original predictions; no names, or a missing name, are refused."""
    folder, cols, model = trained
    net = ds.load_model(model)
    X = np.vstack([cols["size"], cols["noise"], cols["other"]])
    expected = [net.metadata["classes"][k] for k in net.predict(X)[0]]
    rows = np.column_stack([cols["other"], cols["size"], cols["noise"]])  # one example per row, reordered
    np.savez(tmp_path / "named.npz", X=rows, features=np.array(["other", "size", "noise"]))
    status, out, err = deepstep(capsys, "predict", model, tmp_path / "named.npz")
    assert status == 0, err
    assert predictions(out) == expected
    np.savez(tmp_path / "unnamed.npz", X=rows)
    status, _, err = deepstep(capsys, "predict", model, tmp_path / "unnamed.npz")
    assert status == 2 and "rows" in err
    np.savez(tmp_path / "renamed.npz", X=rows, features=np.array(["other", "size", "loudness"]))
    status, _, err = deepstep(capsys, "predict", model, tmp_path / "renamed.npz")
    assert status == 2 and "noise" in err


def test_a_square_array_is_refused_unless_its_rows_are_named_examples(tmp_path, capsys):
    """The review's case: a 3 x 3 X of one example per row was read as one example per column."""
    net = ds.DeepNetwork([3, 4, 1], rng=0)
    net.save(tmp_path / "m.npz")
    rows = np.random.default_rng(2).normal(size=(3, 3))
    np.savez(tmp_path / "sq.npz", X=rows)
    status, _, err = deepstep(capsys, "predict", tmp_path / "m.npz", tmp_path / "sq.npz")
    assert status == 2 and "X:" in err and "X_rows" in err
    np.savez(tmp_path / "sq_rows.npz", X_rows=rows)
    status, out, err = deepstep(capsys, "predict", tmp_path / "m.npz", tmp_path / "sq_rows.npz")
    assert status == 0, err
    expected = [str(k) for k in net.predict(rows.T)[0]]
    assert predictions(out) == expected
    from deepstep.datasets import load_dataset

    np.savez(tmp_path / "train_sq.npz", X=rows, Y=np.array([0, 1, 0]))
    with pytest.raises(DatasetError) as e:
        load_dataset(str(tmp_path / "train_sq.npz"), rng=0, test_fraction=0.34)
    assert str(e.value).startswith("X:")


@given(st.permutations(["a", "b", "c", "d", "label"]))
def test_match_features_finds_every_column_wherever_it_stands(header):
    keep = match_features(header, ["a", "b", "c", "d"], "label", "f.csv")
    assert [header[k] for k in keep] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(("header", "label", "named"), [
    (["a", "label"], "label", "b"),           # b missing
    (["a", "a", "b", "label"], "label", "a"),  # a twice
    (["a", "b", "x", "label"], "label", "x"),  # x unknown
    (["a", "b", "x", "y"], None, "x"),        # an old model file (no label recorded): one extra column at most
])
def test_match_features_refusals_name_the_column(header, label, named):
    with pytest.raises(DatasetError) as e:
        match_features(header, ["a", "b"], label, "f.csv")
    assert str(e.value).startswith(named + ":")


def test_an_old_model_file_takes_one_unnamed_label_column():
    assert match_features(["b", "y", "a"], ["a", "b"], None, "f.csv") == [2, 0]


@pytest.fixture(scope="module")
def trained_on_y(tmp_path_factory):
    """A model whose label column is `y` (not `label`): the review's case."""
    folder = tmp_path_factory.mktemp("label_y")
    rng = np.random.default_rng(8)
    m = 200
    cols = {"a": rng.normal(size=m), "b": rng.normal(size=m), "y": None}
    cols["y"] = np.where(cols["a"] > 0, "up", "down")
    write_table_with(folder / "train.csv", cols, "y")
    status = cli.main(["train", "--dataset", str(folder / "train.csv"), "--label-column", "y", "--layers", "2,3,1",
                       "--iterations", "200", "--learning-rate", "0.5", "--out", str(folder / "run"), "--quiet"])
    assert status == 0
    return folder, cols, folder / "run" / "model.npz"


def write_table_with(path, columns, label):
    names = list(columns)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for j in range(len(columns[names[0]])):
            w.writerow([columns[n][j] if n == label else repr(float(columns[n][j])) for n in names])


def test_evaluate_scores_the_label_column_the_model_was_trained_with(trained_on_y, tmp_path, capsys):
    """The review's case: a file with the features and another 0/1 column but no `y` was scored against that
    column (48.75%, exit 0). It must be refused, naming the label column; with `y` anywhere it is scored."""
    folder, cols, model = trained_on_y
    rng = np.random.default_rng(9)
    write_table_with(tmp_path / "no_y.csv", {"a": cols["a"], "b": cols["b"], "d": rng.integers(0, 2, 200)}, "d")
    status, out, err = deepstep(capsys, "evaluate", model, "--dataset", tmp_path / "no_y.csv")
    assert status == 2 and out == "" and "label_column" in err and "'y'" in err
    write_table_with(tmp_path / "y_first.csv", {"y": cols["y"], "b": cols["b"], "a": cols["a"]}, "y")
    status, out, err = deepstep(capsys, "evaluate", model, "--dataset", tmp_path / "y_first.csv")  # (all of it)
    assert status == 0, err
    shown = float(next(line for line in out.splitlines() if line.startswith("accuracy")).split()[1].rstrip("%"))
    assert shown > 90  # scored against y (against a random 0/1 column it was about 50%)


def test_evaluate_refuses_an_unnamed_npz_for_a_named_model(trained_on_y, tmp_path, capsys):
    folder, cols, model = trained_on_y
    np.savez(tmp_path / "shuf.npz", X=np.vstack([cols["b"], cols["a"]]), Y=(cols["y"] == "up").astype(int))
    status, out, err = deepstep(capsys, "evaluate", model, "--dataset", tmp_path / "shuf.npz")
    assert status == 2 and "--dataset" in err


def test_a_column_named_twice_is_refused(trained, tmp_path, capsys):
    folder, cols, model = trained
    path = tmp_path / "twice.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["size", "noise", "other", "label", "label"])
        for j in range(20):
            w.writerow([cols["size"][j], cols["noise"][j], cols["other"][j], cols["label"][j], "big"])
    status, _, err = deepstep(capsys, "evaluate", model, "--dataset", path)
    assert status == 2 and "label" in err


def test_gradcheck_passes_only_when_every_parameter_passes(capsys):
    """The review's case: --l2 1e12 gave b's relative errors of 1.0 and still PASS (the pooled error is W's)."""
    status, out, _ = deepstep(capsys, "gradcheck", "--l2", "1e12")
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip().startswith(("W", "b"))}
    assert status == 1 and "PASS" not in out
    assert all(rows[k].rstrip().endswith("n/a") for k in ("b1", "b2", "b3"))  # the check cannot see them
    status, out, _ = deepstep(capsys, "gradcheck")
    assert status == 0 and "PASS" in out and "FAIL" not in out


def test_a_list_of_mixed_labels_is_refused_by_the_estimator():
    pytest.importorskip("sklearn")
    from deepstep.errors import DeepstepError
    from deepstep.sklearn import DeepClassifier

    X = np.random.default_rng(0).normal(size=(200, 2))
    with pytest.raises(DeepstepError) as e:
        DeepClassifier(num_iterations=2).fit(X, [1, "a"] * 100)
    assert str(e.value).startswith("y:")
