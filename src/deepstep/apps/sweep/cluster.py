"""A sweep on a Dask cluster (``client=``): the connection to a scheduler's address (given up after its timeout, its
half-made clients closed quietly), the data scattered to the workers once per round, one task per run, each result
gathered as soon as it is ready, and the runs lost with their workers run once more alone (:func:`_run_dask`)."""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...errors import DeepstepError, _describe
from ...extras import require
from . import runs as _runs
from .runs import _crash_for_test, _failed, _one_line

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
    X, Y, *rest = _fresh(data)
    return _runs._train_one(X, Y, settings, seed, *rest)  # validation, test, weights, score weights


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
