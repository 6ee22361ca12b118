import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deepstep as ds

# The fast tier (make test-fast: pytest -m "not slow") leaves out the tests marked slow and these files, each of
# which starts browsers, clusters, benchmarks or many subprocesses, or trains on the full cat pictures; CI runs
# everything.
SLOW_FILES = {
    "test_bench.py", "test_course_results.py", "test_playground_browser.py", "test_playground_burst.py",
    "test_sweep_cluster.py", "test_sweep_processes.py", "test_cli_sweep.py", "test_model_file_fuzz.py",
}

if os.environ.get("DEEPSTEP_FAST"):  # fewer generated examples for the edit-test loop
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("fast", max_examples=10, deadline=None)
    _hypothesis_settings.load_profile("fast")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)

# Every hidden activation the registry holds (softmax is an output activation only).
HIDDEN = [name for name, a in ds.ACTIVATIONS.items() if a.dg is not None and a.name == name] + ["leaky_relu:0.2"]


def random_problem(layer_dims, m, rng, hidden="relu", output="sigmoid"):
    """Random X, one-hot/0-1 Y and random parameters for a network of layer_dims."""
    X = rng.standard_normal((layer_dims[0], m))
    n_out = layer_dims[-1]
    if n_out == 1:
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    else:
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    # unit-variance weights (gradients that do not vanish through deep sigmoid
    # stacks) and non-zero biases, so that every db is really exercised
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1]))
        params[f"b{l}"] = 0.5 * rng.standard_normal((layer_dims[l], 1))
    return X, Y, params


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def cat_data_dir() -> Path | None:
    """The folder DEEPSTEP_DATA names, when it names one (CI points it at ../shared/data/catvnoncat)."""
    folder = os.environ.get("DEEPSTEP_DATA")
    return Path(folder) if folder and Path(folder).is_dir() else None


# Tests on the real cat pictures run where DEEPSTEP_DATA names a folder; a folder without
# readable files is then a failure, not a skip.
needs_cats = pytest.mark.skipif(
    cat_data_dir() is None, reason="DEEPSTEP_DATA does not name a folder (CI points it at ../shared/data/catvnoncat)"
)


def centered(J, P, eps=1e-6):
    """dJ/dP by centered differences, entry by entry (P is moved and put back): the tests' one second
    implementation of a gradient."""
    approx = np.empty_like(P, dtype=float)
    for i in np.ndindex(P.shape):
        saved = P[i]
        P[i] = saved + eps
        plus = J()
        P[i] = saved - eps
        minus = J()
        P[i] = saved
        approx[i] = (plus - minus) / (2 * eps)
    return approx


def command(capsys, *argv):
    """deepstep ARGV in this process: (status, stdout, stderr), a SystemExit (argparse's usage errors) as its code."""
    from deepstep import cli

    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def run(*argv):
    """deepstep as a fresh process: (status, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "deepstep", *argv], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def installed_command() -> str:
    """The ``deepstep`` script pip installed beside this Python (what a user types in a shell)."""
    script = Path(sys.executable).parent / "deepstep"
    assert script.is_file(), f"no deepstep script beside {sys.executable}: is the package installed?"
    return str(script)


@pytest.fixture(autouse=True)
def _sweeps_start_their_workers(monkeypatch):
    """The tests of sweeps' worker processes use runs far shorter than starting a pool costs, which a sweep runs
    serially instead (``POOL_START_S``): with 0 they get their pool; tests/apps/test_sweep_serial.py sets it back."""
    from deepstep.apps.sweep import pool

    monkeypatch.setattr(pool, "POOL_START_S", 0.0)
