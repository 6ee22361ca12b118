"""A sweep of runs shorter than starting worker processes costs runs them serially, and says so; longer runs still
go to the workers.  Both give the results of a serial sweep."""

import numpy as np
import pytest

import deepstep as ds
from deepstep.apps.sweep import pool, sweep

MOONS = ds.datasets.make_moons(m=200, noise=0.2, rng=0)
GRID = {"learning_rate": [0.03, 0.3], "hidden": [[3], [6]]}


@pytest.fixture
def real_start(monkeypatch):
    monkeypatch.setattr(pool, "POOL_START_S", 1.0)


def rows_without_timing(result):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in result.rows]


def test_short_runs_run_serially_and_the_result_is_the_serial_one(real_start, monkeypatch):
    started = []
    monkeypatch.setattr(pool, "_run_parallel", lambda *args: started.append(args) or ())
    kwargs = dict(grid=GRID, fixed={"num_iterations": 20})
    serial = sweep(*MOONS, **kwargs)
    result = sweep(*MOONS, n_jobs=2, **kwargs)
    assert not started
    assert any(note.startswith("ran serially: the other 3 runs") for note in result.notes)
    assert rows_without_timing(result) == rows_without_timing(serial)


def handing_to(handed):
    def run_parallel(todo, runs, data, seed, n_jobs, done):
        handed.extend(todo)
        for i in todo:  # as a pool would: each run trained, handed back
            done(i, pool._runs._train_one(*data[:2], runs[i], seed, *data[2:]))
        return ()
    return run_parallel


def test_runs_longer_than_starting_workers_go_to_the_workers(real_start, monkeypatch):
    handed, asked = [], []
    monkeypatch.setattr(pool, "_run_parallel", handing_to(handed))
    monkeypatch.setattr(pool, "serial_pays", lambda *args: asked.append(args))  # (None: a pool pays)
    result = sweep(*MOONS, n_jobs=2, grid=GRID, fixed={"num_iterations": 20})
    assert handed == [1, 2, 3]  # the first ran here, to time it; the others went to the pool
    assert len(asked) == 1 and asked[0][0] == result.rows[0]["seconds"] and asked[0][3] == 2
    assert not any(note.startswith("ran serially") for note in result.notes)


def test_a_long_first_run_is_not_timed_here_every_run_goes_to_the_workers(real_start, monkeypatch):
    handed = []
    monkeypatch.setattr(pool, "_run_parallel", handing_to(handed))
    monkeypatch.setattr(pool, "POOL_START_S", 1e-6)  # each run is estimated longer than starting workers
    sweep(*MOONS, n_jobs=2, grid=GRID, fixed={"num_iterations": 20})
    assert handed == [0, 1, 2, 3]


def test_the_estimate_scales_the_first_runs_time_by_each_runs_work(real_start):
    settings = {"hidden": [8], "batch_size": None, "num_iterations": 100}
    one = pool.run_work(settings, 2, 1, 200)
    assert pool.run_work({**settings, "num_iterations": 300}, 2, 1, 200) == pytest.approx(3 * one)
    # 100 epochs x (1 step x 1e-4 s + 3 x 200 x (2 x 8 + 8 x 1) multiply-adds / 5e9 per s)
    assert one == pytest.approx(100 * (1e-4 + 3 * 200 * 24 / 5e9))
    assert pool.run_work({**settings, "batch_size": 32}, 2, 1, 200) == pytest.approx(100 * (7e-4 + 3 * 200 * 24 / 5e9))
    assert pool.serial_pays(0.1, one, [one] * 9, 2) == pytest.approx(0.9)  # 0.45 s saved < 1 s to start
    assert pool.serial_pays(0.5, one, [one] * 9, 2) is None  # 2.25 s saved
    assert pool.serial_pays(0.5, one, [one] * 9, 4) is None
    np.testing.assert_allclose(pool.serial_pays(0.2, one, [one] * 3, 4), 0.6)  # 0.6 x (1 - 1/3) = 0.4 s < 1 s
