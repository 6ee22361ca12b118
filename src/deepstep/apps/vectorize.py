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
    """One case: the best of ``repeats`` timings of the loop and of the vectorized expression."""

    case: str
    size: str
    loop_seconds: float
    vector_seconds: float
    agree: bool
    difference: float

    @property
    def speedup(self) -> float:
        """loop_seconds / vector_seconds."""
        return self.loop_seconds / self.vector_seconds if self.vector_seconds > 0 else math.inf


def _best(f: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, value = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = f()
        best = min(best, time.perf_counter() - start)
    return best, value


def _agree(loop: Any, vector: Any) -> tuple[bool, float]:
    a = np.atleast_1d(np.asarray(loop, dtype=np.float64)).ravel()
    v = np.atleast_1d(np.asarray(vector, dtype=np.float64)).ravel()
    difference = float(np.max(np.abs(a - v)))
    return bool(np.allclose(a, v, rtol=1e-9, atol=1e-12)), difference


def lesson(n: int = 1_000_000, repeats: int = 3, rng: RngLike = 0) -> list[Timing]:
    """Time both cases on n numbers: vectors of n elements; m = max(1, n // FEATURES) examples of FEATURES features.

    Parameters
    ----------
    n : int
        Elements (1 .. :data:`MAX_N`).
    repeats : int
        Timings per version; the best counts (the machine's other work only slows a run down).
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
    loop_s, loop = _best(lambda: dot_loop(a, b), repeats)
    vec_s, vec = _best(lambda: float(np.dot(a, b)), repeats)
    rows.append(Timing("dot product", f"n = {n:,}", loop_s, vec_s, *_agree(loop, vec)))
    m = max(1, n // FEATURES)
    X = gen.standard_normal((FEATURES, m))
    Y = (gen.random((1, m)) < 0.5).astype(np.float64)
    w, b0 = 0.01 * gen.standard_normal((FEATURES, 1)), 0.1
    loop_s, loop = _best(lambda: logistic_gradient_loop(w, b0, X, Y), repeats)
    vec_s, vec = _best(lambda: logistic_gradient(w, b0, X, Y), repeats)
    agree_w, diff_w = _agree(loop[0], vec[0])
    agree_b, diff_b = _agree(loop[1], vec[1])
    rows.append(Timing("logistic-regression gradient", f"m = {m:,} examples of n_x = {FEATURES} features", loop_s,
                       vec_s, agree_w and agree_b, max(diff_w, diff_b)))
    return rows
