"""deepstep's own exception and the input checks that raise it.

Every check names the argument, what was expected and what came, and never
modifies what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "DeepstepError",
    "as_dtype_checked",
    "as_array",
    "check_arrays",
    "check_X",
    "check_forward_result",
    "plain_parameters",
    "check_Y",
    "check_layer_dims",
    "check_learning_rate",
]


class DeepstepError(ValueError):
    """Raised for input deepstep cannot use; a ``ValueError`` subclass."""


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def as_array(value: Any, name: str) -> np.ndarray:
    """The one way deepstep takes an array from its user: a plain numeric ndarray, or DeepstepError.

    * ``np.matrix`` becomes the plain 2-D array it holds;
    * a masked array is taken only without masked entries (they would hide values such as NaN);
    * booleans become 0.0 / 1.0 (float64); integers and floats are kept as they are;
    * anything else (lists, strings, objects, complex numbers) is refused, naming ``name``.

    The value given is never modified (a conversion makes a new array).
    """
    if isinstance(value, np.ma.MaskedArray):
        masked = int(np.ma.count_masked(value))
        if masked:
            raise DeepstepError(f"{name}: expected a plain NumPy array, got a masked array with {masked} masked "
                                "entries; fill them (a.filled(value)) or leave those entries out")
        value = np.asarray(value.data)
    if isinstance(value, np.matrix):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise DeepstepError(f"{name}: expected a numeric NumPy array, got {_describe(value)}")
    if value.dtype == np.bool_:
        return value.astype(np.float64)
    if value.dtype.kind not in "iuf":
        raise DeepstepError(f"{name}: expected a numeric NumPy array, got {_describe(value)}")
    return value


def check_arrays(**arrays: Any) -> tuple[np.ndarray, ...]:
    """:func:`as_array` on every argument (named by its keyword in a message); the arrays, in order."""
    return tuple(as_array(value, name) for name, value in arrays.items())


def as_dtype_checked(X: np.ndarray, dtype: np.dtype, name: str = "X") -> np.ndarray:
    """A checked X in ``dtype`` (no copy when it already is); values the cast makes inf are an error."""
    if X.dtype == dtype:
        return X
    with np.errstate(over="ignore"):
        cast = X.astype(dtype)
    if not np.isfinite(cast).all():
        raise DeepstepError(
            f"{name}: expected values that fit in {np.dtype(dtype).name}, got values beyond its range "
            f"(largest magnitude {np.abs(X).max():g})"
        )
    return cast


def check_layer_dims(layer_dims: Any) -> list[int]:
    """Return ``layer_dims`` as a list of positive ints, at least ``[n0, nL]``."""
    try:
        dims = list(layer_dims)
    except TypeError:
        raise DeepstepError(
            f"layer_dims: expected a sequence of positive integers such as [12288, 20, 1], "
            f"got {_describe(layer_dims)}"
        ) from None
    if len(dims) < 2:
        raise DeepstepError(
            f"layer_dims: expected at least two sizes [n0, ..., nL] (input and output), got {dims!r}"
        )
    for l, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, Integral) or n <= 0:
            raise DeepstepError(
                f"layer_dims: expected positive integers, got {n!r} at position {l} of {dims!r}"
            )
    return [int(n) for n in dims]


def check_X(X: Any, n_x: int | None = None, name: str = "X") -> np.ndarray:
    """``X`` as a finite 2-D numeric array of shape (n_x, m) with m >= 1 (see :func:`as_array`)."""
    if not isinstance(X, np.ndarray):
        raise DeepstepError(f"{name}: expected a NumPy array of shape (n[0], m), got {_describe(X)}")
    X = as_array(X, name)
    if X.ndim != 2:
        raise DeepstepError(
            f"{name}: expected a 2-D array of shape (n[0], m) with one example per column, "
            f"got shape {X.shape}"
        )
    if n_x is not None and X.shape[0] != n_x:
        raise DeepstepError(
            f"{name}: expected {n_x} rows (layer_dims[0] = {n_x} features), got shape {X.shape}"
        )
    if X.shape[1] == 0:
        raise DeepstepError(f"{name}: expected at least one example (m >= 1), got shape {X.shape}")
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise DeepstepError(f"{name}: expected a numeric array, got dtype {X.dtype}")
    if np.issubdtype(X.dtype, np.floating) and not _all_finite(X):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise DeepstepError(f"{name}: expected finite values, got {bad} NaN or inf entries")
    return X


def _all_finite(X: np.ndarray) -> bool:
    """Whether every entry is finite: one summing pass (NaN and inf survive a sum), the exact check only where
    the sum is not finite (then it may also be large finite values overflowing)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(X, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(X).all())


def check_Y(Y: Any, m: int, n_y: int = 1, name: str = "Y") -> np.ndarray:
    """``Y`` of shape (n_y, m) holding only 0/1 labels (see :func:`as_array`)."""
    if not isinstance(Y, np.ndarray):
        raise DeepstepError(f"{name}: expected a NumPy array of shape ({n_y}, {m}), got {_describe(Y)}")
    Y = as_array(Y, name)
    if Y.shape != (n_y, m):
        raise DeepstepError(f"{name}: expected shape ({n_y}, {m}), got shape {Y.shape}")
    if not (np.issubdtype(Y.dtype, np.number) or Y.dtype == np.bool_):
        raise DeepstepError(f"{name}: expected 0/1 labels, got dtype {Y.dtype}")
    ok = (Y == 0) | (Y == 1)
    if not ok.all():
        bad = np.unique(Y[~ok])[:5]
        raise DeepstepError(f"{name}: expected labels in {{0, 1}}, got values such as {bad.tolist()}")
    if n_y > 1 and not (Y.sum(axis=0) == 1).all():
        raise DeepstepError(f"{name}: expected one-hot columns (exactly one 1 per column) for {n_y} classes")
    return Y


def check_learning_rate(learning_rate: Any) -> float:
    """Return ``learning_rate`` as a positive finite Python float."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real):
        raise DeepstepError(f"learning_rate: expected a positive number, got {_describe(learning_rate)}")
    lr = float(learning_rate)
    if not math.isfinite(lr) or lr <= 0:
        raise DeepstepError(f"learning_rate: expected a positive finite number, got {lr!r}")
    return lr


def check_positive_int(value: Any, name: str, allow_none: bool = False) -> int | None:
    """Return ``value`` as a positive int (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise DeepstepError(f"{name}: expected a positive integer, got {_describe(value)}")
    return int(value)


def check_parameters(parameters: Any) -> list[int]:
    """Check that ``parameters`` holds W1, b1, ..., WL, bL of chained shapes; return layer_dims."""
    return _parameters(parameters)[1]


def plain_parameters(parameters: Any) -> dict[str, np.ndarray]:
    """``parameters`` checked, as a new dict of plain arrays (:func:`as_array` on each; the given dict untouched)."""
    return _parameters(parameters)[0]


def _parameters(parameters: Any) -> tuple[dict[str, np.ndarray], list[int]]:
    if not isinstance(parameters, Mapping) or "W1" not in parameters:
        raise DeepstepError(
            f"parameters: expected a dict with keys 'W1', 'b1', ..., 'WL', 'bL', got {_describe(parameters)}"
        )
    L = len(parameters) // 2
    dims = [None] * (L + 1)
    plain: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        W, b = parameters.get(f"W{l}"), parameters.get(f"b{l}")
        if not isinstance(W, np.ndarray) or not isinstance(b, np.ndarray):
            raise DeepstepError(
                f"parameters: expected arrays 'W{l}' and 'b{l}' for layer {l} of {L}, "
                f"got keys {sorted(parameters)}"
            )
        W, b = as_array(W, f"parameters['W{l}']"), as_array(b, f"parameters['b{l}']")
        if W.ndim != 2 or (dims[l - 1] is not None and W.shape[1] != dims[l - 1]):
            raise DeepstepError(
                f"parameters: expected W{l} of shape (n[{l}], {dims[l - 1]}), got shape {W.shape}"
            )
        dims[l - 1], dims[l] = W.shape[1], W.shape[0]
        if b.shape != (W.shape[0], 1):
            raise DeepstepError(f"parameters: expected b{l} of shape {(W.shape[0], 1)}, got shape {b.shape}")
        plain[f"W{l}"], plain[f"b{l}"] = W, b
    if len(parameters) != 2 * L:
        raise DeepstepError(f"parameters: expected exactly the keys W1..W{L}, b1..b{L}, got {sorted(parameters)}")
    return plain, [int(n) for n in dims]


def check_forward_result(A: np.ndarray, name: str = "X") -> np.ndarray:
    """A forward pass's output, refused (not returned as NaN) where it is not finite."""
    if not np.isfinite(A).all():
        raise DeepstepError(
            f"{name}: the forward pass overflows to NaN or inf with these values (largest magnitudes near the "
            "float range); scale the inputs (e.g. standardize the features)"
        )
    return A
