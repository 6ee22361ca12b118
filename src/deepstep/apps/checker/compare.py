"""Comparing a learner's result with the reference: the first quantity that differs, and what its difference says.

Results are walked as the course returns them (tuples, lists, dicts of arrays, scalars); :func:`first_difference`
returns the first leaf that differs (its path such as ``grads['dW1']``, the expected and the got value, and why:
its type, shape or values), and :func:`generic_mistake` names what a difference alone tells (a transposed result,
a (n,) bias, a (1, 1) cost, a flipped sign, a factor of m).  Tolerances allow for a float32 learner and for other
but equivalent formulas (``np.dot`` or ``@``, loops); a float32 cost near log(0) is ill-conditioned, so float32
results are compared with a looser tolerance than float64 ones.

Examples
--------
>>> import numpy as np
>>> d = first_difference({"dW1": np.ones((2, 3))}, {"dW1": np.ones((3, 2))}, "grads")
>>> d.path, d.reason
("grads['dW1']", 'shape')
>>> generic_mistake(d, m=4)
'transpose'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Difference", "first_difference", "generic_mistake", "is_scalar", "leaf", "MISSING", "summary"]

RTOL64, RTOL32 = 1e-6, 2e-3


@dataclass
class Difference:
    """The first leaf of a result that differs from the reference."""

    path: str
    expected: Any
    got: Any
    reason: str  # "type", "shape", "value", "missing", "length"
    keys: tuple = ()  # where the leaf is: the keys and indices from the top of the result


def leaf(value: Any, keys: tuple) -> Any:
    """The part of ``value`` at ``keys`` (a Difference's), or ``MISSING`` where it has none."""
    for k in keys:
        try:
            value = value[k]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return value


MISSING = object()


def is_scalar(value: Any) -> bool:
    """A python or NumPy number, or a 0-d array (what the course accepts as a scalar cost)."""
    return isinstance(value, (int, float, np.number, bool, np.bool_)) or (
        isinstance(value, np.ndarray) and value.ndim == 0)


def _numeric(value: Any) -> bool:
    return is_scalar(value) or isinstance(value, np.ndarray)


def _tolerance(got: Any) -> float:
    return RTOL32 if np.asarray(got).dtype == np.float32 else RTOL64


def close(expected: Any, got: Any) -> bool:
    """Whether two arrays of one shape hold the same values, to the tolerance of ``got``'s dtype."""
    e = np.asarray(expected, dtype=float)
    with np.errstate(all="ignore"):
        g = np.asarray(got).astype(float)
    if e.shape != g.shape:
        return False
    rtol = _tolerance(got)
    finite = np.isfinite(e)
    scale = float(np.max(np.abs(e[finite]))) if finite.any() else 0.0
    return bool(np.allclose(g, e, rtol=rtol, atol=rtol * 1e-2 * scale + 1e-12, equal_nan=True))


def first_difference(expected: Any, got: Any, path: str = "result", keys: tuple = ()) -> Difference | None:
    """The first leaf where ``got`` differs from ``expected`` (walking dicts by the expected keys, tuples and lists
    in order), or None when they agree."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return Difference(path, expected, got, "type", keys)
        for key, value in expected.items():
            if key not in got:
                return Difference(f"{path}[{key!r}]", value, None, "missing", keys + (key,))
            d = first_difference(value, got[key], f"{path}[{key!r}]", keys + (key,))
            if d is not None:
                return d
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return Difference(path, expected, got, "type", keys)
        if len(got) != len(expected):
            return Difference(path, expected, got, "length", keys)
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            d = first_difference(e, g, f"{path}[{i}]", keys + (i,))
            if d is not None:
                return d
        return None
    if isinstance(expected, str) or expected is None:
        return None if got == expected else Difference(path, expected, got, "value", keys)
    if not _numeric(got):
        return Difference(path, expected, got, "type", keys)
    if is_scalar(expected) and not is_scalar(got):
        return Difference(path, expected, got, "shape", keys)
    if np.shape(expected) != np.shape(got):
        return Difference(path, expected, got, "shape", keys)
    if not close(expected, got):
        return Difference(path, expected, got, "value", keys)
    return None


def _leaf_name(path: str) -> str:
    """The last key of a path: "dW1" of "grads['dW1']"."""
    if path.endswith("']"):
        return path[path.rindex("['") + 2 : -2]
    return path


def generic_mistake(d: Difference, m: int | None = None) -> str | None:
    """What the difference alone says, or None: ``transpose``, ``bias_shape``, ``cost_shape``, ``sign``,
    ``scale_m`` (m examples in the case)."""
    e, g = d.expected, d.got
    if not (_numeric(e) and _numeric(g)):
        return None
    with np.errstate(all="ignore"):
        ea, ga = np.asarray(e, dtype=float), np.asarray(g).astype(float)
    name = _leaf_name(d.path)
    bias = name.lstrip("d").startswith("b")
    if d.reason == "shape":
        if bias and ga.size == ea.size and close(ea.ravel(), ga.ravel()):
            return "bias_shape"  # (n, 1) as (1, n) or (n,): the bias's shape, whatever the transposition
        if ea.ndim == 2 and ga.shape == ea.T.shape and close(ea.T, ga):
            return "transpose"
        if ga.size == ea.size and close(ea.ravel(), ga.ravel()):
            if is_scalar(e) or ea.size == 1:
                return "cost_shape"
        if bias and ea.ndim == 2 and ea.shape[1] == 1 and ga.shape != ea.shape:
            return "bias_shape"
        return None
    if d.reason != "value" or ea.shape != ga.shape:
        return None
    if ea.ndim == 2 and ea.shape[0] == ea.shape[1] and not close(ea, ga) and close(ea.T, ga):
        return "transpose"
    if np.any(ea != 0) and close(-ea, ga):
        return "sign"
    if m is not None and m > 1:
        for factor in (m, 1.0 / m, m * m, 1.0 / (m * m), 2.0, 0.5):  # 2 and 1/2: (1/2m) for (1/m), or 2/m
            if close(ea * factor, ga):
                return "scale_m"
    return None


def summary(value: Any, limit: int = 6) -> str:
    """A short text of a value: its type or shape and dtype, and its first entries."""
    if isinstance(value, np.ndarray):
        flat = value.ravel()
        head = np.array2string(flat[:limit], precision=6, separator=", ", suppress_small=False)
        more = " ..." if flat.size > limit else ""
        return f"array of shape {value.shape}, {value.dtype}: {head}{more}"
    if is_scalar(value):
        return f"{type(value).__name__} {float(value):.8g}"
    if isinstance(value, Mapping):
        return f"dict with keys {sorted(map(str, value))}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return f"{type(value).__name__} {value!r:.60}"
