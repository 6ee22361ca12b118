"""Model files written by an earlier version keep loading, predicting the same and resuming bit for bit.

tests/model/fixtures/model_files/ holds files written by deepstep 0.2.0 (before the package was reorganized) with what
that version computed from them: predictions on fixed inputs, and the parameters and costs after training
resumed from the file (tests/model/fixtures/model_files/make.py wrote them; it is kept to show how, not re-run)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deepstep as ds

HERE = Path(__file__).parent / "fixtures" / "model_files"
INDEX = json.loads((HERE / "index.json").read_text())
spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "make.py")
make = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make)

PYTHON_CASES = [c for c in INDEX["cases"] if c in make.CASES]


@pytest.mark.parametrize("case", PYTHON_CASES)
def test_an_earlier_versions_file_predicts_the_same(case):
    expected = np.load(HERE / f"{case}.expected.npz")
    net = ds.load_model(HERE / f"{case}.npz")
    X = make.probe(case)
    np.testing.assert_array_equal(net.predict_proba(X), expected["probe_proba"])
    np.testing.assert_array_equal(np.asarray(net.predict(X)), expected["probe_predict"])


@pytest.mark.parametrize("case", PYTHON_CASES)
def test_an_earlier_versions_file_resumes_bit_for_bit(case, tmp_path):
    shutil.copy(HERE / f"{case}.npz", tmp_path / "m.npz")
    expected = np.load(HERE / f"{case}.expected.npz")
    net = make.resume(case, tmp_path / "m.npz", INDEX["cases"][case]["resumed_epochs"])
    cost = np.asarray(net.history.cost)
    if case.startswith("gram"):  # the Gram form builds its basis anew at each call: equal to rounding
        np.testing.assert_allclose(cost, expected["resumed_cost"], rtol=1e-12)
        for key, P in net.parameters.items():
            np.testing.assert_allclose(P, expected[f"resumed.{key}"], rtol=1e-10, atol=1e-14)
    else:
        np.testing.assert_array_equal(cost, expected["resumed_cost"])
        for key, P in net.parameters.items():
            assert P.dtype == expected[f"resumed.{key}"].dtype
            np.testing.assert_array_equal(P, expected[f"resumed.{key}"])


CLI_CASES = [c for c in INDEX["cases"] if c.startswith("cli_")]


@pytest.mark.parametrize("case", CLI_CASES)
def test_an_earlier_versions_command_line_file_resumes_to_the_unbroken_run(case, tmp_path):
    """``deepstep train ... --resume`` of a 0.2 model ends where 0.2's unbroken run ended, bit for bit; with
    --validation-fraction too (it holds out the examples 0.2 held out: the rule its file records, or 0.2's)."""
    spec = INDEX["cases"][case]
    (tmp_path / "run").mkdir()
    shutil.copy(HERE / f"{case}.npz", tmp_path / "run" / "model.npz")
    argv = [sys.executable, "-m", "deepstep", *spec["command"], "--iterations", str(spec["resumed_epochs"]),
            "--out", str(tmp_path / "run"), "--resume"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    expected = np.load(HERE / f"{case}.expected.npz")
    net = ds.load_model(tmp_path / "run" / "model.npz")
    np.testing.assert_array_equal(np.asarray(net.history.cost), expected["resumed_cost"])
    if "resumed_val_cost" in expected:
        np.testing.assert_array_equal(np.asarray(net.history.val_cost), expected["resumed_val_cost"])
    for key, P in net.parameters.items():
        np.testing.assert_array_equal(P, expected[f"resumed.{key}"])
