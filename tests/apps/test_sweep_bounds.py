"""Nothing unbounded in a sweep (issue 17): the grid is counted before it is built and refused beyond
deepstep.sweep.MAX_RUNS (samples draw from a grid of any size without building it); n_jobs is at most the cores
(the library refuses more, naming n_jobs; the command brings --jobs down to them with a note)."""

from __future__ import annotations

import importlib
import time

import pytest

import deepstep as ds
from conftest import command
from deepstep import sweep_command
from deepstep.sweep import sweep

sweep_module = importlib.import_module("deepstep.sweep")
# a name is patched in the module that defines it: the sweep looks it up there
runs_module = importlib.import_module("deepstep.apps.sweep.runs")
pool_module = importlib.import_module("deepstep.apps.sweep.pool")

PLANAR = ds.datasets.make_planar(m=60, rng=0)


@pytest.fixture
def nothing_runs(monkeypatch):
    """No run trains, no grid is built whole, no worker process starts: the refusal must come first."""
    def no(*args, **kwargs):
        raise AssertionError("the sweep went past its checks")

    monkeypatch.setattr(runs_module, "_train_one", no)
    monkeypatch.setattr(sweep_module.itertools, "product", no)
    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", no)


def test_a_grid_of_ten_million_combinations_is_refused_before_it_is_built(nothing_runs):
    grid = {"hidden": list(range(1, 101)), "learning_rate": [k / 1000 for k in range(1, 101)],
            "l2": [k / 10 for k in range(1000)]}  # 100 x 100 x 1000 = 10**7
    start = time.monotonic()
    with pytest.raises(ds.DeepstepError) as info:
        sweep(*PLANAR, grid)
    assert time.monotonic() - start < 5
    head = str(info.value).partition(":")[0]
    assert head == "grid" and str(10**7) in str(info.value) and str(sweep_module.MAX_RUNS) in str(info.value)


def test_the_bound_is_read_at_call_time_and_a_grid_at_it_runs(monkeypatch):
    monkeypatch.setattr(sweep_module, "MAX_RUNS", 6)
    grid = {"hidden": [1, 2, 3], "learning_rate": [0.1, 0.5]}
    assert len(sweep(*PLANAR, grid, fixed={"num_iterations": 2}).rows) == 6  # 3 x 2 = 6: at the bound
    with pytest.raises(ds.DeepstepError, match=r"^grid: .*3 x 2 x 2 = 12"):
        sweep(*PLANAR, {**grid, "l2": [0.0, 1.0]}, fixed={"num_iterations": 2})
    assert sweep_module.check_run_count([3, 2, 2], samples=6) == 6  # drawn: within the bound
    with pytest.raises(ds.DeepstepError, match=r"^samples: expected at most 6 runs"):
        sweep_module.check_run_count([3, 2, 2], samples=7)


def test_samples_draw_from_a_grid_of_any_size_without_building_it(monkeypatch):
    def no(*args, **kwargs):
        raise AssertionError("the grid was built whole")

    monkeypatch.setattr(sweep_module.itertools, "product", no)
    lists = {"hidden": list(range(1, 1001)), "learning_rate": [k / 10**4 for k in range(1, 1001)],
             "l2": [k / 100 for k in range(1000)], "keep_prob": [k / 1000 for k in range(1, 1001)]}  # 10**12
    result = sweep(*PLANAR, lists, samples=3, fixed={"num_iterations": 1}, seed=5)
    drawn = [tuple(row[k] for k in lists) for row in result.rows]
    assert len(set(drawn)) == 3
    for combo in drawn:  # each is a combination of the grid
        assert combo[0] in [(h,) for h in lists["hidden"]] and combo[1] in lists["learning_rate"]
    assert drawn == [tuple(row[k] for k in lists) for row in
                     sweep(*PLANAR, lists, samples=3, fixed={"num_iterations": 1}, seed=5).rows]


def test_more_samples_than_the_bound_are_refused_by_name(nothing_runs):
    with pytest.raises(ds.DeepstepError) as info:
        sweep(*PLANAR, {"l2": [k / 10 for k in range(100)], "learning_rate": [k / 1000 for k in range(1, 501)]},
              samples=sweep_module.MAX_RUNS + 1)
    assert str(info.value).startswith("samples: ")


def test_a_grid_list_of_many_values_is_checked_in_linear_time():
    """The duplicate check of a list is no longer quadratic: 20 000 values take well under a second."""
    values = [k / 10**5 + 1e-3 for k in range(20_000)]
    start = time.monotonic()
    lists, _ = sweep_module._check_grid({"learning_rate": values}, None)
    assert len(lists["learning_rate"]) == 20_000 and time.monotonic() - start < 2
    with pytest.raises(ds.DeepstepError, match=r"grid\['learning_rate'\]\[20000\]"):
        sweep_module._check_grid({"learning_rate": [*values, values[7]]}, None)


def test_more_jobs_than_cores_are_refused_by_the_library(nothing_runs):
    cores = pool_module._cores()
    with pytest.raises(ds.DeepstepError) as info:
        sweep(*PLANAR, {"hidden": [1, 2]}, n_jobs=cores + 1)
    assert str(info.value).startswith("n_jobs: ") and f"at most {cores}" in str(info.value)
    with pytest.raises(ds.DeepstepError, match="^n_jobs: "):
        sweep(*PLANAR, {"hidden": [1, 2]}, n_jobs=1000)


def test_the_command_brings_jobs_down_to_the_cores_with_a_note(tmp_path, capsys, monkeypatch):
    asked = []
    real = sweep_command.sweep

    def spy(*args, **kwargs):
        asked.append(kwargs["n_jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_command, "sweep", spy)
    monkeypatch.setattr(sweep_command, "_cores", lambda: 1)
    monkeypatch.setattr(pool_module, "_cores", lambda: 1)
    status, out, err = command(capsys, "sweep", "--hidden", "1,2", "--iterations", "5", "--jobs", "1000",
                               "--out", tmp_path / "s")
    assert status == 0, err
    assert asked == [1] and "with 1 process(es)" in out
    notes = [line for line in err.splitlines() if line.startswith("note: --jobs 1000")]
    assert len(notes) == 1 and "1 core(s)" in notes[0]


def test_the_command_refuses_a_grid_beyond_the_bound_in_one_line_before_loading_data(tmp_path, capsys,
                                                                                   monkeypatch):
    def no(*args, **kwargs):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(ds.datasets, "load_dataset", no)
    hidden = ",".join(str(h) for h in range(1, 102))  # 101 designs
    rates = ",".join(f"{k / 10**4:g}" for k in range(1, 101))  # x 100 rates = 10 100 runs
    status, out, err = command(capsys, "sweep", "--hidden", hidden, "--learning-rate", rates, "--out",
                               tmp_path / "s")
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("deepstep sweep: error: --hidden: ") and "10100" in err and "--samples" in err
    status, out, err = command(capsys, "sweep", "--hidden", hidden, "--learning-rate", rates, "--samples",
                               sweep_module.MAX_RUNS + 1, "--out", tmp_path / "s")
    assert status == 2 and err.count("\n") == 1 and err.startswith("deepstep sweep: error: --samples: ")
    assert not (tmp_path / "s").exists()
