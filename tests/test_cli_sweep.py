"""`deepstep sweep`: the table and model files it writes, the same with one or two worker processes, and the same
as the Python sweep it runs; bad lists are one line and exit status 2."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import deepstep as ds
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
    result = ds.sweep(data.train_X, data.train_Y, {"hidden": [(2,), (8,)]},
                      fixed={"hidden_activation": preset["hidden_activation"], "init": preset["init"],
                             "learning_rate": preset["learning_rate"], "num_iterations": 150,
                             "dtype": "float64", "standardize": False, "output_activation": "auto"},
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
