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

The parts live in the modules beside this one: ``settings`` (the settings, their checks, a run's seed), ``runs``
(the data checks and one run), ``pool`` (worker processes), ``cluster`` (a Dask cluster) and ``result``
(:class:`SweepResult`); this module is the sweep itself, and gives every name it gave as one module.  A name is
patched where it is defined (``deepstep.apps.sweep.runs._train_one``): the sweep looks it up there.

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

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...core.tasks import task_for
from ...errors import (
    DeepstepError,
    _describe,
    check_number,
    check_positive_int,
    check_X,
)
from ...limits import check_parameter_count
from ...model.network import DeepNetwork
from . import pool as _pool
from . import runs as _runs
from .cluster import (  # noqa: F401
    _ADDRESS,
    DASK_ROUNDS,
    SCATTER_TIMEOUT,
    _connect,
    _dask_round,
    _dask_run,
    _discard_clients,
    _fresh,
    _quiet_unraisable,
    _run_dask,
)
from .pool import (  # noqa: F401
    BLAS_THREAD_VARIABLES,
    PARENT_POLL,
    _blas_threads,
    _collect,
    _cores,
    _end_pool,
    _init_worker,
    _parent_gone,
    _pools,
    _run_parallel,
    _sigint_ignored,
    _watch_parent,
    _worker_run,
)
from .result import (  # noqa: F401
    STATUSES,
    SweepInterrupted,
    SweepResult,
    _label,
    _network,
    _reused,
    best_row,
    data_key,
    sweep_key,
)
from .runs import (  # noqa: F401
    _TEST_CRASH,
    _check_data,
    _class_count,
    _crash_for_test,
    _failed,
    _finite,
    _one_line,
    _output,
    _pair,
    _score,
    _train_one,
    class_weighted,
)
from .settings import (  # noqa: F401
    CHOOSING_FRACTION,
    DEFAULTS,
    SETTINGS,
    Range,
    _check_grid,
    _check_key,
    _reworded,
    check_setting,
    run_seed,
    settings_key,
)

__all__ = ["DEFAULTS", "MAX_RUNS", "Range", "SETTINGS", "STATUSES", "SweepInterrupted", "SweepResult", "best_row",
           "check_run_count", "check_setting", "data_key", "run_seed", "settings_key", "sweep", "sweep_key"]

MAX_RUNS = 10_000
"""The most runs one sweep makes (the grid's combinations, or ``samples``); read at call time, so a program may
change it (``deepstep.sweep.MAX_RUNS = ...``).  Ten thousand runs of a second each are three hours; each keeps its
row and history in memory."""

KEEP = ("all", "best")


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
    made.  Where a list holds a :class:`Range`, each of the ``samples`` runs draws every setting (a list's entry,
    a range's value) from that generator, in key order: random search."""
    if any(isinstance(v, Range) for values in lists.values() for v in values):
        if samples is None:
            key = next(k for k, values in lists.items() if any(isinstance(v, Range) for v in values))
            raise DeepstepError(f"grid[{key!r}]: a range is drawn from, once per run: give samples (how many runs)")
        check_run_count([MAX_RUNS], samples)
        gen = np.random.default_rng(seed)
        out = []
        for _ in range(samples):
            picks = [values[int(gen.integers(len(values)))] for values in lists.values()]
            out.append(tuple(p.draw(gen) if isinstance(p, Range) else p for p in picks))
        return out
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
    hold_out: float | None = CHOOSING_FRACTION,
    seed: int = 1,
    n_jobs: int = 1,
    keep: str = "all",
    client: Any = None,
    connect_timeout: float = 10.0,
    previous: SweepResult | None = None,
    on_run: Callable[[dict, dict, DeepNetwork | None, bool], Any] | None = None,
    sample_weight: Any = None,
    class_weight: Any = None,
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
    validation_data, test_data : (X, Y) or (X, Y, sample_weight), optional
        Scored at the end of each run (the validation data after every iteration too: the history's
        ``val_cost``, unweighted as ``fit``'s).  Runs are compared by the validation score, else by the training
        one; the test score is reported, never used to choose (that would tune on the test set).  With weights, a
        set's score counts each example that many times (as Keras takes them).
    hold_out : float or None
        Without validation_data, this share of (X, Y) is held out (per class, drawn from ``seed`` by
        :func:`deepstep.data.split.validation_split`) to choose the best run on, and the result says so
        (``.notes``); None trains on all of X and chooses on the training score (as the course's own comparisons
        report train and test figures).
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
    sample_weight : array of m numbers >= 0, optional
        The weights of X's examples: each run trains with them (``fit``'s ``sample_weight``: an integer weight is
        the example repeated), and the training score (and the score of the examples ``hold_out`` keeps back, with
        their weights) counts each example that many times.
    class_weight : "balanced" or dict of class index -> weight, optional
        Weighs each class in every run's cost, times ``sample_weight`` ("balanced": class c gets m / (k m_c) over the
        examples the runs train on, scikit-learn's rule); the scores are not weighted by it (classification only).

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
    n_jobs = _pool._cores() if n_jobs == -1 else int(n_jobs)
    if client is not None and n_jobs != 1:
        raise DeepstepError(f"n_jobs: runs go to the Dask cluster's workers with client; got n_jobs {n_jobs} too")
    if n_jobs > _pool._cores():
        raise DeepstepError(f"n_jobs: expected at most {_pool._cores()} worker processes (the cores this process may "
                            f"use; -1 for all of them), got {n_jobs}")
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
    Y, weights, validation, test = _check_data(X, Y, validation, test, outputs, sorted({c["dtype"] for c in combos}),
                                               sample_weight)
    notes: list[str] = []
    if validation is None and hold_out is not None:  # choose on examples no run trained on
        from ...data.split import validation_split
        from ...errors import check_fraction

        fraction = check_fraction(hold_out, "hold_out")
        X = check_X(X, name="X")
        linear = all(_output(Y, o)[0] == "linear" for o in outputs)
        groups = np.zeros(Y.shape[1]) if linear else (Y[0] if Y.shape[0] == 1 else np.argmax(Y, axis=0))
        held = validation_split(groups, fraction, seed, "hold_out")
        X, Y, validation = X[:, ~held], Y[:, ~held], (X[:, held], Y[:, held])
        if weights is not None:
            weights, validation = weights[~held], (*validation, weights[held])
            if not weights.any() or not validation[2].any():
                which = "left to train on" if not weights.any() else "hold_out keeps back to choose on"
                raise DeepstepError(f"sample_weight: every example {which} has weight 0")
        notes.append(f"no validation_data: {fraction:g} of X ({int(held.sum())} examples, per class, seed {seed}) "
                     "is held out to choose the best run on; the runs train on the rest")
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
    score_weights = weights  # the training score's: sample_weight's alone
    if class_weight is not None and score_name != "accuracy":
        raise DeepstepError("class_weight: weighs classes; these runs do regression (a linear output)")
    weights = class_weighted(Y, weights, class_weight)
    key = sweep_key(check_X(X, name="X"), Y, validation, test, weights, score_weights)
    if weights is not None:
        notes.append("sample_weight: every run trains with the weights of X's examples, and the training score "
                     "counts each example that many times"
                     + (" (the held-out examples' score too)" if validation_data is None and validation else ""))
    reused = _reused(previous, runs, key, seed)

    rows: list[dict] = [{"run": i, **r, "status": "cancelled", "message": "not run: the sweep was interrupted"}
                        for i, r in enumerate(runs)]
    histories: list[dict] = [{} for _ in runs]
    networks: list[DeepNetwork | None] = [None for _ in runs]
    column = f"{'val' if validation else 'train'}_{score_name}"  # never the test score: it is reported, not tuned

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
        return SweepResult(rows, histories, networks, score_name, column, seed, retried, key, tuple(notes))

    todo = [i for i in range(len(runs)) if i not in reused]
    data = (X, Y, validation, test, weights, score_weights)
    retried: tuple[int, ...] = ()
    try:
        if client is not None:
            client, owned = _connect(client, connect_timeout)
            try:
                _run_dask(todo, runs, data, seed, client, done)
            finally:
                if owned:
                    client.close()
        else:
            serial = todo  # the runs trained here, one after another
            if n_jobs > 1 and len(todo) > 1:
                n0, n_out, m = np.shape(X)[0], Y.shape[0], Y.shape[1]
                work = [_pool.run_work(runs[i], n0, n_out, m) for i in todo]
                estimate, rest = None, todo
                if work[0] < _pool.POOL_START_S:  # a short first run, here: what it took tells whether the others
                    out = _runs._train_one(*data[:2], runs[todo[0]], seed, *data[2:])  # pay for starting workers
                    done(todo[0], out)
                    estimate, rest = _pool.serial_pays(out["seconds"] or 0.0, work[0], work[1:], n_jobs), todo[1:]
                if estimate is None:
                    retried, serial = _pool._run_parallel(rest, runs, data, seed, n_jobs, done), []
                else:
                    serial = rest
                    notes.append(f"ran serially: the other {len(rest)} runs were estimated at {estimate:.2g} s, "
                                 f"less than starting {min(n_jobs, len(rest))} worker processes saves (about "
                                 f"{_pool.POOL_START_S:g} s to start)")
            for i in serial:
                done(i, _runs._train_one(*data[:2], runs[i], seed, *data[2:]))
    except KeyboardInterrupt:
        raise SweepInterrupted(result()) from None
    return result(retried)
