"""The vectorization lesson: a Python loop against the NumPy expression, timed on this machine.

The course times a loop over 1,000,000 elements at about 450 ms against 1.5 ms vectorized.  Two cases:

* the dot product of two random vectors of n elements: ``sum over i of a[i] b[i]`` against ``np.dot(a, b)``;
* the gradient of logistic regression over m examples of n_x features (``A = sigmoid(w^T X + b)``,
  ``dZ = A - Y``): ``dw = (1/m) X dZ^T`` and ``db = (1/m) sum(dZ)``, as the course's double loop over
  examples and features against those two expressions.

Each case checks that the loop and the expression give the same numbers (up to the order of the sums).

>>> rows = lesson(n=2000, repeats=1, rng=0)
>>> [row.case for row in rows]
['dot product', 'logistic-regression gradient']
>>> all(row.agree for row in rows)
True
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.activations import sigmoid
from ..core.initialization import RngLike, as_rng
from ..errors import check_number

__all__ = ["Timing", "lesson", "dot_loop", "logistic_gradient_loop", "logistic_gradient", "FEATURES"]

FEATURES = 100
"""n_x of the logistic-regression case: n elements are m = n / n_x examples of n_x features."""
MAX_N = 10_000_000
"""The most elements: the loops hold them as Python floats (about 64 bytes each, for a and b)."""


def dot_loop(a: np.ndarray, b: np.ndarray) -> float:
    """sum over i of a[i] b[i], one element at a time (the course's for loop)."""
    total = 0.0
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        total += x * y
    return total


def logistic_gradient(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, float]:
    """Vectorized: A = sigmoid(w^T X + b), dZ = A - Y, dw = (1/m) X dZ^T (n_x, 1), db = (1/m) sum(dZ)."""
    m = X.shape[1]
    dZ = sigmoid(w.T @ X + b) - Y
    return (X @ dZ.T) / m, float(dZ.sum()) / m


def logistic_gradient_loop(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, float]:
    """The same with explicit loops over the m examples and the n_x features (the course's first version)."""
    n_x, m = X.shape
    columns, weights, labels = X.T.tolist(), w[:, 0].tolist(), Y[0].tolist()
    dw, db = [0.0] * n_x, 0.0
    for i in range(m):
        x = columns[i]
        z = b
        for j in range(n_x):
            z += weights[j] * x[j]
        dz = 1.0 / (1.0 + math.exp(-z)) - labels[i] if z >= 0 else math.exp(z) / (1.0 + math.exp(z)) - labels[i]
        for j in range(n_x):
            dw[j] += x[j] * dz
        db += dz
    return np.array(dw).reshape(n_x, 1) / m, db / m


@dataclass(frozen=True)
class Timing:
    """One case: the median of ``repeats`` timings of the loop and of the vectorized expression, and their spread.

    Each timing of a fast expression repeats it until the timed block lasts :data:`BLOCK_SECONDS` (as ``timeit``'s
    autorange does), so that the clock's resolution and a call's overhead do not decide the figure.
    """

    case: str
    size: str
    loop_seconds: float  # the median of the loop's timings (per call)
    vector_seconds: float  # the median of the expression's timings (per call)
    agree: bool
    difference: float
    loop_spread: float = 0.0  # the width of the middle half of the loop's timings, over their median
    vector_spread: float = 0.0
    others: float = 0.0  # the share of this process's CPUs that other processes used while it timed (0 unknown)

    @property
    def speedup(self) -> float:
        """loop_seconds / vector_seconds (of the medians)."""
        return self.loop_seconds / self.vector_seconds if self.vector_seconds > 0 else math.inf

    @property
    def busy(self) -> bool:
        """Whether the machine was too busy for the figure to mean much: the middle half of the timings spreads
        over more than :data:`BUSY_SPREAD` of their median, or other processes used more than :data:`BUSY_OTHERS`
        of the CPUs this process may run on while it timed (a steady load slows every timing alike, so that
        their spread alone does not show it)."""
        return max(self.loop_spread, self.vector_spread) > BUSY_SPREAD or self.others > BUSY_OTHERS


#: A timed block of a fast expression lasts at least this long (the expression repeated within it).
BLOCK_SECONDS = 0.02
#: Timings that spread by more than this share of their median: the machine was busy.
BUSY_SPREAD = 0.5
#: Other processes using more than this share of our CPUs while we time: the machine was busy.
BUSY_OTHERS = 0.25


def _cpu_seconds() -> tuple[float, float, int] | None:
    """(CPU seconds all processes have used on the CPUs this process may run on, CPU seconds this process has
    used, how many such CPUs), from Linux's /proc/stat; None where it cannot be read."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        with open("/proc/stat", encoding="ascii") as f:
            lines = {line.split()[0]: line.split()[1:] for line in f if line.startswith("cpu")}
        tick = os.sysconf("SC_CLK_TCK")
        used = 0
        for k in cpus:
            fields = [int(v) for v in lines[f"cpu{k}"]]
            used += sum(fields[:3]) + sum(fields[5:8])  # user nice system, irq softirq steal (not idle, iowait)
    except (OSError, KeyError, ValueError, AttributeError):
        return None
    own = os.times()
    return used / tick, own.user + own.system, len(cpus)


def _others_share(before: tuple[float, float, int] | None, after: tuple[float, float, int] | None,
                  wall: float) -> float:
    """The share of our CPUs other processes used between two :func:`_cpu_seconds` readings ``wall`` s apart."""
    if before is None or after is None or wall <= 0:
        return 0.0
    others = (after[0] - before[0]) - (after[1] - before[1])
    return float(min(1.0, max(0.0, others / (wall * after[2]))))


def _per_call(f: Callable[[], Any]) -> tuple[int, Any]:
    """How many calls of ``f`` make a block of :data:`BLOCK_SECONDS` (1, 2, 5, 10, 20, ...), and f's value."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            value = f()
        if time.perf_counter() - start >= BLOCK_SECONDS or number >= 10**6:
            return number, value
        number = number * 5 // 2 if str(number)[0] == "2" else number * 2  # 1, 2, 5, 10, 20, 50, ...


def _timings(f: Callable[[], Any], repeats: int) -> tuple[float, float, Any, float]:
    """(median seconds per call, spread, value, the share of our CPUs other processes used meanwhile) of
    ``repeats`` timed blocks of ``f``."""
    number, value = _per_call(f)
    times = []
    before, t0 = _cpu_seconds(), time.perf_counter()
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            value = f()
        times.append((time.perf_counter() - start) / number)
    median = float(np.median(times))
    q1, q3 = np.percentile(times, [25, 75])
    spread = float(q3 - q1) / median if median > 0 else 0.0  # the middle half's width: one outlier does not decide
    return median, spread, value, _others_share(before, _cpu_seconds(), time.perf_counter() - t0)


def _agree(loop: Any, vector: Any) -> tuple[bool, float]:
    a = np.atleast_1d(np.asarray(loop, dtype=np.float64)).ravel()
    v = np.atleast_1d(np.asarray(vector, dtype=np.float64)).ravel()
    difference = float(np.max(np.abs(a - v)))
    return bool(np.allclose(a, v, rtol=1e-9, atol=1e-12)), difference


def lesson(n: int = 1_000_000, repeats: int = 7, rng: RngLike = 0) -> list[Timing]:
    """Time both cases on n numbers: vectors of n elements; m = max(1, n // FEATURES) examples of FEATURES features.

    Parameters
    ----------
    n : int
        Elements (1 .. :data:`MAX_N`).
    repeats : int
        Timed blocks per version (each at least :data:`BLOCK_SECONDS` long); their median counts, and their
        spread says whether the machine was quiet enough (:attr:`Timing.busy`).
    rng : int, Generator or None
        Draws the random vectors and examples.

    Returns
    -------
    list of Timing
    """
    n = check_number(n, "n", low=1, high=MAX_N, integer=True, expected=f"a number of elements from 1 to {MAX_N}")
    repeats = check_number(repeats, "repeats", low=1, high=1000, integer=True)
    gen = as_rng(rng)
    a, b = gen.random(n), gen.random(n)
    rows = []
    loop_s, loop_spread, loop, loop_others = _timings(lambda: dot_loop(a, b), repeats)
    vec_s, vec_spread, vec, vec_others = _timings(lambda: float(np.dot(a, b)), repeats)
    rows.append(Timing("dot product", f"n = {n:,}", loop_s, vec_s, *_agree(loop, vec), loop_spread, vec_spread,
                       max(loop_others, vec_others)))
    m = max(1, n // FEATURES)
    X = gen.standard_normal((FEATURES, m))
    Y = (gen.random((1, m)) < 0.5).astype(np.float64)
    w, b0 = 0.01 * gen.standard_normal((FEATURES, 1)), 0.1
    loop_s, loop_spread, loop, loop_others = _timings(lambda: logistic_gradient_loop(w, b0, X, Y), repeats)
    vec_s, vec_spread, vec, vec_others = _timings(lambda: logistic_gradient(w, b0, X, Y), repeats)
    agree_w, diff_w = _agree(loop[0], vec[0])
    agree_b, diff_b = _agree(loop[1], vec[1])
    size = f"m = {m:,} example{'s' if m > 1 else ''} of n_x = {FEATURES} features"
    rows.append(Timing("logistic-regression gradient", size, loop_s, vec_s, agree_w and agree_b, max(diff_w, diff_b),
                       loop_spread, vec_spread, max(loop_others, vec_others)))
    return rows
