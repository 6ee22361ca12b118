"""Tables as they come: text categories, missing cells and an index column, encoded by a TableEncoder learned on the
training rows only; every expected X below is worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep.data.columns import MAX_LEVELS, TableEncoder, index_column
from deepstep.errors import DeepstepError

TITANIC = """,name,age,sex,fare,embarked,survived
0,Braund Mr Owen,22,male,7.25,S,0
1,Cumings Mrs John,38,female,71.28,C,1
2,Heikkinen Miss Laina,26,female,7.92,S,1
3,Futrelle Mrs Jacques,35,female,53.1,S,1
4,Allen Mr William,35,male,8.05,S,0
5,Moran Mr James,,male,8.46,Q,0
6,McCarthy Mr Timothy,54,male,51.86,S,0
7,Palsson Master Gosta,2,male,21.08,S,0
8,Johnson Mrs Oscar,27,female,11.13,S,1
9,Nasser Mrs Nicholas,14,female,30.07,C,1
10,Sandstrom Miss Marguerite,4,female,16.7,S,1
11,Bonnell Miss Elizabeth,58,female,26.55,S,1
12,Saundercock Mr William,20,male,8.05,,0
13,Andersson Mr Anders,39,male,31.27,S,0
14,Vestrom Miss Hulda,NA,female,7.85,S,0
15,Hewlett Mrs Mary,55,female,16,S,1
"""


def test_each_kind_of_column_is_encoded_as_worked_out_by_hand():
    enc, notes = TableEncoder.learn(
        ["size", "colour", "id"],
        [["1", "", "3", "8", "NA"], ["red", "blue", "red", "?", "green"], ["a1", "a2", "a3", "a4", "a5"]])
    assert notes and "'id'" in notes[0] and enc.ignored == ("id",)  # 5 values in 5 rows: an identifier
    # size: median of 1, 3, 8 = 3 fills; missing in training: an indicator.  colour: red twice (a level), blue and
    # green once (rare: other), "?" missing.
    assert enc.names == ["size", "size=missing", "colour=red", "colour=missing", "colour=other"]
    X = enc.encode([["5", "", "nan"], ["red", "purple", None]])
    np.testing.assert_array_equal(X, [[5, 3, 3],  # size, filled with 3
                                      [0, 1, 1],  # size=missing
                                      [1, 0, 0],  # red
                                      [0, 0, 1],  # colour=missing (None)
                                      [0, 1, 0]])  # other: purple was never seen
    assert X.dtype == np.float64


def test_a_complete_number_column_stays_as_it_is_and_still_learns_a_fill():
    enc, _ = TableEncoder.learn(["a"], [[1.0, 2.0, 10.0]])
    assert enc.names == ["a"]
    np.testing.assert_array_equal(enc.encode([[4.0, np.nan]]), [[4.0, 2.0]])  # a gap in new rows: the median


def test_frequent_levels_are_capped_and_the_rest_share_other():
    values = [f"v{k:02d}" for k in range(MAX_LEVELS + 5) for _ in range(k + 2)]  # v00 twice, v01 three times ...
    enc, _ = TableEncoder.learn(["c"], [values])
    kept = enc.columns[0].levels
    assert len(kept) == MAX_LEVELS and kept == tuple(f"v{k:02d}" for k in range(5, MAX_LEVELS + 5))
    assert enc.names[-1] == "c=other"
    X = enc.encode([["v00", "v24"]])
    assert X[-1].tolist() == [1, 0] and X[:-1, 1].sum() == 1


@pytest.mark.parametrize("header, first, found", [
    (["", "a"], ["7", "9", "3"], 0),
    (["Unnamed: 0", "a"], ["7", "9", "3"], 0),
    (["a", "Unnamed: 3"], ["7", "9", "3"], 1),
    (["idx", "a"], ["0", "1", "2", "3"], 0),  # counts 0..m-1
    (["ID", "a"], ["0", "1", "2", "3"], 0),
    (["u", "a"], ["0", "1", "2", "3"], None),  # a feature that counts so
    (["idx", "a"], ["1", "2", "3", "4"], None),  # 1..m is a feature
    (["idx", "a"], ["0", "1", "3"], None),
    (["idx", "a"], ["0", "1"], None),  # too short to tell
])
def test_the_index_column_pandas_writes_is_found(header, first, found):
    columns = [first, ["1"] * len(first)] if header[0] != "a" else [["1"] * len(first), first]
    assert index_column(header, columns)[0] == found


def test_the_encoder_round_trips_and_a_garbled_one_is_refused_by_name():
    enc, _ = TableEncoder.learn(["n", "c"], [["1", "", "2"], ["x", "y", "x"]])
    again = TableEncoder.from_dict(enc.to_dict())
    assert again == enc and again.names == enc.names
    for bad in ({}, {"columns": []}, {"columns": [{"name": "a", "kind": "text"}]},
                {"columns": [{"name": "a", "kind": "number", "fill": float("nan")}]}):
        with pytest.raises(DeepstepError, match=r"^encoder: expected"):
            TableEncoder.from_dict(bad, "encoder")


def test_a_titanic_like_csv_is_learned_on_its_training_rows_only(tmp_path):
    path = tmp_path / "titanic.csv"
    path.write_text(TITANIC)
    data = ds.datasets.load_dataset(path, rng=0, test_fraction=0.25)
    assert data.features == ["age", "sex", "fare", "embarked"]  # the index and the names left out
    assert any("an index" in n for n in data.notes) and any("'name'" in n for n in data.notes)
    enc = TableEncoder.from_dict(data.columns)
    assert enc.ignored == ("", "name")
    # the test rows: which ones, from the split; the fill is the median of the training rows' ages only
    ages = np.array([22, 38, 26, 35, 35, np.nan, 54, 2, 27, 14, 4, 58, 20, 39, np.nan, 55])
    labels = np.array([0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1])
    test = ds.data.split.stratified_split(labels, 0.25, ds.core.initialization.as_rng(0))
    assert data.train_Y[0].tolist() == labels[~test].tolist()
    age = enc.columns[0]
    assert age.fill == np.nanmedian(ages[~test]) and age.fill != np.nanmedian(ages)
    np.testing.assert_array_equal(data.train_X[0], np.where(np.isnan(ages[~test]), age.fill, ages[~test]))
    assert age.missing == bool(np.isnan(ages[~test]).any())


def test_columns_are_chosen_by_name_and_unknown_ones_refused(tmp_path):
    path = tmp_path / "titanic.csv"
    path.write_text(TITANIC)
    data = ds.datasets.load_dataset(path, rng=0, columns=["sex", "fare"])
    assert data.features == ["sex", "fare"] and data.train_X.shape[0] == 3  # female, male, fare
    data = ds.datasets.load_dataset(path, rng=0, drop_columns="embarked,fare")
    assert data.features == ["age", "sex"]
    for kwargs, name in (({"columns": ["sex", "cabin"]}, "columns"), ({"drop_columns": "survived"}, "drop_columns"),
                         ({"columns": []}, "columns"), ({"columns": "sex,sex"}, "columns"),
                         ({"drop_columns": ["fare", "fare"]}, "drop_columns")):
        with pytest.raises(DeepstepError, match=rf"^{name}: "):
            ds.datasets.load_dataset(path, rng=0, **kwargs)


def test_an_all_numeric_table_is_read_as_before(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n")
    data = ds.datasets.load_dataset(path, rng=0, test_fraction=0.4)
    assert data.columns is None and data.notes == [] and data.features == ["a", "b"]
