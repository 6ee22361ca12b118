"""Compiled kernels (the ``fast`` extra: numba): an optimizer's update as one pass over its flat arrays.

The NumPy kernels of :mod:`deepstep.core.optimizers` make one pass over memory per operation: Adam's makes
fourteen over every parameter, its gradient and its two moving averages, which on a network of 235,000 parameters
is most of a mini-batch step that is not a matrix product.  Each optimizer also has the same kernel written as one
loop (``gd_loop``, ``adam_loop`` ... beside the NumPy kernel in ``optimizers.py``): the same IEEE operations in the
same order on the same dtype, its scalars rounded to the arrays' dtype first as NumPy rounds them.  Compiled by
numba without fast-math (no fused multiply-add, no reassociation), it gives the NumPy kernel's bits while reading and
writing each array once; ``tests/core/test_compiled.py`` holds the two equal bit for bit.

Importing numba and loading the compiled loops from its cache takes about half a second in a fresh process
(compiling them the first time about a second), so a run uses them only where its updates are enough work to
repay that (:func:`pays`); elsewhere, and without numba, the NumPy kernels run.  Either way the result is the same.

Examples
--------
>>> from deepstep.core.compiled import pays
>>> pays(235_146, 469)          # one epoch of an MNIST-shaped network in batches of 128: not worth starting numba
False
>>> pays(235_146, 10 * 469)     # ten epochs
True
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from ..extras import require

__all__ = ["available", "pays", "kernel", "MIN_UPDATES", "ENABLED"]

#: A run uses the compiled loops where (values updated) x (updates) reaches this: at the 2-6 ns a value-update the
#: one-pass loop saves (Adam, float32 and float64, measured), about a second saved against half a second to a second
#: of starting numba.
MIN_UPDATES = 3 * 10**8

#: False turns the compiled loops off (the NumPy kernels always run); tests set it to compare the two.
ENABLED = True

_COMPILED: dict[Callable[..., Any], Callable[..., Any]] = {}
_AVAILABLE: bool | None = None


def available() -> bool:
    """Whether numba is installed (looked up once, without importing it)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = importlib.util.find_spec("numba") is not None
    return _AVAILABLE


def pays(values: int, updates: int) -> bool:
    """Whether a run that updates ``values`` numbers ``updates`` times should use the compiled loops: numba is
    installed, :data:`ENABLED`, and ``values * updates >= MIN_UPDATES``."""
    return ENABLED and int(values) * int(updates) >= MIN_UPDATES and available()


def kernel(loop: Callable[..., Any]) -> Callable[..., Any]:
    """``loop`` compiled by numba (once per process; numba's disk cache keeps it between processes)."""
    compiled = _COMPILED.get(loop)
    if compiled is None:
        numba = require("numba", extra="fast", feature="compiled kernels")
        compiled = _COMPILED[loop] = numba.njit(cache=True, nogil=True, error_model="numpy")(loop)
    return compiled
