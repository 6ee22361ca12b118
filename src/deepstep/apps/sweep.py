"""Hyperparameter sweeps: many networks trained on the same data, one per combination of settings.

A sweep is the product of lists of settings (a grid), or ``samples`` combinations drawn from it.
Each run is seeded from the sweep's ``seed`` and its own settings only (:func:`run_seed`), so
that its result does not depend on which other runs there are, on their order, or on the
process it ran in: serially and with ``n_jobs`` worker processes it gives bit-identical
parameters.

>>> import deepstep as ds
>>> from deepstep.sweep import sweep
>>> X, Y = ds.datasets.make_planar(m=100, rng=0)
>>> result = sweep(X, Y, {"hidden": [1, 4]}, fixed={"hidden_activation": "tanh", "learning_rate": 1.2,
...                                            "num_iterations": 20})
>>> [(row["hidden"], row["status"], row["iterations"]) for row in result.rows]
[((1,), 'ok', 20), ((4,), 'ok', 20)]
>>> result.varying
('hidden',)
>>> result.best["run"] in (0, 1), result.best_network.layer_dims[0]
(True, 2)

Settings (:data:`SETTINGS`, defaults in :data:`DEFAULTS`)
-------------------------------------------------------
hidden
    Hidden layer sizes: a tuple of ints (``()``: logistic regression), or one int for one layer.
hidden_activation, output_activation, init, dtype, standardize
    As :class:`deepstep.DeepNetwork` takes them; ``output_activation`` "auto" is sigmoid for
    labels 0/1, softmax for more classes (class indices or one-hot columns).
optimizer, learning_rate, num_iterations, batch_size, l2, keep_prob, method
    As :meth:`deepstep.DeepNetwork.fit` takes them (the optimizer by name).
beta, beta1, beta2, epsilon, schedule, lr_decay, lr_decay_every
    The optimizer's hyperparameters and learning-rate schedule, as ``deepstep train`` takes them
    (:func:`deepstep.optimizers.build_optimizer`; None: the optimizer's default).  A combination the
    optimizer does not take (``beta`` with "adam") is a run with status "failed" and says why.
early_stopping
    None, or the patience of :class:`deepstep.callbacks.EarlyStopping` (needs ``validation_data``);
    the run keeps its best parameters.

Worker processes
----------------
``n_jobs > 1`` trains in a :class:`concurrent.futures.ProcessPoolExecutor` of "spawn" processes
(a script that sweeps with ``n_jobs > 1`` must start under ``if __name__ == "__main__":``).
``n_jobs`` is at most the cores this process may use (:func:`_cores`); more is refused, naming ``n_jobs``.
Each worker gets the data once, when it starts, and BLAS threads limited to
``max(1, cores // n_jobs)`` (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS in the
environment it starts with), so that the workers do not fight over the cores.  A worker that
dies loses no finished run: the unfinished runs that may have been with a worker are retried
once, each alone in a fresh worker, and recorded as "failed" if that worker dies too; the others
go on in a fresh pool.  A worker watches its parent (a thread that checks the parent's pid): when the
parent is gone -- ended by SIGKILL too, which no handler sees -- the worker exits within
:data:`PARENT_POLL` seconds, so that no orphan keeps training.

The grid's size
---------------
The grid is counted before it is built: a sweep of more than :data:`MAX_RUNS` runs (the product of the
lists' lengths, or ``samples``) is refused, naming ``grid`` (or ``samples``), before anything is allocated.
``samples`` draws from a grid of any size without building it.

A Dask cluster
--------------
``client=`` (a ``distributed.Client``, or a scheduler's address) makes each run a task on a Dask
cluster (``pip install 'deepstep[cluster]'``): the data is scattered to the workers once, each
result is gathered as soon as it is ready, and the runs end bit-identical to the serial ones.
A worker that dies has its tasks re-run by the scheduler; a run the scheduler gives up on is run
once more alone, then recorded as "failed" (:func:`_run_dask`).

Ctrl-C
------
A KeyboardInterrupt stops the sweep: the pending runs are cancelled (and the workers ended),
and :class:`SweepInterrupted`, a KeyboardInterrupt, is raised with the result of the runs that
finished in ``.result`` (the others have status "cancelled"); ``sweep(..., previous=that result)``
runs only the others.
"""

from __future__ import annotations

import concurrent.futures.process
import contextlib
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.tasks import task_for
from ..errors import (
    DeepstepError,
    _describe,
    as_array,
    check_number,
    check_positive_int,
    check_X,
)
from ..extras import require
from ..limits import check_parameter_count
from ..model.network import DeepNetwork
from ..training.callbacks import EarlyStopping
from ..training.loop import TrainingDiverged
from ..training.settings import SETTINGS as TABLE_ROWS
from ..training.settings import optimizer_from, sweep_columns, sweep_defaults

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DEFAULTS", "MAX_RUNS", "SETTINGS", "STATUSES", "SweepInterrupted", "SweepResult", "best_row",
           "check_run_count", "check_setting", "data_key", "run_seed", "settings_key", "sweep"]

SETTINGS = sweep_columns()
"""The settings a sweep varies, in the order of the table's columns (:data:`deepstep.training.settings.TABLE`)."""

DEFAULTS: dict[str, Any] = sweep_defaults()
"""The value of each setting neither the grid nor ``fixed`` gives (the table's defaults: those of DeepNetwork and
fit; one hidden layer of 16 units)."""

STATUSES = ("ok", "diverged", "failed", "cancelled")
"""A run's status: trained; stopped by the divergence guard (its parameters put back to the last sound
ones); failed (its message says why; no network); not run (the sweep was interrupted)."""

MAX_RUNS = 10_000
"""The most runs one sweep makes (the grid's combinations, or ``samples``); read at call time, so a program may
change it (``deepstep.sweep.MAX_RUNS = ...``).  Ten thousand runs of a second each are three hours; each keeps its
row and history in memory."""

PARENT_POLL = 0.25
"""Seconds between a worker process's looks at its parent (it exits once its parent is gone)."""

KEEP = ("all", "best")
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

_TEST_CRASH = "DEEPSTEP_SWEEP_TEST_CRASH"
# Private, for tests only: "I" makes a worker process exit (os._exit(1)) when it starts run I, every time;
# "I:PATH" only while the file PATH does not exist (it is created first): once.  Serial sweeps ignore it.


# -- settings --------------------------------------------------------------------------------------------
def _reworded(exc: DeepstepError, where: str) -> DeepstepError:
    """``exc`` ("name: expected ..., got ...") as the same complaint about ``where``."""
    text = str(exc)
    head, sep, rest = text.partition(": ")
    return DeepstepError(f"{where}: {rest if sep and ' ' not in head else text}")


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str) or key not in SETTINGS:
        raise DeepstepError(f"{where}: unknown setting {key!r}; expected one of {list(SETTINGS)}")


def check_setting(key: Any, value: Any, where: str) -> Any:
    """``value`` of setting ``key`` in its canonical form (the one hashed by :func:`settings_key`), or a
    DeepstepError naming ``where`` (such as "grid['learning_rate'][2]")."""
    _check_key(key, where)
    try:
        return TABLE_ROWS[key].check(value)  # the table's check (its bounds: errors.check_number)
    except DeepstepError as exc:
        raise _reworded(exc, where) from None


def _check_grid(grid: Any, fixed: Any) -> tuple[dict[str, list], dict[str, Any]]:
    """The grid's lists and the fixed settings, checked and canonical (grid keys in the order given)."""
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, Mapping):
        raise DeepstepError(f"fixed: expected a dict of settings, got {_describe(fixed)}")
    if grid is None:
        grid = {}
    if not isinstance(grid, Mapping):
        raise DeepstepError(f"grid: expected a dict of setting -> list of values, got {_describe(grid)}")
    lists: dict[str, list] = {}
    for key, values in grid.items():
        _check_key(key, f"grid[{key!r}]")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (Sequence, np.ndarray, range)):
            raise DeepstepError(f"grid[{key!r}]: expected a list of values, got {_describe(values)}; "
                                "give a single value in fixed")
        if len(values) == 0:
            raise DeepstepError(f"grid[{key!r}]: expected a non-empty list of values, got an empty one")
        checked = [check_setting(key, v, f"grid[{key!r}][{i}]") for i, v in enumerate(values)]
        seen: set = set()
        for i, v in enumerate(checked):  # (canonical values are hashable: numbers, strings, tuples, None)
            if v in seen:
                raise DeepstepError(f"grid[{key!r}][{i}]: {v!r} is already in the list (the run would be the same)")
            seen.add(v)
        lists[key] = checked
    settled = {}
    for key, value in fixed.items():
        settled[key] = check_setting(key, value, f"fixed[{key!r}]")
        if key in lists:
            raise DeepstepError(f"fixed[{key!r}]: is in grid too; give it in one of them")
    return lists, settled


def settings_key(settings: Mapping[str, Any]) -> str:
    """The canonical JSON of a run's settings: sorted keys, no spaces, tuples as lists, floats as repr.

    >>> settings_key({"learning_rate": 0.5, "hidden": (4,)})
    '{"hidden":[4],"learning_rate":0.5}'
    """
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_seed(seed: int, settings: Mapping[str, Any]) -> np.random.SeedSequence:
    """The seed of one run: ``SeedSequence([seed, w0, ..., w7])`` where w0..w7 are the SHA-256 digest of
    :func:`settings_key` of the settings that differ from :data:`DEFAULTS` (the resolved output activation
    among them) read as 8 little-endian uint32 words.  Each run's network gets
    ``np.random.default_rng(run_seed(...))``.  (Settings at their defaults are left out so that a setting added
    in a later version, at its default, seeds every run as before.)

    >>> run_seed(1, {"hidden": (4,)}).entropy[:1]
    [1]
    >>> run_seed(1, {"hidden": (4,), "l2": 0.0}).entropy == run_seed(1, {"hidden": (4,)}).entropy
    True
    """
    own = {k: v for k, v in settings.items()
           if k not in DEFAULTS or settings_key({k: v}) != settings_key({k: DEFAULTS[k]})}
    digest = hashlib.sha256(settings_key(own).encode()).digest()
    return np.random.SeedSequence([seed, *(int(w) for w in np.frombuffer(digest, dtype="<u4"))])


# -- data ------------------------------------------------------------------------------------------------
def _class_count(Y: np.ndarray, why: str) -> int:
    """Classes of (1, m) labels 0..k-1: k (at least 2)."""
    labels = Y[0]
    ok = (np.issubdtype(Y.dtype, np.number) and labels.size > 0 and np.isfinite(labels).all()
          and (labels == np.round(labels)).all() and labels.min() >= 0)
    if not ok:
        raise DeepstepError(f"Y: {why} takes class labels 0, 1, ... or one-hot columns; for real-valued targets "
                            "give output_activation 'linear' (regression)")
    return max(int(labels.max()) + 1, 2)


def _output(Y: np.ndarray, output_activation: str) -> tuple[str, int]:
    """The output activation ("auto" resolved) and n[L] for targets Y (n_y, m)."""
    if output_activation == "auto":
        if Y.shape[0] > 1:
            return "softmax", Y.shape[0]
        k = _class_count(Y, "output_activation 'auto'")
        return ("sigmoid", 1) if k == 2 else ("softmax", k)
    if output_activation == "softmax" and Y.shape[0] == 1:
        return "softmax", _class_count(Y, "output_activation 'softmax' with one row of labels")
    return output_activation, Y.shape[0]


def _pair(data: Any, name: str) -> tuple[Any, Any] | None:
    if data is None:
        return None
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise DeepstepError(f"{name}: expected a pair (X, Y), got {_describe(data)}")
    return data[0], data[1]


def _check_data(X: Any, Y: Any, validation: Any, test: Any, outputs: list[str], dtypes: list[str]) -> np.ndarray:
    """Every data set checked against every output activation and dtype of the sweep (before any run); returns Y
    as an array."""
    n_x = check_X(X, name="X").shape[0]
    Y = as_array(Y, "Y")
    if Y.ndim != 2:
        raise DeepstepError(f"Y: expected shape (n_y, m), got shape {Y.shape}")
    for output in outputs:
        name, n_out = _output(Y, output)
        for dtype in dtypes:
            probe = DeepNetwork([n_x, n_out], output_activation=name, init="zeros", rng=0, dtype=dtype)
            sets = [(X, Y, "X", "Y")] + [(*pair, f"{label}[0]", f"{label}[1]") for pair, label in
                                          ((validation, "validation_data"), (test, "test_data")) if pair is not None]
            for A, B, a_name, b_name in sets:
                A = probe._inputs(A, a_name)
                probe._targets(B, A.shape[1], b_name)
    return Y


# -- one run -----------------------------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, DeepstepError) else f"{type(exc).__name__}: {text}"


def _score(net: DeepNetwork, data: tuple[Any, Any] | None) -> float | None:
    if data is None:
        return None
    try:
        score = float(net.score(*data))
    except DeepstepError:  # parameters that overflow on these examples
        return None
    return score if math.isfinite(score) else None  # (R^2 of a diverged regression)


def _finite(values: list) -> list:
    """A history series with NaN and inf as None (JSON has neither)."""
    return [v if v is None or not isinstance(v, float) or math.isfinite(v) else None for v in values]


def _train_one(X: Any, Y: np.ndarray, settings: dict[str, Any], seed: int, validation: Any, test: Any
               ) -> dict[str, Any]:
    """Train one run; its outcome as plain data (parameters, history, scores, timing, status)."""
    out: dict[str, Any] = {"status": "ok", "message": "", "state": None, "history": {},
                           "cost": None, "train": None, "val": None, "test": None, "iterations": 0}
    start = time.perf_counter()
    net = None
    try:
        output, n_out = _output(Y, settings["output_activation"])
        optimizer = optimizer_from(settings)  # the table's optimizer rows
        callbacks = [] if settings["early_stopping"] is None else [EarlyStopping(patience=settings["early_stopping"])]
        net = DeepNetwork([np.shape(X)[0], *settings["hidden"], n_out], settings["hidden_activation"], output,
                          settings["init"], np.random.default_rng(run_seed(seed, settings)), settings["dtype"],
                          settings["standardize"])
        net.fit(X, Y, settings["learning_rate"], settings["num_iterations"], batch_size=settings["batch_size"],
                optimizer=optimizer, l2=settings["l2"], keep_prob=settings["keep_prob"],
                validation_data=validation, callbacks=callbacks, method=settings["method"])
    except TrainingDiverged as exc:
        out.update(status="diverged", message=_one_line(exc))
    except Exception as exc:  # a bad combination (DeepstepError), or anything else: this run only
        out.update(status="failed", message=_one_line(exc))
    out["seconds"] = time.perf_counter() - start
    if net is None:
        return out
    out["history"] = {k: _finite(v) if isinstance(v, list) else v for k, v in net.history.as_dict().items()}
    out["iterations"] = len(net.history.cost)
    out["cost"] = out["history"]["cost"][-1] if net.history.cost else None
    if out["status"] != "failed":
        out["state"] = net.state_dict()  # the network as its parts give it: what a model file holds
        out["train"], out["val"], out["test"] = _score(net, (X, Y)), _score(net, validation), _score(net, test)
    return out


# -- worker processes ---------------------------------------------------------------------------------------
_WORKER_DATA: tuple | None = None


def _parent_gone(parent: int) -> bool:
    """Whether the process ``parent`` that started this one is gone (this one handed to another parent)."""
    return os.getppid() != parent


def _watch_parent(parent: int, poll: float) -> None:
    """In a worker, a daemon thread: end this process (os._exit) as soon as its parent ``parent`` is gone.  A parent
    killed by SIGKILL runs no handler and cannot end its workers; this way they end themselves."""
    def watch() -> None:
        while not _parent_gone(parent):
            time.sleep(poll)
        os._exit(1)

    if _parent_gone(parent):  # gone while this worker was starting
        os._exit(1)
    else:
        threading.Thread(target=watch, daemon=True, name="deepstep-watch-parent").start()


def _init_worker(data: tuple, parent: int | None = None) -> None:
    """A worker's start: the watch on its parent (:func:`_watch_parent`), the data, once; Ctrl-C is the parent's to
    handle (it ends the workers).  The worker was started with SIGINT ignored (:func:`_sigint_ignored`), so that a
    Ctrl-C while it imports does not reach it, and it goes on ignoring it."""
    global _WORKER_DATA
    if parent is not None:
        _watch_parent(parent, PARENT_POLL)
    _WORKER_DATA = data
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored meanwhile (in the main thread; elsewhere nothing changes), then its handler put back.

    A process started meanwhile starts with SIGINT ignored -- the one disposition that survives the exec of a
    "spawn" process (a signal mask does not: the child starts with none), and with it Python installs no
    KeyboardInterrupt handler -- so that a Ctrl-C sent to the whole process group while the workers import is no
    traceback from each of them.  A Ctrl-C while the workers start (milliseconds; a second or so when there is much
    data to send them) is not seen by this process either: press it again."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _crash_for_test(index: int) -> None:
    spec = os.environ.get(_TEST_CRASH)
    if not spec:
        return
    run, _, marker = spec.partition(":")
    if run.strip() != str(index):
        return
    if marker:
        try:
            open(marker, "x").close()
        except FileExistsError:
            return
    os._exit(1)


def _worker_run(index: int, settings: dict[str, Any], seed: int) -> dict[str, Any]:
    _crash_for_test(index)
    X, Y, validation, test = _WORKER_DATA
    return _train_one(X, Y, settings, seed, validation, test)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _blas_threads(n: int) -> Iterator[None]:
    """os.environ with the BLAS thread variables at ``n`` (processes started meanwhile inherit them), restored."""
    saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARIABLES}
    os.environ.update({k: str(n) for k in BLAS_THREAD_VARIABLES})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _end_pool(executor: ProcessPoolExecutor) -> None:
    """Cancel what is pending and end the workers now (after Ctrl-C)."""
    for p in list((getattr(executor, "_processes", None) or {}).values()):
        p.terminate()
    executor.shutdown(wait=True, cancel_futures=True)  # its manager thread reaps the workers (it alone joins them)


def _pools(groups: list[list[int]], workers: int, n_jobs: int, runs: list[dict], data: tuple, seed: int
           ) -> list[tuple[ProcessPoolExecutor, dict]]:
    """One pool of ``workers`` processes per group of runs, each run submitted (in index order)."""
    pools = []
    with _blas_threads(max(1, _cores() // n_jobs)), _sigint_ignored():  # the workers start during the submits
        for group in groups:
            executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker, initargs=(data, os.getpid()))
            pools.append((executor, {executor.submit(_worker_run, i, runs[i], seed): i for i in group}))
    return pools


def _collect(pools: list[tuple[ProcessPoolExecutor, dict]], done: Any) -> list[int]:
    """Each finished run to ``done(index, out)``; returns the runs lost because a worker process died."""
    futures = {f: i for _, fs in pools for f, i in fs.items()}
    lost = []
    try:
        for future in as_completed(futures):
            try:
                out = future.result()
            except BrokenProcessPool:
                lost.append(futures[future])
                continue
            done(futures[future], out)
    except BaseException:
        for executor, _ in pools:
            _end_pool(executor)
        raise
    for executor, _ in pools:
        executor.shutdown(wait=True)
    return sorted(lost)


def _failed(message: str) -> dict[str, Any]:
    return {"status": "failed", "message": message, "state": None, "history": {},
            "cost": None, "train": None, "val": None, "test": None, "iterations": 0, "seconds": None}


def _run_parallel(todo: list[int], runs: list[dict], data: tuple, seed: int, n_jobs: int, done: Any
                  ) -> tuple[int, ...]:
    """All runs in worker processes; returns the runs retried after a worker process died.

    When a worker dies its pool breaks and every unfinished run comes back lost.  A pool hands the runs to its
    workers in order, at most 2 workers + EXTRA_QUEUED_CALLS ahead of the ones finished, so only the first that
    many lost runs can have been with a worker: each of them is retried once, alone in a pool of its own (then a
    death is its own, and it is recorded as "failed"); the others go into a fresh pool as if nothing happened.
    """
    extra = getattr(concurrent.futures.process, "EXTRA_QUEUED_CALLS", 1)
    queue = list(todo)
    retried: list[int] = []
    while queue:
        workers = min(n_jobs, len(queue))
        lost = _collect(_pools([queue], workers, n_jobs, runs, data, seed), done)
        if not lost:
            break
        reach = 2 * workers + extra
        suspects, queue = lost[:reach], lost[reach:]
        retried += suspects
        for k in range(0, len(suspects), n_jobs):
            alone = [[i] for i in suspects[k : k + n_jobs]]
            for i in _collect(_pools(alone, 1, n_jobs, runs, data, seed), done):
                done(i, _failed("its worker process died, and again when it was retried alone"))
    return tuple(sorted(retried))


# -- the result -------------------------------------------------------------------------------------------------
class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; ``result`` holds the runs that finished (the others have status "cancelled")."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__(f"sweep interrupted after {sum(r['status'] != 'cancelled' for r in result.rows)} of "
                         f"{len(result.rows)} runs")
        self.result = result


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ",".join(map(str, value)) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


class SweepResult:
    """What a sweep did, one row per run, in the sweep's order.

    Attributes
    ----------
    rows : list of dict
        Per run: ``run`` (its index), every setting (:data:`SETTINGS`; hidden as a tuple), ``cost`` (the last
        training cost), ``train_accuracy`` (``train_r2`` for regression), ``val_accuracy`` and
        ``test_accuracy`` (where that data was given), ``iterations`` done, ``seconds``, ``status``
        (:data:`STATUSES`) and ``message`` (why it diverged or failed; "" when ok).
    histories : list of dict
        Each run's :meth:`deepstep.History.as_dict` ({} for a run that never trained).
    networks : list of DeepNetwork or None
        Each run's trained network when ``keep="all"`` (None for failed and cancelled runs); with
        ``keep="best"``, only the best run's.
    varying : tuple of str
        The settings that take more than one value among the runs.
    score_name : str
        "accuracy" or "r2".
    score_column : str
        The column runs are compared by: ``val_<score_name>`` where validation data was given, else
        ``test_<score_name>`` where test data was, else ``train_<score_name>``.
    seed : int
    retried : tuple of int
        The runs retried after a worker process died.
    data_key : str
        :func:`data_key` of the data swept (``previous=`` continues only a sweep of the same data).
    """

    def __init__(self, rows: list[dict], histories: list[dict], networks: list[DeepNetwork | None],
                 score_name: str, score_column: str, seed: int, retried: tuple[int, ...] = (),
                 data_key: str = "") -> None:
        self.rows, self.histories, self.networks = rows, histories, networks
        self.score_name, self.score_column, self.seed, self.retried = score_name, score_column, seed, retried
        self.data_key = data_key
        self.varying = tuple(k for k in SETTINGS if len({settings_key({k: r[k]}) for r in rows}) > 1)

    @property
    def best(self) -> dict | None:
        """The row of the status-"ok" run with the highest :attr:`score_column` (the first of equals); None when
        no run finished."""
        return best_row(self.rows, self.score_column)

    @property
    def best_network(self) -> DeepNetwork | None:
        """The best run's network (its parameters and history)."""
        best = self.best
        return None if best is None else self.networks[best["run"]]

    def label(self, row: Mapping[str, Any]) -> str:
        """A run's varying settings, "hidden=(4), learning_rate=0.01" (its index when nothing varies)."""
        return ", ".join(f"{k}={_label(row[k])}" for k in self.varying) or f"run {row['run']}"

    def table(self, sort: bool = False) -> Any:
        """The rows as a pandas DataFrame (best first with ``sort``); needs pandas (``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise DeepstepError("table: needs pandas, which is not installed; install it with pip install pandas "
                                "(the rows are in .rows as a list of dicts)") from None
        frame = pd.DataFrame(self.rows)
        if sort and len(frame):
            frame = frame.sort_values(self.score_column, ascending=False, kind="stable", na_position="last")
        return frame

    def plot_costs(self, path: str | os.PathLike | None = None) -> Figure:
        """Every run's cost curve on one Axes, labelled by its varying settings (the course's learning-rate plot).

        Parameters
        ----------
        path : str or PathLike, optional
            Where to write the PNG; None (the default) writes nothing.

        Returns
        -------
        matplotlib.figure.Figure
            ``fig.axes[0].lines``: one line per run that trained, in run order.
        """
        from ..report import plots

        curves = [(r, np.asarray(h["cost"], dtype=np.float64)) for r, h in zip(self.rows, self.histories,
                                                                                strict=True) if h.get("cost")]
        if not curves:
            raise DeepstepError("plot_costs: no run has a cost to draw (every run failed or was cancelled)")
        curves = [(r, np.clip(J, -plots.MAX_MAGNITUDE, plots.MAX_MAGNITUDE)) for r, J in curves]
        low, high = min(float(J.min()) for _, J in curves), max(float(J.max()) for _, J in curves)
        log_scale = plots._log_scale_fits(low, high)
        fig = plots._figure(7, 4.5)
        ax = fig.add_subplot()
        for row, J in curves:
            suffix = "" if row["status"] == "ok" else f" ({row['status']})"
            ax.plot(np.arange(J.size), J, label=self.label(row) + suffix, linewidth=1.2)
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel("cost J" + (" (log scale)" if log_scale else ""))
        ax.set_title("cost of each run")
        ax.grid(alpha=0.3, which="both" if log_scale else "major")
        ax.legend(fontsize="small" if len(curves) <= 10 else "x-small", ncol=1 if len(curves) <= 12 else 2)
        return plots._finish(fig, path)

    def plot_decision_boundaries(self, X: Any, Y: Any, path: str | os.PathLike | None = None,
                                 resolution: int = 150) -> Figure:
        """For 2-D data: one subplot per kept network, its predicted regions with the points (X (2, m), Y) on them,
        titled with its varying settings and score (the course's hidden-layer-size grid).

        Parameters
        ----------
        X : ndarray of shape (2, m)
        Y : ndarray
            (1, m) class labels or one-hot columns (classifiers), (1, m) targets (regression).
        path : str or PathLike, optional
            Where to write the PNG; None (the default) writes nothing.
        resolution : int
            Grid points per axis, 2 .. 2000.

        Returns
        -------
        matplotlib.figure.Figure
            One Axes per run with a network, in run order.
        """
        from ..report import plots

        kept = [(r, n) for r, n in zip(self.rows, self.networks, strict=True) if n is not None]
        if not kept:
            raise DeepstepError("plot_decision_boundaries: no network to draw (every run failed, or none was kept)")
        X = plots._drawable(check_X(X, name="X"), "X")
        if X.shape[0] != 2 or kept[0][1].layer_dims[0] != 2:
            raise DeepstepError(f"X: expected 2 features for decision boundaries, got shape {X.shape} for networks "
                                f"of {kept[0][1].layer_dims[0]} inputs")
        resolution = check_number(resolution, "resolution", low=2, high=plots.MAX_RESOLUTION, integer=True)
        m = X.shape[1]
        regression = self.score_name == "r2"
        n_classes = max(kept[0][1].layer_dims[-1], 2)
        target = plots._real_target(Y, m) if regression else plots._labels(Y, m, n_classes, "Y")
        G0, G1 = np.meshgrid(plots._grid_axis(X[0], resolution, plots.MAX_MAGNITUDE),
                             plots._grid_axis(X[1], resolution, plots.MAX_MAGNITUDE))
        grid = np.vstack([G0.ravel(), G1.ravel()])
        ncols = math.ceil(math.sqrt(len(kept)))
        nrows = math.ceil(len(kept) / ncols)
        fig = plots._figure(3.2 * ncols, 3.0 * nrows)
        cmap = "viridis" if regression else "coolwarm" if n_classes == 2 else "tab10" if n_classes <= 10 else "turbo"
        for k, (row, net) in enumerate(kept):
            ax = fig.add_subplot(nrows, ncols, k + 1)
            Z = np.asarray(net.predict(grid), dtype=np.float64)[0].reshape(G0.shape)
            if regression:
                Z = plots._drawable(Z, "the predicted values")
                ax.contourf(G0, G1, Z, levels=20, cmap=cmap, alpha=0.6)
                ax.scatter(X[0], X[1], c=target, s=8, cmap=cmap, edgecolors="k", linewidths=0.2)
            else:
                bounds = dict(vmin=-0.5, vmax=n_classes - 0.5)
                ax.contourf(G0, G1, Z, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35, **bounds)
                ax.scatter(X[0], X[1], c=target, s=8, cmap=cmap, edgecolors="k", linewidths=0.2, **bounds)
            score = row[self.score_column]
            shown = "n/a" if score is None else f"{score:.3g}"
            ax.set_title(f"{self.label(row)}\n{self.score_column.replace('_', ' ')} {shown}", fontsize="small")
            ax.tick_params(labelsize="x-small")
        fig.tight_layout()
        return plots._finish(fig, path)

    def __repr__(self) -> str:
        counts = ", ".join(f"{sum(r['status'] == s for r in self.rows)} {s}" for s in STATUSES
                           if any(r["status"] == s for r in self.rows))
        best = self.best
        shown = "none" if best is None else \
            f"run {best['run']} ({self.label(best)}) {self.score_column} {best[self.score_column]:.4g}"
        return f"SweepResult({len(self.rows)} runs: {counts}; best: {shown})"


def best_row(rows: Sequence[Mapping[str, Any]], column: str) -> dict | None:
    """The status-"ok" row with the highest ``column`` (the lowest run index of equals), or None."""
    candidates = [r for r in rows if r["status"] == "ok" and r.get(column) is not None]
    return max(candidates, key=lambda r: (r[column], -r["run"]), default=None)


def _network(settings: Mapping[str, Any], out: Mapping[str, Any], index: int, seed: int) -> DeepNetwork:
    """A finished run's network, from the state its worker sent (parameters, optimizer, standardizers, history,
    generator, callbacks: what the run's own model file would hold)."""
    net = DeepNetwork.from_state_dict(out["state"], f"run {index}")
    net.metadata["sweep"] = {"run": index, "seed": seed, "settings": json.loads(settings_key(settings))}
    return net


def data_key(*arrays: Any) -> str:
    """SHA-256 (hex) of the arrays' dtypes, shapes and bytes, None included as such: what a resumed sweep
    compares to know it has the same data."""
    digest = hashlib.sha256()
    for A in arrays:
        if A is None:
            digest.update(b"none;")
            continue
        A = np.ascontiguousarray(A)
        digest.update(f"{A.dtype.str}{A.shape};".encode())
        digest.update(A.tobytes())
    return digest.hexdigest()


def _reused(previous: Any, runs: list[dict], key: str, seed: int) -> dict[int, tuple[dict, dict, Any]]:
    """The runs ``previous`` finished (status not "cancelled") that this sweep has too, by settings:
    run index -> (row, history, network)."""
    if previous is None:
        return {}
    if not isinstance(previous, SweepResult):
        raise DeepstepError(f"previous: expected the SweepResult of an earlier sweep, got {_describe(previous)}")
    if previous.seed != seed:
        raise DeepstepError(f"previous: was swept with seed {previous.seed}, got seed {seed}")
    if previous.data_key != key:
        raise DeepstepError("previous: was a sweep of other data (X, Y, validation_data or test_data differ)")
    index = {settings_key(r): i for i, r in enumerate(runs)}
    reused = {}
    for row, history, net in zip(previous.rows, previous.histories, previous.networks, strict=True):
        if row["status"] == "cancelled":
            continue
        i = index.get(settings_key({k: row[k] for k in SETTINGS}))
        if i is not None:
            reused[i] = ({**row, "run": i}, history, net)
    return reused


_ADDRESS = re.compile(r"^(?:(?:tcp|tls)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def _connect(client: Any, timeout: float) -> tuple[Any, bool]:
    """A Dask client: the one given, or one connected to the scheduler address given (and to be closed).

    The connection is made in a thread of its own and given up after ``timeout`` seconds (and a little), whatever
    answers at the address: a Dask scheduler, nothing, or another service."""
    distributed = require("distributed", "cluster", "client (a sweep on a Dask cluster)")
    if isinstance(client, distributed.Client):
        return client, False
    match = _ADDRESS.match(client) if isinstance(client, str) else None
    if match is None or not 0 < int(match.group(1)) < 65536:
        raise DeepstepError(f"client: expected a dask.distributed.Client or a scheduler address such as "
                            f"tcp://HOST:8786, got {_describe(client)}")
    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            outcome["client"] = distributed.Client(client, timeout=timeout, set_as_default=False)
        except BaseException as exc:  # refused, timed out, or another service answering
            outcome["error"] = " ".join(str(exc).split())[:200] or type(exc).__name__
            _discard_clients(exc, distributed.Client)

    with _quiet_unraisable():
        thread = threading.Thread(target=connect, daemon=True, name="deepstep-dask-connect")
        thread.start()
        thread.join(timeout + 5)
    if "client" in outcome:
        return outcome["client"], True
    detail = outcome.get("error", "no answer")
    raise DeepstepError(f"client: cannot reach the Dask scheduler at {client} within {timeout:g} s ({detail})")


def _discard_clients(exc: BaseException, kind: type) -> None:
    """Close the half-made Client(s) that the frames of ``exc``'s traceback hold (the one whose constructor failed),
    and mark them closed: otherwise the Client's ``__del__``, whenever the garbage collector comes to it (at the
    latest at exit), tries to close it again, times out and prints its traceback ("Exception ignored in
    Client.__del__").  The frames are cleared, so that nothing holds the Client any more."""
    import traceback

    tb = exc.__traceback__
    found = []
    while tb is not None:
        found += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, kind) and not any(v is f for f in found)]
        tb = tb.tb_next
    for half in found:
        with contextlib.suppress(BaseException):
            half.close(timeout=1)
        with contextlib.suppress(BaseException):
            half.status = "closed"  # its __del__ then does nothing
        with contextlib.suppress(BaseException):
            half._loop_runner.stop()
    found.clear()
    with contextlib.suppress(BaseException):
        traceback.clear_frames(exc.__traceback__)
    exc.__traceback__ = None


@contextlib.contextmanager
def _quiet_unraisable() -> Iterator[None]:
    """A Client that failed to connect complains from its __del__ ("Exception ignored in ..."); not to the user."""
    import gc

    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        yield
        gc.collect()
    finally:
        sys.unraisablehook = previous


def _fresh(data: Any) -> Any:
    """Copies of the arrays in ``data`` (nested in tuples), each in memory of its own.  Dask hands a task arrays
    that view its message buffers, at whatever alignment they came; NumPy's vector loops then split sums
    differently, one ulp off the same run elsewhere.  Copies are aligned as any new array is."""
    if isinstance(data, tuple):
        return tuple(_fresh(d) for d in data)
    return np.array(data, order="K") if isinstance(data, np.ndarray) else data


def _dask_run(index: int, settings: dict[str, Any], seed: int, data: tuple) -> dict[str, Any]:
    """One run as a Dask task (``data`` scattered once to the workers)."""
    _crash_for_test(index)
    X, Y, validation, test = _fresh(data)
    return _train_one(X, Y, settings, seed, validation, test)


SCATTER_TIMEOUT = 60
"""Seconds to wait for the cluster's workers to take the data."""
DASK_ROUNDS = 3
"""How many times a run whose Dask task was lost (its scattered data gone with the workers that held it, a
cancelled task) is submitted before it is recorded as "failed"."""


def _dask_round(runs: list[dict], todo: list[int], data: tuple, seed: int, client: Any, done: Any, attempt: str
                ) -> tuple[list[int], dict[int, str]]:
    """One round: the data scattered to every worker, one task per run of ``todo``, each result gathered (and
    given to ``done``) as soon as it is ready.  Returns the runs given up on because their workers died
    (KilledWorker), and the runs whose tasks were lost otherwise (with why)."""
    import uuid

    from distributed import KilledWorker
    from distributed import as_completed as completed

    try:
        shared = client.scatter([data], broadcast=True, hash=False, timeout=SCATTER_TIMEOUT)[0]
    except Exception as exc:  # no workers, or the connection lost
        raise DeepstepError(f"client: cannot send the data to the Dask cluster's workers ({_one_line(exc)}); are "
                            "there workers (dask worker tcp://SCHEDULER:8786)?") from None
    tag = uuid.uuid4().hex[:8]
    futures = {client.submit(_dask_run, i, runs[i], seed, shared, key=f"deepstep-sweep-{tag}-run-{i}{attempt}",
                             pure=False): i for i in todo}
    killed, lost = [], {}
    try:
        for future in completed(list(futures), loop=client.loop):
            i = futures[future]
            try:
                out = future.result()
            except KilledWorker:
                killed.append(i)
                continue
            except Exception as exc:  # data lost with its workers, a cancelled task, a lost scheduler
                lost[i] = _one_line(exc)
                continue
            finally:
                future.release()
            done(i, out)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.cancel([shared])
    return sorted(killed), lost


def _run_dask(todo: list[int], runs: list[dict], data: tuple, seed: int, client: Any, done: Any) -> None:
    """The runs ``todo`` as tasks on the client's cluster, the data scattered to the workers once per round.

    A worker that dies takes every task it held with it, and the scheduler runs them again elsewhere up to its
    ``distributed.scheduler.allowed-failures`` setting, then gives up on them (KilledWorker) -- the task that
    killed the worker and its innocent neighbours alike.  So a run given up on is run once more, alone on the
    cluster: a run that kills its worker then too is recorded as "failed"; the others end as anywhere else.  A
    task lost otherwise (the scattered data gone with the workers that held it) is submitted again, up to
    :data:`DASK_ROUNDS` times.
    """
    suspects: list[int] = []
    pending, why = list(todo), {}
    for attempt in range(DASK_ROUNDS):
        if not pending:
            break
        killed, why = _dask_round(runs, pending, data, seed, client, done, f"-{attempt}")
        suspects += killed
        pending = sorted(why)
    for i in pending:
        done(i, _failed(f"its Dask task was lost {DASK_ROUNDS} times: {why[i]}"))
    for i in sorted(suspects):
        killed, why = _dask_round(runs, [i], data, seed, client, done, "-alone")
        if killed or why:
            done(i, _failed("its Dask worker died while running it, and again when it ran alone ("
                            + (why[i] if why else "KilledWorker") + ")"))


# -- the sweep -------------------------------------------------------------------------------------------------
def check_run_count(sizes: Sequence[int], samples: int | None = None) -> int:
    """The number of runs of a grid whose lists have ``sizes`` values (their product), or of ``samples`` drawn
    from it, counted without building anything; DeepstepError naming ``samples`` (more than the grid holds, or
    than :data:`MAX_RUNS`) or ``grid`` (more combinations than :data:`MAX_RUNS`, and no ``samples``).

    >>> check_run_count([3, 4]), check_run_count([10**6, 10**6], samples=5)
    (12, 5)
    """
    total = math.prod(sizes)
    if samples is not None:
        if samples > total:
            raise DeepstepError(f"samples: expected at most {total} (the grid's size), got {samples}")
        if samples > MAX_RUNS:
            raise DeepstepError(f"samples: expected at most {MAX_RUNS} runs (deepstep.sweep.MAX_RUNS), got {samples}")
        return samples
    if total > MAX_RUNS:
        shown = " x ".join(map(str, sizes))
        raise DeepstepError(f"grid: expected at most {MAX_RUNS} runs (deepstep.sweep.MAX_RUNS), got {shown} = {total} "
                            "combinations; shorten the lists, or draw some of them with samples")
    return total


def _combinations(lists: dict[str, list], samples: int | None, seed: int) -> list[tuple]:
    """The grid's combinations (the first key varying slowest), or ``samples`` of them drawn without
    replacement by ``np.random.default_rng(seed)``, in grid order; counted (:func:`check_run_count`) before any is
    made."""
    sizes = [len(v) for v in lists.values()]
    total = math.prod(sizes)
    check_run_count(sizes, samples)
    if samples is None:
        return list(itertools.product(*lists.values()))
    if total <= 2**62:
        drawn = sorted(int(i) for i in np.random.default_rng(seed).choice(total, size=samples, replace=False))
    else:  # beyond int64: draw one index per key, skipping repeats
        gen, seen = np.random.default_rng(seed), set()
        while len(seen) < samples:
            seen.add(sum(int(gen.integers(n)) * math.prod(sizes[k + 1:]) for k, n in enumerate(sizes)))
        drawn = sorted(seen)
    out = []
    for flat in drawn:
        digits = []
        for n in reversed(sizes):
            flat, d = divmod(flat, n)
            digits.append(d)
        out.append(tuple(values[d] for values, d in zip(lists.values(), reversed(digits), strict=True)))
    return out


def sweep(
    X: Any,
    Y: Any,
    grid: dict[str, list] | None = None,
    *,
    samples: int | None = None,
    fixed: dict[str, Any] | None = None,
    validation_data: tuple[Any, Any] | None = None,
    test_data: tuple[Any, Any] | None = None,
    seed: int = 1,
    n_jobs: int = 1,
    keep: str = "all",
    client: Any = None,
    connect_timeout: float = 10.0,
    previous: SweepResult | None = None,
    on_run: Callable[[dict, dict, DeepNetwork | None, bool], Any] | None = None,
) -> SweepResult:
    """Train one network per combination of settings and compare them.

    Parameters
    ----------
    X : ndarray of shape (n[0], m)
    Y : ndarray
        (1, m) labels 0/1 or class indices, (n_classes, m) one-hot columns, or (n_y, m) targets with
        output_activation "linear".
    grid : dict of setting -> list of values, optional
        The sweep is the product of the lists, in the order of the keys given, the first varying
        slowest (as :func:`itertools.product`).  Keys from :data:`SETTINGS`; values as listed there.
    samples : int, optional
        Draw this many distinct combinations of the grid (at most its size) with
        ``np.random.default_rng(seed)``, and run them in grid order.
    fixed : dict, optional
        Settings common to every run; :data:`DEFAULTS` for the ones neither gives.
    validation_data, test_data : (X, Y), optional
        Scored at the end of each run (the validation data after every iteration too: the history's
        ``val_cost``).  Runs are compared by the validation score, else the test score, else the training one.
    seed : int
        Seeds every run, with its settings (:func:`run_seed`), and the draw of ``samples``.
    n_jobs : int
        Worker processes (1: in this process; -1: one per core); at most the cores this process may use.
    keep : {"all", "best"}
        Keep every run's network, or only the best one's.
    client : dask.distributed.Client or str, optional
        Run each run as a task on this Dask cluster (or on the scheduler at this address, such as
        "tcp://10.0.0.5:8786"), the data scattered to the workers once; results come back here.
        Needs ``pip install 'deepstep[cluster]'``.  Excludes ``n_jobs``.
    connect_timeout : float
        Seconds to wait for the scheduler at an address.
    previous : SweepResult, optional
        An earlier sweep of the same data and seed (such as ``SweepInterrupted.result``): its finished runs
        (any status but "cancelled") are taken as they are, matched by their settings; only the others run.
    on_run : callable, optional
        ``on_run(row, history, network, best)`` after each run finishes, in this process, in the order they
        finish (not for runs taken from ``previous``): its row, its history, its network (None when it
        failed) and whether it is now the best run.  The command line writes model files with it.

    Returns
    -------
    SweepResult

    Raises
    ------
    DeepstepError
        Before any run, for an unknown setting, an empty list, a value the engine refuses (naming the key and
        position, such as ``grid['learning_rate'][2]``), a grid of more than :data:`MAX_RUNS` runs, more
        ``n_jobs`` than cores, or data that does not fit.  A run that fails while
        training is recorded (status "diverged" or "failed" with its message) and the others go on.
    SweepInterrupted
        On Ctrl-C (a KeyboardInterrupt), with the finished runs in ``.result``.
    """
    seed = check_number(seed, "seed", low=0, integer=True, expected="a seed, an int >= 0")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or not (n_jobs >= 1 or n_jobs == -1):
        raise DeepstepError(f"n_jobs: expected a number of processes >= 1, or -1 for one per core, got "
                            f"{_describe(n_jobs)}")
    n_jobs = _cores() if n_jobs == -1 else int(n_jobs)
    if client is not None and n_jobs != 1:
        raise DeepstepError(f"n_jobs: runs go to the Dask cluster's workers with client; got n_jobs {n_jobs} too")
    if n_jobs > _cores():
        raise DeepstepError(f"n_jobs: expected at most {_cores()} worker processes (the cores this process may use; -1 "
                            f"for all of them), got {n_jobs}")
    connect_timeout = check_number(connect_timeout, "connect_timeout", low=0, low_inclusive=False)
    if on_run is not None and not callable(on_run):
        raise DeepstepError(f"on_run: expected a function (row, history, network, best), got {_describe(on_run)}")
    if not isinstance(keep, str) or keep not in KEEP:
        raise DeepstepError(f"keep: expected one of {list(KEEP)}, got {_describe(keep)}")
    if samples is not None:
        samples = check_positive_int(samples, "samples")
        if not grid:
            raise DeepstepError("samples: draws combinations from a grid; give grid too")
    lists, settled = _check_grid(grid, fixed)
    base = {**{k: check_setting(k, v, k) for k, v in DEFAULTS.items()}, **settled}
    combos = [{**base, **dict(zip(lists, combo, strict=True))} for combo in _combinations(lists, samples, seed)]
    validation = _pair(validation_data, "validation_data")
    test = _pair(test_data, "test_data")
    outputs = sorted({c["output_activation"] for c in combos})
    Y = _check_data(X, Y, validation, test, outputs, sorted({c["dtype"] for c in combos}))
    resolved = {o: _output(Y, o)[0] for o in outputs}
    tasks = {task_for(name).name for name in resolved.values()}
    if len(tasks) > 1:
        where = "grid['output_activation']" if "output_activation" in lists else "output_activation"
        raise DeepstepError(f"{where}: the runs mix classification and regression ({sorted(resolved)}); a sweep "
                            "compares the scores of one task")
    score_name = task_for(next(iter(resolved.values()))).score_name
    runs = [{**c, "output_activation": resolved[c["output_activation"]]} for c in combos]
    designs = lists.get("hidden") or [base["hidden"]]
    for i, hidden in enumerate(designs):  # every run's size, before any run
        where = f"grid['hidden'][{i}]" if "hidden" in lists else "fixed['hidden']" if "hidden" in settled else "hidden"
        for name in resolved.values():
            check_parameter_count([np.shape(X)[0], *hidden, _output(Y, name)[1]], where)
    if validation is None and any(r["early_stopping"] is not None for r in runs):
        raise DeepstepError("early_stopping: watches the validation cost; give validation_data too")
    key = data_key(check_X(X, name="X"), Y, *(validation or (None, None)), *(test or (None, None)))
    reused = _reused(previous, runs, key, seed)

    rows: list[dict] = [{"run": i, **r, "status": "cancelled", "message": "not run: the sweep was interrupted"}
                        for i, r in enumerate(runs)]
    histories: list[dict] = [{} for _ in runs]
    networks: list[DeepNetwork | None] = [None for _ in runs]
    column = f"{'val' if validation else 'test' if test else 'train'}_{score_name}"

    def keep_best() -> dict | None:
        """The best row so far; with keep="best", only its network stays."""
        best = best_row(rows, column)
        if keep == "best":
            for j in range(len(runs)):
                if best is None or j != best["run"]:
                    networks[j] = None
        return best

    for i, (row, history, net) in reused.items():
        rows[i], histories[i], networks[i] = row, history, net
    keep_best()

    def done(i: int, out: dict[str, Any]) -> None:
        row = {"run": i, **runs[i], "cost": out["cost"], f"train_{score_name}": out["train"]}
        if validation is not None:
            row[f"val_{score_name}"] = out["val"]
        if test is not None:
            row[f"test_{score_name}"] = out["test"]
        row.update(iterations=out["iterations"], seconds=out["seconds"], status=out["status"],
                   message=out["message"])
        rows[i] = row
        histories[i] = out["history"]
        net = None if out.get("state") is None else _network(runs[i], out, i, seed)
        networks[i] = net
        best = keep_best()
        if on_run is not None:
            on_run(row, out["history"], net, best is not None and best["run"] == i)

    def result(retried: tuple[int, ...] = ()) -> SweepResult:
        return SweepResult(rows, histories, networks, score_name, column, seed, retried, key)

    todo = [i for i in range(len(runs)) if i not in reused]
    data = (X, Y, validation, test)
    retried: tuple[int, ...] = ()
    try:
        if client is not None:
            client, owned = _connect(client, connect_timeout)
            try:
                _run_dask(todo, runs, data, seed, client, done)
            finally:
                if owned:
                    client.close()
        elif n_jobs == 1 or len(todo) <= 1:
            for i in todo:
                done(i, _train_one(X, Y, runs[i], seed, validation, test))
        else:
            retried = _run_parallel(todo, runs, data, seed, n_jobs, done)
    except KeyboardInterrupt:
        raise SweepInterrupted(result()) from None
    return result(retried)
