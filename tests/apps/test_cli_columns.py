"""Tables as they come on the command line and beyond: the Palmer penguins (text and missing cells, as the
palmerpenguins package ships them) and a titanic-like table with an index column; the encoding travels in the
model file to evaluate, predict, load_model(...).predict on a DataFrame, and into the ONNX graph (onnxruntime,
a second implementation, equal to deepstep on raw rows with text and missing values)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import deepstep as ds
from conftest import command
from deepstep.data.columns import TableEncoder

pd = pytest.importorskip("pandas")
palmerpenguins = pytest.importorskip("palmerpenguins")

TITANIC = (Path(__file__).parents[1] / "data" / "test_columns.py").read_text().split('TITANIC = """')[1].split('"""')[0]


@pytest.fixture(scope="module")
def penguins() -> Path:
    return Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"


@pytest.fixture(scope="module")
def penguin_model(tmp_path_factory, penguins):
    out = tmp_path_factory.mktemp("penguins")
    import contextlib

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = ds.cli.main(["train", "--dataset", str(penguins), "--label-column", "species", "--iterations", "300",
                              "--seed", "2", "--quiet", "--out", str(out)])
    assert status == 0
    return out / "model.npz"


def test_the_penguins_train_as_downloaded(penguin_model, penguins, capsys):
    net = ds.load_model(penguin_model)
    enc = TableEncoder.from_dict(net.metadata["columns"])
    assert enc.features == ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex",
                            "year"]
    raw = pd.read_csv(penguins)
    # the names of the features, each worked out from the table: three islands, four measures with NA (an
    # indicator each, where the training rows had one), the sexes with NA, the year
    assert enc.names[:3] == ["island=Biscoe", "island=Dream", "island=Torgersen"]
    assert "sex=female" in enc.names and "sex=male" in enc.names and "sex=missing" in enc.names
    assert net.layer_dims[0] == len(enc.names)
    metrics = json.loads((penguin_model.parent / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.9  # (the three species are told apart by their bills and flippers)
    code, out, err = command(capsys, "evaluate", penguin_model)
    assert code == 0 and f"accuracy  {metrics['test_accuracy']:.2%}" in out  # the model's own test split again
    # predict on the raw file: every row, as load_model(...).predict on the pandas DataFrame
    code, out, err = command(capsys, "predict", penguin_model, penguins)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(raw) == 344
    expected = np.array(net.metadata["classes"])[net.predict(raw)[0]]
    assert [r["prediction"] for r in rows] == expected.tolist()
    assert (expected == raw["species"].to_numpy()).mean() > 0.9


def test_a_file_without_a_feature_column_or_with_a_renamed_one_is_refused(penguin_model, penguins, tmp_path,
                                                                            capsys):
    raw = pd.read_csv(penguins)
    raw.drop(columns=["sex"]).to_csv(tmp_path / "no-sex.csv", index=False)
    code, out, err = command(capsys, "predict", penguin_model, tmp_path / "no-sex.csv")
    assert code == 2 and err.count("\n") == 1 and "sex" in err
    raw.rename(columns={"island": "Island"}).to_csv(tmp_path / "renamed.csv", index=False)
    code, out, err = command(capsys, "predict", penguin_model, tmp_path / "renamed.csv")
    assert code == 2 and "island" in err and "Island" in err
    raw.assign(extra=1).to_csv(tmp_path / "extra.csv", index=False)
    code, out, err = command(capsys, "predict", penguin_model, tmp_path / "extra.csv")
    assert code == 2 and "extra" in err
    raw[list(reversed(raw.columns))].to_csv(tmp_path / "reordered.csv")  # and pandas' index column: fine
    code, out, err = command(capsys, "predict", penguin_model, tmp_path / "reordered.csv")
    assert code == 0, err


def test_the_titanic_like_table_with_its_index_and_names(tmp_path, capsys):
    path = tmp_path / "titanic.csv"
    path.write_text(TITANIC)
    code, out, err = command(capsys, "train", "--dataset", path, "--iterations", "50", "--test-fraction", "0.25",
                             "--quiet", "--out", tmp_path / "run")
    assert code == 0, err
    assert "note: left out the column '': an index" in err and "note: left out the text column 'name'" in err
    net = ds.load_model(tmp_path / "run" / "model.npz")
    assert net.metadata["features"] == ["age", "sex", "fare", "embarked"]
    code, out, err = command(capsys, "predict", tmp_path / "run" / "model.npz", path)  # the index and names: ignored
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1 + 16


def test_the_onnx_graph_takes_raw_rows_with_text_and_missing_cells(penguin_model, penguins, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    code, out, err = command(capsys, "export", penguin_model, tmp_path / "penguins.onnx")
    assert code == 0 and "one input per column" in out
    net = ds.load_model(penguin_model)
    raw = pd.read_csv(penguins, dtype=str, keep_default_na=False)  # the cells as the file has them ("NA" too)
    session = ort.InferenceSession(str(tmp_path / "penguins.onnx"))
    feeds = {}
    for c in net.metadata["columns"]["columns"]:
        cells = raw[c["name"]]
        if c["kind"] == "number":
            feeds[c["name"]] = pd.to_numeric(cells.replace("NA", np.nan)).to_numpy(net.dtype).reshape(-1, 1)
        else:
            feeds[c["name"]] = cells.to_numpy(object).reshape(-1, 1)
    P = session.run(None, feeds)[0]
    np.testing.assert_allclose(P.T, net.predict_proba(pd.read_csv(penguins)), rtol=1e-9, atol=1e-12)
    assert {i.name for i in session.get_inputs()} == set(net.metadata["features"])
    # an unseen island and a missing sex go where deepstep puts them (other, missing) in the graph too
    feeds["island"] = np.array([["Atlantis"]] * len(raw), dtype=object)
    feeds["sex"] = np.array([[""]] * len(raw), dtype=object)
    frame = pd.read_csv(penguins).assign(island="Atlantis", sex=None)
    np.testing.assert_allclose(session.run(None, feeds)[0].T, net.predict_proba(frame), rtol=1e-9, atol=1e-12)


def test_a_weight_column_is_repeated_rows_and_never_a_feature(tmp_path, capsys, rng):
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    w = rng.integers(1, 4, 60)
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "w": w, "label": y}).to_csv(tmp_path / "weighted.csv",
                                                                                          index=False)
    rows = np.repeat(np.arange(60), w)
    pd.DataFrame({"a": X[rows, 0], "b": X[rows, 1], "c": X[rows, 2], "label": y[rows]}).to_csv(
        tmp_path / "repeated.csv", index=False)
    pd.DataFrame({"a": X[:10, 0], "b": X[:10, 1], "c": X[:10, 2], "label": y[:10]}).to_csv(tmp_path / "test.csv",
                                                                                            index=False)
    common = ["--test-data", tmp_path / "test.csv", "--iterations", "40", "--layers", "3,4,1", "--quiet"]
    code, _, err = command(capsys, "train", "--dataset", tmp_path / "weighted.csv", "--weight-column", "w",
                           "--out", tmp_path / "a", *common)
    assert code == 0, err
    code, _, err = command(capsys, "train", "--dataset", tmp_path / "repeated.csv", "--out", tmp_path / "b", *common)
    assert code == 0, err
    a, b = ds.load_model(tmp_path / "a" / "model.npz"), ds.load_model(tmp_path / "b" / "model.npz")
    assert a.metadata["features"] == ["a", "b", "c"]  # the weights are not a feature
    np.testing.assert_allclose(a.history.cost, b.history.cost, rtol=1e-10)
    for key in b.parameters:
        np.testing.assert_allclose(a.parameters[key], b.parameters[key], rtol=1e-9, atol=1e-12, err_msg=key)
    code, out, err = command(capsys, "predict", tmp_path / "a" / "model.npz", tmp_path / "weighted.csv")
    assert code == 0, err  # a file to label may hold the weight column
    code, _, err = command(capsys, "train", "--dataset", tmp_path / "weighted.csv", "--weight-column", "label",
                           "--out", tmp_path / "c", "--quiet")
    assert code == 2 and "weight_column" in err


def test_evaluate_weighs_the_examples_as_the_model_trained_weighted(tmp_path, capsys, rng):
    """A model trained with --weight-column W is scored with each example counted W times: deepstep evaluate of the
    weighted file equals the same model scored on the file with those rows repeated (whole files: neither is the
    data it trained on), and metrics.json's reports of the run are weighted too; --unweighted counts each once."""
    X = rng.standard_normal((80, 2))
    y = (X[:, 0] + 0.5 * rng.standard_normal(80) > 0).astype(int)
    w = rng.integers(1, 5, 80)
    rows = np.repeat(np.arange(80), w)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "w": w, "label": y})
    frame.to_csv(tmp_path / "train.csv", index=False)
    frame.to_csv(tmp_path / "weighted.csv", index=False)
    frame.iloc[rows].drop(columns="w").to_csv(tmp_path / "repeated.csv", index=False)
    frame.drop(columns="w").to_csv(tmp_path / "plain.csv", index=False)
    code, _, err = command(capsys, "train", "--dataset", tmp_path / "train.csv", "--weight-column", "w",
                           "--iterations", "30", "--layers", "2,3,1", "--test-fraction", "0.25", "--out",
                           tmp_path / "m", "--quiet")
    assert code == 0, err
    model = tmp_path / "m" / "model.npz"
    reports = {}
    for name, extra in (("weighted", []), ("repeated", []), ("plain", []), ("weighted", ["--unweighted"])):
        code, out, err = command(capsys, "evaluate", model, "--dataset", tmp_path / f"{name}.csv", "--json",
                                 tmp_path / "r.json", *extra)
        assert code == 0, err
        reports[(name, bool(extra))] = json.loads((tmp_path / "r.json").read_text())
    weighted, repeated = reports[("weighted", False)], reports[("repeated", False)]
    assert weighted["weighted_by"] == "w" and repeated["weighted_by"] is None
    assert weighted["confusion_matrix"] == repeated["confusion_matrix"]
    for key in ("accuracy",):
        np.testing.assert_allclose(weighted[key], repeated[key], rtol=1e-12)
    for how in ("macro", "weighted"):
        for key in ("precision", "recall", "f1"):
            np.testing.assert_allclose(weighted[how][key], repeated[how][key], rtol=1e-12)
    unweighted, plain = reports[("weighted", True)], reports[("plain", False)]
    assert unweighted["weighted_by"] is None and unweighted["confusion_matrix"] == plain["confusion_matrix"]
    assert plain["weighted_by"] is None  # the model's weight column is not in that file: every example once
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["weighted_by"] == {"train": "w", "test": "w"}
    C = np.array(metrics["test"]["confusion_matrix"])
    assert metrics["test"]["m"] == 20 and C.sum() > 20  # the 20 test rows' weights (1 to 4) summed, not counted


def test_class_weight_balanced_lifts_the_minority_f1_on_the_command_line(tmp_path, capsys):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=1500, n_features=6, n_informative=3, weights=[0.93, 0.07], class_sep=0.7,
                               random_state=3)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)]).assign(label=np.where(y == 1, "rare", "common"))
    frame.to_csv(tmp_path / "imbalanced.csv", index=False)
    recall, f1 = {}, {}
    for name, flags in (("plain", []), ("balanced", ["--class-weight", "balanced"])):
        code, _, err = command(capsys, "train", "--dataset", tmp_path / "imbalanced.csv", "--layers", "6,16,1",
                               "--iterations", "300", "--learning-rate", "0.5", "--quiet", "--out", tmp_path / name,
                               *flags)
        assert code == 0, err
        code, _, err = command(capsys, "evaluate", tmp_path / name / "model.npz", "--json", tmp_path / f"{name}.json")
        assert code == 0, err
        report = json.loads((tmp_path / f"{name}.json").read_text())
        f1[name] = report["classes"]["rare"]["f1"]
        recall[name] = (report["classes"]["rare"]["recall"], report["classes"]["common"]["recall"])
    # balanced weights trade the common class's recall for the rare one's: the rare class is found more often and
    # the mean recall (balanced accuracy) rises; F1 at the 0.5 threshold may go either way (precision falls)
    assert recall["balanced"][0] > recall["plain"][0] and sum(recall["balanced"]) > sum(recall["plain"]), (recall, f1)
    code, _, err = command(capsys, "train", "--dataset", tmp_path / "imbalanced.csv", "--class-weight", "rare=x",
                           "--out", tmp_path / "bad", "--quiet")
    assert code == 2 and "--class-weight" in err


def test_a_parquet_table_trains_and_predicts_as_its_csv(penguins, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(penguins)
    frame.to_parquet(tmp_path / "penguins.parquet")
    runs = {}
    for name, path in (("csv", penguins), ("parquet", tmp_path / "penguins.parquet")):
        code, _, err = command(capsys, "train", "--dataset", path, "--label-column", "species", "--iterations", "40",
                               "--seed", "2", "--quiet", "--out", tmp_path / name)
        assert code == 0, err
        runs[name] = ds.load_model(tmp_path / name / "model.npz")
    assert runs["parquet"].metadata["columns"] == runs["csv"].metadata["columns"]  # the same encoder learned
    for key in runs["csv"].parameters:
        np.testing.assert_array_equal(runs["parquet"].parameters[key], runs["csv"].parameters[key])
    code, out, err = command(capsys, "predict", tmp_path / "parquet" / "model.npz", tmp_path / "penguins.parquet")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1 + len(frame)


def test_the_reviews_tables(tmp_path, capsys, rng):
    """An "NA" label in an all-numeric table is no class (the row is left out, with a note); a table pandas saved
    twice has two index columns, both left out; a bool column is one category however the table comes (CSV,
    Parquet); evaluate refuses a column the model does not know, as predict does; a model of named numbers takes a
    DataFrame; a run with --test-data says it scores that file."""
    X = rng.standard_normal((40, 2))
    labels = np.where(X[:, 0] > 0, "up", "down").astype(object)
    labels[[3, 7]] = "NA"
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": labels})
    frame.to_csv(tmp_path / "na.csv", index=False)
    code, out, err = command(capsys, "train", "--dataset", tmp_path / "na.csv", "--iterations", "5", "--quiet",
                             "--out", tmp_path / "na")
    assert code == 0, err
    assert "left out 2 rows" in err and ds.load_model(tmp_path / "na" / "model.npz").metadata["classes"] == \
        ["down", "up"]
    twice = frame[frame.label != "NA"]
    twice.to_csv(tmp_path / "once.csv")
    pd.read_csv(tmp_path / "once.csv").to_csv(tmp_path / "twice.csv")  # headers "", "Unnamed: 0", a, b, label
    code, out, err = command(capsys, "train", "--dataset", tmp_path / "twice.csv", "--iterations", "5", "--quiet",
                             "--out", tmp_path / "twice")
    assert code == 0, err
    assert ds.load_model(tmp_path / "twice" / "model.npz").metadata["features"] == ["a", "b"]
    flags = pd.DataFrame({"a": X[:, 0], "flag": X[:, 1] > 0, "label": np.where(X[:, 0] > 0, "up", "down")})
    flags.to_csv(tmp_path / "flags.csv", index=False)
    pytest.importorskip("pyarrow")
    flags.to_parquet(tmp_path / "flags.parquet")
    for name in ("flags.csv", "flags.parquet"):
        code, _, err = command(capsys, "train", "--dataset", tmp_path / name, "--iterations", "5", "--quiet",
                               "--out", tmp_path / name.replace(".", "-"))
        assert code == 0, err
    a, b = (ds.load_model(tmp_path / d / "model.npz") for d in ("flags-csv", "flags-parquet"))
    assert a.metadata["columns"] == b.metadata["columns"] and "flag=True" in TableEncoder.from_dict(
        a.metadata["columns"]).names
    code, _, err = command(capsys, "predict", tmp_path / "flags-parquet" / "model.npz", tmp_path / "flags.csv")
    assert code == 0, err
    flags.assign(extra=1).to_csv(tmp_path / "extra.csv", index=False)
    code, _, err = command(capsys, "evaluate", tmp_path / "flags-csv" / "model.npz", "--dataset",
                           tmp_path / "extra.csv")
    assert code == 2 and "extra" in err
    numeric = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": np.where(X[:, 0] > 0, "up", "down")})
    numeric.to_csv(tmp_path / "numeric.csv", index=False)
    numeric[:10].to_csv(tmp_path / "numeric-test.csv", index=False)
    code, _, err = command(capsys, "train", "--dataset", tmp_path / "numeric.csv", "--test-data",
                           tmp_path / "numeric-test.csv", "--iterations", "5", "--quiet", "--out", tmp_path / "num")
    assert code == 0, err
    net = ds.load_model(tmp_path / "num" / "model.npz")
    np.testing.assert_array_equal(net.predict(numeric[["b", "a"]]), net.predict(X.T))  # by name, any order
    code, out, err = command(capsys, "evaluate", tmp_path / "num" / "model.npz")
    assert code == 0 and out.startswith(f"the test file {tmp_path / 'numeric-test.csv'}: m = 10"), out
