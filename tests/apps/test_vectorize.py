"""The vectorization lesson: the loops and the expressions compute the same things, by hand and against each
other; the command prints both times and exits 0 only when they agree."""

import numpy as np
import pytest

from deepstep import cli, vectorize


def test_the_dot_product_loop_by_hand():
    assert vectorize.dot_loop(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])) == 32.0


def test_the_logistic_gradient_by_hand():
    """w = 0, b = 0: A = 1/2 everywhere; Y = [1, 0] gives dZ = [-1/2, 1/2]; X = [[2, 4]]: dw = (2(-1/2) + 4(1/2)) / 2
    = 0.5 and db = 0."""
    X, Y, w = np.array([[2.0, 4.0]]), np.array([[1.0, 0.0]]), np.zeros((1, 1))
    for gradient in (vectorize.logistic_gradient, vectorize.logistic_gradient_loop):
        dw, db = gradient(w, 0.0, X, Y)
        assert dw.shape == (1, 1) and dw[0, 0] == pytest.approx(0.5) and db == pytest.approx(0.0)


def test_loop_and_expression_agree_on_random_data():
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((7, 40)), (rng.random((1, 40)) < 0.5).astype(float)
    w, b = rng.standard_normal((7, 1)), -0.3
    dw_loop, db_loop = vectorize.logistic_gradient_loop(w, b, X, Y)
    dw, db = vectorize.logistic_gradient(w, b, X, Y)
    np.testing.assert_allclose(dw_loop, dw, rtol=1e-12)
    assert db_loop == pytest.approx(db, rel=1e-12)


def test_the_lesson_times_both_cases():
    rows = vectorize.lesson(n=3000, repeats=2, rng=1)
    assert [r.size for r in rows] == ["n = 3,000", "m = 30 examples of n_x = 100 features"]
    assert all(r.agree and r.loop_seconds > 0 and r.vector_seconds > 0 for r in rows)
    assert rows[0].speedup == rows[0].loop_seconds / rows[0].vector_seconds


def test_the_command(capsys):
    assert cli.main(["vectorize", "-n", "2000", "--repeats", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("dot product") and out[3].startswith("logistic-regression gradient")
    assert all(line.rstrip().endswith("yes") for line in out[2:4])


@pytest.mark.parametrize("argv", [["-n", "0"], ["-n", "x"], ["--repeats", "-1"]])
def test_bad_sizes_are_one_line(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(["vectorize", *argv])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1


def test_too_many_elements_are_refused_by_name():
    with pytest.raises(ValueError, match="n: expected a number of elements from 1 to 10000000"):
        vectorize.lesson(n=10**8)


def test_a_timing_is_the_median_per_call_of_blocks_long_enough_to_measure():
    import time as _time

    median, spread, value, _ = vectorize._timings(lambda: _time.sleep(0.004) or 7, repeats=5)
    assert value == 7 and 0.004 <= median < 0.02  # per call, not per block of several calls
    calls, _ = vectorize._per_call(lambda: None)
    assert calls > 1000  # a call of nothing is repeated until the block lasts BLOCK_SECONDS


def test_timings_that_spread_say_the_machine_is_too_busy(monkeypatch, capsys):
    row = vectorize.Timing("x", "y", 1.0, 0.01, True, 0.0, loop_spread=0.1, vector_spread=0.8)
    assert row.busy and not vectorize.Timing("x", "y", 1.0, 0.01, True, 0.0, 0.1, 0.2).busy
    monkeypatch.setattr(vectorize, "BUSY_SPREAD", -1.0)
    assert cli.main(["vectorize", "-n", "2000", "--repeats", "3"]) == 0
    assert "too busy to measure" in capsys.readouterr().out


def test_a_steady_load_says_the_machine_is_too_busy(monkeypatch, capsys):
    """Other processes using the CPUs slow every timing alike (no spread): the CPU seconds they used while we timed
    tell (faked here: 3 of 4 CPU-seconds per wall second are another process's)."""
    clock = {"t": 0.0}

    def fake_cpu():
        clock["t"] += 1.0
        return 3.0 * clock["t"], 0.0, 2  # all CPUs: 3 s per reading; this process: none of it; 2 CPUs

    monkeypatch.setattr(vectorize, "_cpu_seconds", fake_cpu)
    monkeypatch.setattr(vectorize.time, "perf_counter", lambda: clock["t"])
    assert vectorize._others_share(fake_cpu(), fake_cpu(), 1.0) == 1.0  # (capped at all of them)
    assert vectorize._others_share((10.0, 1.0, 2), (11.6, 2.0, 2), 1.0) == pytest.approx(0.3)
    assert vectorize._others_share(None, (1.0, 0.0, 2), 1.0) == 0.0  # unknown: not busy
    assert vectorize.Timing("x", "y", 1.0, 0.01, True, 0.0, 0.1, 0.1, others=0.3).busy


def test_other_processes_burning_the_cpus_are_seen():
    """Real load: one spinning process per CPU we may run on, while the dot product is timed."""
    import os
    import subprocess
    import sys

    if vectorize._cpu_seconds() is None:
        pytest.skip("no /proc/stat here")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in os.sched_getaffinity(0)]
    try:
        import time

        time.sleep(0.3)
        rows = vectorize.lesson(n=20_000, repeats=5, rng=0)
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert max(row.others for row in rows) > vectorize.BUSY_OTHERS and any(row.busy for row in rows)
