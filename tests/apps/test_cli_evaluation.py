"""Honest evaluation from the command line: --test-fraction 0 trains on every example, another file is scored whole
(the model's own data by the split it was trained with, and the output says which), evaluate --json holds every
metric of the text report (checked against scikit-learn's), and metrics.json has one layout for every task."""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepstep as ds
from conftest import command

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(4)
    for name, m in (("train", 150), ("other", 70)):
        X = rng.standard_normal((m, 3))
        label = np.select([X[:, 0] > 0.5, X[:, 1] > 0], ["a", "b"], "c")
        pd.DataFrame(X, columns=["x", "y", "z"]).assign(label=label, target=X @ [1.0, 2.0, -1.0]).to_csv(
            folder / f"{name}.csv", index=False)
    return folder


def test_test_fraction_zero_trains_on_everything_and_another_file_is_scored_whole(tables, tmp_path, capsys):
    code, out, err = command(capsys, "train", "--dataset", tables / "train.csv", "--label-column", "label",
                             "--drop-columns", "target", "--test-fraction", "0", "--iterations", "200",
                             "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    assert "no test set (--test-fraction 0)" in out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["train"]["m"] == 150 and metrics["test"] is None and metrics["test_accuracy"] is None
    model = tmp_path / "run" / "model.npz"
    code, _, err = command(capsys, "evaluate", model)
    assert code == 2 and "--split" in err  # no test examples to score
    code, out, err = command(capsys, "evaluate", model, "--dataset", tables / "other.csv", "--json",
                             tmp_path / "other.json")
    assert code == 0, err
    assert out.startswith(f"all of {tables / 'other.csv'} (not the data the model was trained on): m = 70")
    report = json.loads((tmp_path / "other.json").read_text())
    net = ds.load_model(model)
    frame = pd.read_csv(tables / "other.csv")
    predicted = np.array(net.metadata["classes"])[net.predict(frame.drop(columns=["label", "target"]))[0]]
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    assert report["accuracy"] == pytest.approx(accuracy_score(frame["label"], predicted))
    for how in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(frame["label"], predicted, average=how, zero_division=0)
        assert [report[how][k] for k in ("precision", "recall", "f1")] == pytest.approx([p, r, f])
    p, r, f, support = precision_recall_fscore_support(frame["label"], predicted, labels=["a", "b", "c"],
                                                       zero_division=0)
    assert [report["classes"][c]["f1"] for c in "abc"] == pytest.approx(f)
    assert report["split"] == "whole" and report["m"] == 70 and report["dataset"] == str(tables / "other.csv")
    code, _, err = command(capsys, "evaluate", model, "--dataset", tables / "other.csv", "--split", "test")
    assert code == 2 and "--split" in err


def test_the_models_own_data_is_scored_by_its_split_and_says_which(tables, tmp_path, capsys):
    code, _, err = command(capsys, "train", "--dataset", tables / "train.csv", "--label-column", "label",
                           "--drop-columns", "target", "--iterations", "50", "--seed", "3", "--out",
                           tmp_path / "run", "--quiet")
    assert code == 0, err
    code, out, err = command(capsys, "evaluate", tmp_path / "run" / "model.npz")
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["train"]["m"] + metrics["test"]["m"] == 150  # (0.2 of each class, rounded per class)
    assert out.startswith(f"the test split of {tables / 'train.csv'} (0.2 of it, drawn with seed 3; the model "
                          f"trained on the rest): m = {metrics['test']['m']}")
    assert f"accuracy  {metrics['test']['accuracy']:.2%}" in out


def test_metrics_json_has_one_layout_for_every_task(tables, tmp_path, capsys):
    layouts = {}
    for task, flags in (("classification", ["--label-column", "label", "--drop-columns", "target"]),
                        ("regression", ["--label-column", "target", "--drop-columns", "label", "--task",
                                        "regression"])):
        code, _, err = command(capsys, "train", "--dataset", tables / "train.csv", *flags, "--iterations", "30",
                               "--out", tmp_path / task, "--quiet")
        assert code == 0, err
        metrics = json.loads((tmp_path / task / "metrics.json").read_text())
        assert metrics["task"] == task and metrics["train"]["m"] + metrics["test"]["m"] == 150
        layouts[task] = {k for k in metrics if k not in ("train_accuracy", "test_accuracy", "val_accuracy", "val_r2")}
    assert layouts["classification"] == layouts["regression"]


def test_epochs_is_the_iterations_flag(tmp_path, capsys):
    code, _, err = command(capsys, "train", "--epochs", "7", "--batch-size", "64", "--out", tmp_path / "run",
                           "--quiet")
    assert code == 0, err
    assert len(ds.load_model(tmp_path / "run" / "model.npz").history.cost) == 7
    code, _, err = command(capsys, "train", "--epochs", "0", "--out", tmp_path / "bad", "--quiet")
    assert code == 2 and "--iterations" in err


def test_a_file_with_some_of_the_models_classes_is_scored(tables, tmp_path, capsys):
    code, _, err = command(capsys, "train", "--dataset", tables / "train.csv", "--label-column", "label",
                           "--drop-columns", "target", "--iterations", "100", "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    frame = pd.read_csv(tables / "other.csv")
    frame[frame.label != "c"].to_csv(tmp_path / "ab.csv", index=False)  # classes a and b only
    code, out, err = command(capsys, "evaluate", tmp_path / "run" / "model.npz", "--dataset", tmp_path / "ab.csv",
                             "--json", tmp_path / "ab.json")
    assert code == 0, err
    net = ds.load_model(tmp_path / "run" / "model.npz")
    part = frame[frame.label != "c"]
    predicted = np.array(net.metadata["classes"])[net.predict(part.drop(columns=["label", "target"]))[0]]
    report = json.loads((tmp_path / "ab.json").read_text())
    assert report["accuracy"] == pytest.approx(np.mean(predicted == part["label"].to_numpy()))
    assert report["classes"]["c"]["support"] == 0
    frame.assign(label=frame.label.replace("c", "z")).to_csv(tmp_path / "abz.csv", index=False)
    code, _, err = command(capsys, "evaluate", tmp_path / "run" / "model.npz", "--dataset", tmp_path / "abz.csv")
    assert code == 2 and "'z'" in err
