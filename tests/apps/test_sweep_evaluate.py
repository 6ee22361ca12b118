"""`deepstep evaluate` on a model file a sweep wrote (issue 17): the file carries the split it was scored on, so
evaluate draws the sweep's own test split -- the same accuracy on every call, and the one in the sweep's table."""

from __future__ import annotations

import json

import pytest

import deepstep as ds
from deepstep import cli


def command(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("flags", [["--keep", "all"], ["--keep", "best", "--validation-fraction", "0.25",
                                                       "--test-fraction", "0.3", "--seed", "7"]],
                         ids=["all", "best-with-validation"])
def test_evaluate_on_a_sweep_model_file_scores_the_sweeps_own_test_split(tmp_path, capsys, flags):
    out = tmp_path / "s"
    status, _, err = command(capsys, "sweep", "--dataset", "moons", "--hidden", "2,8", "--iterations", "150",
                             *flags, "--out", out)
    assert status == 0, err
    rows = json.loads((out / "results.json").read_text())["rows"]
    files = sorted(out.glob("*.npz"))
    assert files
    for path in files:
        net = ds.load_model(path)
        row = rows[net.metadata["sweep"]["run"]]
        scores = []
        for k in range(2):
            status, stdout, err = command(capsys, "evaluate", path, "--json", tmp_path / f"report{k}.json")
            assert status == 0, err
            scores.append(json.loads((tmp_path / f"report{k}.json").read_text())["accuracy"])
        assert scores[0] == scores[1]
        assert scores[0] == pytest.approx(row["test_accuracy"], abs=1e-12)
        # worked out apart: the split the sweep drew (load_dataset with its seed and test fraction)
        seed = 7 if "--seed" in flags else 1
        fraction = 0.3 if "--test-fraction" in flags else 0.2
        data = ds.datasets.load_dataset("moons", rng=seed, test_fraction=fraction)
        assert scores[0] == pytest.approx(float((net.predict(data.test_X) == data.test_Y).mean()), abs=1e-12)
        training = net.metadata["training"]
        assert (training["seed"], training["test_fraction"]) == (seed, fraction)
