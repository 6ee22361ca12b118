"""Sweeps on a Dask cluster (a LocalCluster of 2 worker processes on the loopback address): the same runs as
serially and with local worker processes, bit for bit; the data scattered once; a killed worker loses no
finished run; an unreachable scheduler and a missing extra are one line; scikit-learn's GridSearchCV over
DeepClassifier on the same cluster through joblib's Dask backend, as the README shows it."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time

import numpy as np
import pytest

import deepstep as ds
from deepstep import cli
from deepstep.sweep import sweep

distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install 'deepstep[cluster]'")
dask = pytest.importorskip("dask")
sweep_module = importlib.import_module("deepstep.sweep")

PLANAR = ds.datasets.make_planar(m=120, rng=0)
GRID = {"hidden": [1, 3, 4], "learning_rate": [0.5, 1.2]}
FIXED = {"hidden_activation": "tanh", "num_iterations": 150}


@contextlib.contextmanager
def local_cluster(crash: str | None = None, allowed_failures: int = 1):
    """2 worker processes, 1 thread each, loopback only; ``crash`` is the sweep's private test hook, set in the
    environment the worker processes start with."""
    saved = os.environ.get(sweep_module._TEST_CRASH)
    if crash is not None:
        os.environ[sweep_module._TEST_CRASH] = crash
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}), \
                distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                         dashboard_address=":0") as cluster, \
                distributed.Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        if saved is None:
            os.environ.pop(sweep_module._TEST_CRASH, None)
        else:
            os.environ[sweep_module._TEST_CRASH] = saved


@pytest.fixture(scope="module")
def client():
    with local_cluster() as c:
        yield c


def without_timing(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def assert_same_runs(a, b):
    assert without_timing(a.rows) == without_timing(b.rows)
    assert a.histories == b.histories
    for net_a, net_b in zip(a.networks, b.networks, strict=True):
        assert (net_a is None) == (net_b is None)
        if net_a is not None:
            for key in net_a.parameters:
                assert net_a.parameters[key].dtype == net_b.parameters[key].dtype
                np.testing.assert_array_equal(net_a.parameters[key], net_b.parameters[key], err_msg=key)


@pytest.fixture(scope="module")
def serial():
    Xv, Yv = ds.datasets.make_planar(m=40, rng=5)
    return sweep(*PLANAR, GRID, fixed=FIXED, validation_data=(Xv, Yv), seed=3), (Xv, Yv)


def test_serial_two_processes_and_a_local_cluster_give_the_same_runs(client, serial):
    expected, validation = serial
    on_cluster = sweep(*PLANAR, GRID, fixed=FIXED, validation_data=validation, seed=3, client=client)
    two = sweep(*PLANAR, GRID, fixed=FIXED, validation_data=validation, seed=3, n_jobs=2)
    assert [r["status"] for r in expected.rows] == ["ok"] * 6
    assert_same_runs(expected, on_cluster)
    assert_same_runs(expected, two)


def test_a_weighted_sweep_gives_the_same_runs_serially_in_two_processes_and_on_a_cluster(client):
    """The weights go with the data to the workers and the tasks (deepstep.sweep(sample_weight=...))."""
    X, Y = PLANAR
    w = np.random.default_rng(4).uniform(0.2, 3.0, X.shape[1])
    Xv, Yv = ds.datasets.make_planar(m=40, rng=5)
    kwargs = dict(fixed=FIXED, validation_data=(Xv, Yv, np.linspace(0.5, 2.0, 40)), seed=3, sample_weight=w)
    expected = sweep(X, Y, GRID, **kwargs)
    assert_same_runs(expected, sweep(X, Y, GRID, client=client, **kwargs))
    assert_same_runs(expected, sweep(X, Y, GRID, n_jobs=2, **kwargs))
    unweighted = sweep(X, Y, GRID, fixed=FIXED, validation_data=(Xv, Yv), seed=3)
    assert [r["val_accuracy"] for r in unweighted.rows] != [r["val_accuracy"] for r in expected.rows]


def test_the_data_is_scattered_once_and_not_sent_with_each_task(client, monkeypatch, serial):
    expected, validation = serial
    scattered, submitted = [], []
    scatter, submit = client.scatter, client.submit

    def counting_scatter(data, *args, **kwargs):
        scattered.append(data)
        return scatter(data, *args, **kwargs)

    def checking_submit(fn, *args, **kwargs):
        submitted.append(args)
        assert not any(isinstance(a, (np.ndarray, tuple)) for a in args[2:]), "data sent with a task"
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", counting_scatter)
    monkeypatch.setattr(client, "submit", checking_submit)
    result = sweep(*PLANAR, GRID, fixed=FIXED, validation_data=validation, seed=3, client=client)
    assert len(scattered) == 1 and len(submitted) == 6
    X, Y, (Xv, Yv), test, weights, score_weights = scattered[0][0]
    assert X is PLANAR[0] and Xv is validation[0] and test is weights is score_weights is None
    assert_same_runs(expected, result)


def test_the_command_on_the_cluster_writes_what_the_serial_command_writes(client, tmp_path, capsys):
    written = {}
    for where, flags in (("serial", []), ("cluster", ["--scheduler", client.scheduler.address])):
        status = cli.main(["sweep", "--hidden", "1,4", "--learning-rate", "1.2,0.5", "--iterations", "100",
                           "--validation-fraction", "0.2", "--out", str(tmp_path / where), *flags])
        out, err = capsys.readouterr()
        assert status == 0, err
        written[where] = json.loads((tmp_path / where / "results.json").read_text())["rows"]
    assert "the Dask cluster at tcp://127.0.0.1:" in out
    assert without_timing(written["serial"]) == without_timing(written["cluster"])
    for k in range(4):
        a, b = (ds.load_model(tmp_path / where / f"run-{k}.npz") for where in ("serial", "cluster"))
        for key in a.parameters:
            np.testing.assert_array_equal(a.parameters[key], b.parameters[key])


def test_a_worker_killed_mid_run_loses_no_finished_run(tmp_path, serial):
    """Run 2's worker process exits the first time it starts that run: the scheduler runs it again on a
    fresh worker, and every run ends as it does serially."""
    expected, validation = serial
    with local_cluster(crash=f"2:{tmp_path / 'crashed-once'}") as c:
        result = sweep(*PLANAR, GRID, fixed=FIXED, validation_data=validation, seed=3, client=c)
    assert (tmp_path / "crashed-once").exists()  # the worker did die
    assert_same_runs(expected, result)


def test_a_run_whose_worker_dies_again_on_its_retry_is_recorded_as_failed(serial):
    """A run that kills its worker every time: the scheduler gives up on it (and on the runs that shared its
    worker) after allowed-failures; each is run once more alone, and only the guilty one is recorded as failed."""
    expected, validation = serial
    with local_cluster(crash="4", allowed_failures=1) as c:
        result = sweep(*PLANAR, GRID, fixed=FIXED, validation_data=validation, seed=3, client=c)
    assert [r["status"] for r in result.rows] == ["ok"] * 4 + ["failed", "ok"]
    assert "its Dask worker died while running it, and again when it ran alone" in result.rows[4]["message"]
    assert result.networks[4] is None
    for k in (0, 1, 2, 3, 5):
        assert without_timing([result.rows[k]]) == without_timing([expected.rows[k]])


def test_client_and_n_jobs_together_are_refused(client):
    with pytest.raises(ds.DeepstepError, match="n_jobs: runs go to the Dask cluster"):
        sweep(*PLANAR, GRID, fixed=FIXED, client=client, n_jobs=2)


def test_an_unreachable_scheduler_is_one_line_within_the_timeout(tmp_path, capsys):
    start = time.monotonic()
    status = cli.main(["sweep", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "2", "--iterations", "5",
                       "--out", str(tmp_path / "s")])
    seconds = time.monotonic() - start
    err = capsys.readouterr().err
    assert status == 2 and seconds < 15
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("deepstep sweep: error: --scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:9 "
                          "within 2 s")


class OtherService:
    """A loopback TCP service that is not a Dask scheduler: it sends ``greeting`` to whoever connects (garbage, or
    nothing while it waits for an HTTP request), and keeps the connection open."""

    def __init__(self, greeting: bytes):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.greeting, self.open = greeting, []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(conn)
            try:
                conn.sendall(self.greeting)
            except OSError:
                pass

    def close(self):
        for conn in self.open:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize("greeting", [b"", b"\xff" * 64 + b"garbage that is not a Dask message" * 10],
                         ids=["silent", "garbage"])
def test_a_service_that_is_not_a_scheduler_is_one_line_within_the_timeout(tmp_path, capsys, greeting):
    service = OtherService(greeting)
    try:
        start = time.monotonic()
        status = cli.main(["sweep", "--scheduler", f"tcp://127.0.0.1:{service.port}", "--connect-timeout", "2",
                           "--iterations", "5", "--out", str(tmp_path / "s")])
        seconds = time.monotonic() - start
    finally:
        service.close()
    err = capsys.readouterr().err
    assert status == 2 and seconds < 12, (status, seconds)
    assert err.count("\n") == 1 and "--scheduler: cannot reach the Dask scheduler at" in err


def test_a_service_that_is_not_a_scheduler_leaves_no_traceback_at_exit(tmp_path):
    """The command as a process of its own: its one line, and nothing after it (the half-made Client's __del__ used
    to print "Exception ignored in: <function Client.__del__ ...>" and a traceback when it was collected)."""
    import subprocess

    service = OtherService(b"\xff" * 64 + b"garbage that is not a Dask message" * 10)
    try:
        proc = subprocess.run([sys.executable, "-m", "deepstep", "sweep", "--scheduler",
                               f"tcp://127.0.0.1:{service.port}", "--connect-timeout", "2", "--iterations", "5",
                               "--out", str(tmp_path / "s")], capture_output=True, text=True, timeout=120)
    finally:
        service.close()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("deepstep sweep: error: --scheduler: cannot reach the Dask scheduler at")
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_without_the_cluster_extra_the_message_names_the_pip_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    with pytest.raises(ds.DeepstepError, match=r"pip install 'deepstep\[cluster\]'"):
        sweep(*PLANAR, GRID, fixed=FIXED, client="tcp://127.0.0.1:9")
    status = cli.main(["sweep", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "pip install 'deepstep[cluster]'" in err


def test_grid_search_over_deep_classifier_on_the_cluster_through_joblib(client):
    """The README's recipe: GridSearchCV's fits as tasks on the cluster (joblib's Dask backend) find what a serial
    GridSearchCV finds, score for score."""
    joblib = pytest.importorskip("joblib")
    model_selection = pytest.importorskip("sklearn.model_selection")
    datasets = pytest.importorskip("sklearn.datasets")
    from deepstep.sklearn import DeepClassifier

    X, y = datasets.load_breast_cancer(return_X_y=True)
    grid = {"hidden_layer_sizes": [(4,), (16,)], "learning_rate": [0.01, 0.1]}
    estimator = DeepClassifier(num_iterations=60, random_state=0)
    serial = model_selection.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with distributed.get_task_stream(client=client) as tasks, \
            joblib.parallel_backend("dask", scheduler_host=client.scheduler.address):
        on_cluster = model_selection.GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
    assert len(tasks.data) >= 12  # 4 settings x 3 folds ran as tasks on the cluster's workers
    assert on_cluster.best_params_ == serial.best_params_
    np.testing.assert_array_equal(on_cluster.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])
