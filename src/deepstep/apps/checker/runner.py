"""The child process that runs a learner's code, under a time and a memory limit, and what the parent does when it
loops, crashes, exits or runs out of memory.

The child (forked, so that a namespace of a notebook's kernel comes along) loads the code, then checks one function
at a time, telling the parent when each starts and ends.  A function that outlives its time is stopped with its
process and reported as ``timeout``; one whose process dies (``sys.exit`` is caught, ``os._exit`` or a crash is
not) as ``error``; either way a new child goes on with the functions left.  The learner's prints go nowhere; their
file is only read.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from . import harness

__all__ = ["run", "TIMEOUT", "MEMORY"]

#: Seconds each function may take (its cases, their diagnosis and the finite differences together).
TIMEOUT = 10.0
#: Bytes of memory the learner's code may add to the child's.
MEMORY = 1 << 30
#: Seconds the loading of the code may take (its imports).
LOAD_TIMEOUT = 30.0


def _limit_memory(extra: int) -> None:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
        now = pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    limit = now + extra
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _quiet() -> None:
    """The learner's prints and input() go nowhere."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- for the child's lifetime
    sys.stderr = sys.stdout


def _child(conn: Any, load: Callable[[], tuple], assignment: str | None, done: dict[str, str], memory: int) -> None:
    try:
        _quiet()
        _limit_memory(memory)
        harness.install_helpers()
        ns, defined, problems, source = load()
        names = [n for n in defined if n in harness.exercise_names()]
        held = [assignment] if assignment else harness.assignments_of(set(defined))
        conn.send(("loaded", names, problems, held))
        statuses = dict(done)  # the functions checked so far (by earlier children too): pass or not
        for name in names:
            if name in done:
                continue
            conn.send(("start", name))
            try:
                result = harness.check_one(name, ns, held, assignment, source, statuses)
                if result is None:  # of another assignment than the file's (a helper pasted in): not checked
                    conn.send(("done", name, None))
                    continue
                statuses[name] = result.status
                conn.send(("done", name, result.as_dict()))
            except BaseException as exc:  # noqa: BLE001 -- a learner's function broke the check itself
                line = harness._user_line(exc, source)
                conn.send(("done", name, harness.FunctionResult(
                    name, "error", message=f"it raised {type(exc).__name__}: {exc}{line}").as_dict()))
        conn.send(("end",))
    finally:
        conn.close()
        os._exit(0)


def run(load: Callable[[], tuple], assignment: str | None = None, timeout: float = TIMEOUT,
        memory: int = MEMORY) -> tuple[dict[str, dict], list[str], list[str]]:
    """Check every exercise function ``load()`` gives, each in a child process under the limits; returns
    (results by name, the problems of loading, the assignments held)."""
    ctx = multiprocessing.get_context("fork")
    results: dict[str, dict] = {}
    problems: list[str] = []
    held: list[str] = []
    names: list[str] | None = None
    while names is None or any(n not in results for n in names):
        parent, child = ctx.Pipe(duplex=False)
        done = {n: (r["status"] if r is not None else "skipped") for n, r in results.items()}
        proc = ctx.Process(target=_child, args=(child, load, assignment, done, memory), daemon=True)
        proc.start()
        child.close()
        current: str | None = None
        deadline = time.monotonic() + LOAD_TIMEOUT
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not parent.poll(left):
                    if current is None:
                        problems.append(f"loading the code took more than {LOAD_TIMEOUT:g} s; nothing was checked")
                        names = names or []
                    else:
                        results[current] = harness.FunctionResult(
                            current, "timeout", message=f"it did not finish within {timeout:g} s (an endless "
                                                        "loop?); it was stopped").as_dict()
                    break
                try:
                    msg = parent.recv()
                except (EOFError, OSError):
                    proc.join(1.0)
                    code = proc.exitcode
                    why = "ran out of memory or crashed" if code and code < 0 else f"ended with exit code {code}"
                    if current is None:
                        problems.append(f"the process running the code {why} while loading it")
                        names = names or []
                    else:
                        results[current] = harness.FunctionResult(
                            current, "error", message=f"its process {why} while it ran (os._exit, a crash, or more "
                                                      f"memory than the {memory >> 20} MiB allowed)").as_dict()
                    break
                if msg[0] == "loaded":
                    if names is None:
                        names, problems, held = msg[1], problems + msg[2], msg[3]
                    deadline = time.monotonic() + timeout
                elif msg[0] == "start":
                    current = msg[1]
                    deadline = time.monotonic() + timeout
                elif msg[0] == "done":
                    results[msg[1]] = msg[2]
                    current = None
                elif msg[0] == "end":
                    names = names or []
                    for n in names:
                        results.setdefault(n, harness.FunctionResult(n, "error", message="not checked").as_dict())
                    break
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(5.0)
            parent.close()
    order = names or []
    return {n: results[n] for n in order if results.get(n) is not None}, problems, held


def _call_child(conn: Any, load: Callable[[], tuple], name: str, args: tuple, memory: int) -> None:
    try:
        _quiet()
        _limit_memory(memory)
        harness.install_helpers()
        ns, defined, problems, source = load()
        fn = ns.get(name)
        if not callable(fn):
            conn.send(("missing", problems))
            return
        try:
            conn.send(("done", fn(*args)))
        except BaseException as exc:  # noqa: BLE001 -- the learner's exception is the answer
            conn.send(("raised", f"{type(exc).__name__}: {exc}{harness._user_line(exc, source)}"))
    finally:
        conn.close()
        os._exit(0)


def call(load: Callable[[], tuple], name: str, args: tuple, timeout: float = TIMEOUT, memory: int = MEMORY) -> Any:
    """The learner's function ``name`` called once on ``args`` in a child process under the limits; its result, or
    ``RuntimeError`` with one line saying what went wrong (missing, raised, timed out, died)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_call_child, args=(child, load, name, args, memory), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(LOAD_TIMEOUT + timeout):
            raise RuntimeError(f"{name} did not finish within {timeout:g} s; it was stopped")
        try:
            kind, value = parent.recv()
        except (EOFError, OSError):
            raise RuntimeError(f"the process running {name} ended with exit code {proc.exitcode}") from None
        if kind == "missing":
            raise RuntimeError(f"no function {name} is defined there" + (f" ({value[0]})" if value else ""))
        if kind == "raised":
            raise RuntimeError(f"{name} raised {value}")
        return value
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5.0)
        parent.close()
