"""Compiled kernels (the ``fast`` extra: numba): an optimizer's update as one pass over its flat arrays.

The NumPy kernels of :mod:`deepstep.core.optimizers` make one pass over memory per operation: Adam's makes
fourteen over every parameter, its gradient and its two moving averages, which on a network of 235,000 parameters
is most of a mini-batch step that is not a matrix product.  Each optimizer also has the same kernel written as one
loop (``gd_loop``, ``adam_loop`` ... beside the NumPy kernel in ``optimizers.py``): the same IEEE operations in the
same order on the same dtype, its scalars rounded to the arrays' dtype first as NumPy rounds them.  Compiled by
numba without fast-math (no fused multiply-add, no reassociation), it gives the NumPy kernel's bits while reading and
writing each array once; ``tests/core/test_compiled.py`` holds the two equal bit for bit (zeros' signs, subnormal and
huge values, inf and NaN; the one freedom IEEE leaves, which payload the sum of two different NaNs carries, may
differ).  Where the loop would not give the kernel's bits (a NumPy scalar learning rate, a subclass's own update) or
cannot run, the NumPy kernel runs (:meth:`deepstep.core.optimizers.Optimizer.update_flat`).

Importing numba and loading the compiled loops from its cache takes about half a second in a fresh process
(compiling them the first time about a second) and about 150 MiB of memory, once; so a run uses them only where the
passes they save repay that time (:func:`pays`); elsewhere, and without numba, the NumPy kernels run.  Either way
the result is the same.

Examples
--------
>>> from deepstep.core.compiled import pays
>>> pays(235_146, 469, passes=14, itemsize=4)   # Adam, one float32 epoch of an MNIST-shaped network in batches of 128
False
>>> pays(235_146, 2 * 469, passes=14, itemsize=4)   # two epochs repay starting numba
True
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import Any

from ..extras import require

__all__ = ["available", "pays", "start_bytes", "kernel", "use", "unavailable", "START_S", "START_BYTES", "BYTE_PASS_S",
           "ENABLED", "FAILED"]

#: Seconds to start the compiled loops in a process: importing numba and loading them from its cache (measured 0.5-0.65
#: s; compiling them the first time, about a second more).  Once a loop is loaded the process pays nothing again.
START_S = 0.6
#: Bytes of memory starting them takes in a process (numba, llvmlite and the loaded loops: +147 MiB measured in a
#: fresh process), which the training run's memory check counts (:func:`start_bytes`).
START_BYTES = 150 * 2**20
#: Seconds a pass over one byte costs the NumPy kernels (one operation on arrays larger than the caches: Adam's
#: fourteen passes over 235,146 values took 1.0 ms in float32 and 2.2 ms in float64, measured) -- what the one-pass
#: loop saves per pass it does not make.
BYTE_PASS_S = 6e-11

#: False turns the compiled loops off in this process (the NumPy kernels always run): :func:`use`.
ENABLED = True

_COMPILED: dict[Callable[..., Any], Callable[..., Any]] = {}
_AVAILABLE: bool | None = None
#: Why the compiled loops stopped being used in this process (numba failed to compile or load one), or None.
FAILED: str | None = None


def available() -> bool:
    """Whether numba is installed (looked up once, without importing it)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = importlib.util.find_spec("numba") is not None
    return _AVAILABLE


def pays(values: int, updates: int, passes: int = 14, itemsize: int = 4, loop: Callable[..., Any] | None = None
         ) -> bool:
    """Whether a run that updates ``values`` numbers of ``itemsize`` bytes ``updates`` times should use the compiled
    loop of a NumPy kernel that makes ``passes`` passes over memory: numba is installed, :data:`ENABLED`, and the
    passes saved, ``values * updates * (passes - 1) * itemsize * BYTE_PASS_S`` seconds, exceed :data:`START_S` (or
    ``loop`` is already loaded in this process)."""
    if not (ENABLED and available()):
        return False
    saved = int(values) * int(updates) * max(int(passes) - 1, 0) * int(itemsize) * BYTE_PASS_S
    return saved > (0.0 if loop is not None and loop in _COMPILED else START_S)


def start_bytes() -> int:
    """The memory a run that takes the compiled loops adds: :data:`START_BYTES` until numba is imported in this process,
    then 0."""
    return 0 if "numba" in sys.modules else START_BYTES


def use(enabled: bool) -> None:
    """Let runs in this process take the compiled loops where they pay (True), or never (False): the playground's
    server says False -- a request trains for a bounded second or two, and numba's start (0.6 s or more, about
    150 MiB of memory once) would spend that bound and the server's memory."""
    global ENABLED
    ENABLED = bool(enabled)


def unavailable(exc: BaseException) -> None:
    """numba failed (compiling or loading a loop): the NumPy kernels run from now on in this process (the same bits),
    and :data:`FAILED` says why."""
    global _AVAILABLE, FAILED
    _AVAILABLE, FAILED = False, f"{type(exc).__name__}: {exc}"


def kernel(loop: Callable[..., Any]) -> Callable[..., Any]:
    """``loop`` compiled by numba (once per process; numba's disk cache keeps it between processes)."""
    compiled = _COMPILED.get(loop)
    if compiled is None:
        numba = require("numba", extra="fast", feature="compiled kernels")
        compiled = _COMPILED[loop] = numba.njit(cache=True, nogil=True, error_model="numpy")(loop)
    return compiled
