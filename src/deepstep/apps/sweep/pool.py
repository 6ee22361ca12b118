"""Worker processes (``n_jobs > 1``): pools of "spawn" processes, each given the data once when it starts, its BLAS
threads limited, Ctrl-C left to the parent and a watch on the parent; the runs submitted and collected as they
finish, and the ones lost with a dead worker retried once, each alone (:func:`_run_parallel`); the cores this process
may use (:func:`_cores`)."""

from __future__ import annotations

import concurrent.futures.process
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ...limits import weight_products
from . import runs as _runs
from .runs import _crash_for_test, _failed

PARENT_POLL = 0.25
"""Seconds between a worker process's looks at its parent (it exits once its parent is gone)."""

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

POOL_START_S = 1.0
"""Seconds a pool of workers costs before its first run is back (a "spawn" process starts an interpreter, imports
NumPy and deepstep and is sent the data: 0.3-0.4 s on a quiet 2-core machine, 2-3 s under load).  A sweep whose
runs would take less than that saves by running serially (:func:`serial_pays`)."""
STEP_S = 1e-4  # a training step's fixed cost (its NumPy calls), in the relative work of two runs (run_work)
MULTIPLY_ADDS_PER_S = 5e9


def run_work(settings: dict[str, Any], n0: int, n_out: int, m: int) -> float:
    """A run's work in (rough) seconds: per epoch, a fixed cost per step and its products' multiply-adds.  Only
    ratios of two runs' figures are used: the sweep scales the time its first run took."""
    dims = [n0, *settings["hidden"], n_out]
    batch = min(settings["batch_size"] or m, m)
    multiply_adds = 3 * m * sum(weight_products(dims))
    return settings["num_iterations"] * (-(-m // batch) * STEP_S + multiply_adds / MULTIPLY_ADDS_PER_S)


def serial_pays(first_seconds: float, first_work: float, rest_work: list[float], n_jobs: int) -> float | None:
    """The estimated seconds of the runs left where running them serially beats starting ``n_jobs`` workers
    (serial: that estimate; a pool: :data:`POOL_START_S` plus the estimate shared by the workers), else None.

    Examples
    --------
    >>> serial_pays(0.05, 1.0, [1.0] * 7, 2)     # seven more runs of 50 ms: 0.35 s serially, over 1 s with a pool
    0.35000000000000003
    >>> serial_pays(2.0, 1.0, [1.0] * 7, 2) is None
    True
    """
    estimate = first_seconds * sum(rest_work) / max(first_work, 1e-12)
    workers = min(n_jobs, len(rest_work))
    return estimate if workers < 2 or estimate * (1 - 1 / workers) < POOL_START_S else None


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


def _worker_run(index: int, settings: dict[str, Any], seed: int) -> dict[str, Any]:
    _crash_for_test(index)
    X, Y, *rest = _WORKER_DATA
    return _runs._train_one(X, Y, settings, seed, *rest)  # validation, test, weights, score weights


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
