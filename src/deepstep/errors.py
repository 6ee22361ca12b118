"""deepstep's own exception and the input checks that raise it.

Every check names the argument, what was expected and what came, and never
modifies what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "DeepstepError",
    "batch_norm_layers",
    "as_dtype_checked",
    "as_array",
    "check_arrays",
    "check_X",
    "check_forward_result",
    "plain_parameters",
    "check_Y",
    "check_real_targets",
    "check_layer_dims",
    "check_learning_rate",
    "check_l2",
    "check_number",
    "check_positive_int",
    "finite_result",
]

T = TypeVar("T")


class DeepstepError(ValueError):
    """Raised for input deepstep cannot use; a ``ValueError`` subclass."""


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, int) and value.bit_length() > 1000:  # (repr of a huge int is slow, or refused)
        return f"{type(value).__name__} of magnitude about 10**{int(value.bit_length() * math.log10(2))}"
    if isinstance(value, (str, bytes)) and len(value) > 60:
        value = value[:60]
        return f"{type(value).__name__} {value!r}... (cut)"
    if isinstance(value, (tuple, list, dict)):  # a cache or a dict of arrays: its kind and size, not its contents
        return f"{type(value).__name__} of {len(value)} items"
    text = " ".join(repr(value).split())
    return f"{type(value).__name__} {text[:80]}{'...' if len(text) > 80 else ''}"


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
    """A checked X in ``dtype`` (no copy when it already is); values the cast makes inf are an error, and so is
    a row (a feature) whose non-zero values the cast makes all zero (values below a float32's range)."""
    if X.dtype == dtype:
        return X
    with np.errstate(over="ignore", under="ignore"):
        cast = X.astype(dtype)
    if not np.isfinite(cast).all():
        raise DeepstepError(
            f"{name}: expected values that fit in {np.dtype(dtype).name}, got values beyond its range "
            f"(largest magnitude {np.abs(X).max():g})"
        )
    if X.dtype.kind == "f" and np.dtype(dtype).kind == "f" and np.finfo(dtype).tiny > np.finfo(X.dtype).tiny \
            and X.ndim == 2 and X.size:
        lost = X.any(axis=1) & ~cast.any(axis=1)
        if lost.any():
            row = int(np.flatnonzero(lost)[0])
            raise DeepstepError(
                f"{name}: expected values that {np.dtype(dtype).name} can hold, got row {row}, whose non-zero values "
                f"(largest magnitude {float(np.abs(X[row]).max()):.3g}) all become 0 in {np.dtype(dtype).name}; "
                f"scale it up or use float64"
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


def _targets_array(Y: Any, m: int, n_y: int, name: str) -> np.ndarray:
    """``Y`` as a numeric array (see :func:`as_array`) of shape (n_y, m): one row per output unit."""
    if not isinstance(Y, np.ndarray):
        raise DeepstepError(f"{name}: expected a NumPy array of shape ({n_y}, {m}), got {_describe(Y)}")
    Y = as_array(Y, name)
    if Y.shape != (n_y, m):
        raise DeepstepError(f"{name}: expected shape ({n_y}, {m}), got shape {Y.shape}")
    return Y


def check_Y(Y: Any, m: int, n_y: int = 1, name: str = "Y") -> np.ndarray:
    """``Y`` of shape (n_y, m) holding only 0/1 labels (see :func:`as_array`)."""
    Y = _targets_array(Y, m, n_y, name)
    ok = (Y == 0) | (Y == 1)
    if not ok.all():
        bad = np.unique(Y[~ok])[:5]
        raise DeepstepError(f"{name}: expected labels in {{0, 1}}, got values such as {bad.tolist()}")
    if n_y > 1 and not (Y.sum(axis=0) == 1).all():
        raise DeepstepError(f"{name}: expected one-hot columns (exactly one 1 per column) for {n_y} classes")
    return Y


def _bounds(name: str, low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool) -> str:
    """"0 <= beta < 1", "decay_rate >= 0", ... (empty without bounds)."""
    if high is None:
        return "" if low is None else f"{name} {'>=' if low_inclusive else '>'} {low:g}"
    left = "" if low is None else f"{low:g} {'<=' if low_inclusive else '<'} "
    return f"{left}{name} {'<=' if high_inclusive else '<'} {high:g}"


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
    expected: str | None = None,
) -> Any:
    """The one check of a number argument (a hyperparameter): a finite Python float (an int with ``integer``).

    Parameters
    ----------
    value : Any
        What the user gave.
    name : str
        The argument's name, for the message.
    low, high : float, optional
        Bounds; ``low_inclusive`` / ``high_inclusive`` say whether they are allowed themselves.
    integer : bool
        Take only integers (``numbers.Integral``, not bool) and return an int.
    expected : str, optional
        What is expected, in words ("a small positive number such as 1e-8"); by default made from the bounds.

    Returns
    -------
    float or int
        The value as a finite Python float (or int).

    Raises
    ------
    DeepstepError
        For bool, anything not a real number (strings, arrays, complex, Decimal, None), a value float() cannot
        convert (an int beyond the float range such as 10**400), NaN, inf, or a value out of bounds; the message
        names ``name``, what was expected and what came.
    """
    bounds = _bounds(name, low, high, low_inclusive, high_inclusive)
    kind = "integer" if integer else "number"
    if expected is not None:
        wanted = finite_wanted = expected
    elif low == (1 if integer else 0) and high is None and low_inclusive == integer:
        wanted, finite_wanted = f"a positive {kind}", f"a positive {'' if integer else 'finite '}{kind}"
    else:
        article = "an" if integer else "a"
        wanted = f"{article} {kind}" + (f" with {bounds}" if bounds else "")
        finite_wanted = wanted if integer else f"a finite {kind}" + (f" with {bounds}" if bounds else "")
    if isinstance(value, bool) or not isinstance(value, Integral if integer else Real):
        raise DeepstepError(f"{name}: expected {wanted}, got {_describe(value)}")
    if integer:
        number: Any = int(value)
        shown = _describe(value)
    else:
        try:
            number = float(value)
        except OverflowError:
            raise DeepstepError(f"{name}: expected {finite_wanted}, got {type(value).__name__} beyond the float "
                                "range (magnitude over 1.8e308)") from None
        shown = repr(number)
        if not math.isfinite(number):
            raise DeepstepError(f"{name}: expected {finite_wanted}, got {shown}")
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        raise DeepstepError(f"{name}: expected {finite_wanted}, got {shown}")
    return number


def check_real_targets(Y: Any, m: int, n_y: int = 1, name: str = "Y") -> np.ndarray:
    """``Y`` of shape (n_y, m) holding finite real values (regression targets; see :func:`as_array`)."""
    Y = _targets_array(Y, m, n_y, name)
    if not _all_finite(Y):
        raise DeepstepError(f"{name}: expected finite target values, got NaN or inf")
    return Y


def check_learning_rate(learning_rate: Any) -> float:
    """Return ``learning_rate`` as a positive finite Python float."""
    return check_number(learning_rate, "learning_rate", low=0, low_inclusive=False)


def check_l2(l2: Any, name: str = "l2") -> float:
    """Return the L2 strength lambda as a finite Python float >= 0."""
    return check_number(l2, name, low=0, expected="lambda, a finite number >= 0")


def check_positive_int(value: Any, name: str, allow_none: bool = False) -> int | None:
    """Return ``value`` as a positive int (or None when allowed)."""
    if value is None and allow_none:
        return None
    return check_number(value, name, low=1, integer=True)


def check_parameters(parameters: Any) -> list[int]:
    """Check that ``parameters`` holds W1, b1, ..., WL, bL of chained shapes; return layer_dims."""
    return _parameters(parameters)[1]


def plain_parameters(parameters: Any) -> dict[str, np.ndarray]:
    """``parameters`` checked, as a new dict of plain arrays (:func:`as_array` on each; the given dict untouched)."""
    return _parameters(parameters)[0]


def _parameters(parameters: Any) -> tuple[dict[str, np.ndarray], list[int]]:
    """Layer l holds "W{l}" and either "b{l}" (a dense layer) or "gamma{l}" and "beta{l}" (batch normalization,
    which replaces b[l]), each (n[l], 1)."""
    if not isinstance(parameters, Mapping) or "W1" not in parameters:
        raise DeepstepError(
            f"parameters: expected a dict with keys 'W1', 'b1', ..., 'WL', 'bL', got {_describe(parameters)}"
        )
    L = sum(1 for k in parameters if isinstance(k, str) and k[:1] == "W" and k[1:].isdigit())
    dims = [None] * (L + 1)
    plain: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        W = parameters.get(f"W{l}")
        columns = ("gamma", "beta") if f"gamma{l}" in parameters or f"beta{l}" in parameters else ("b",)
        vectors = [parameters.get(f"{c}{l}") for c in columns]
        if not isinstance(W, np.ndarray) or not all(isinstance(v, np.ndarray) for v in vectors):
            want = " and ".join(f"'{c}{l}'" for c in ("W", *columns))
            raise DeepstepError(f"parameters: expected arrays {want} for layer {l} of {L}, got keys "
                                f"{sorted(parameters)}")
        W = as_array(W, f"parameters['W{l}']")
        if W.ndim != 2 or (dims[l - 1] is not None and W.shape[1] != dims[l - 1]):
            raise DeepstepError(
                f"parameters: expected W{l} of shape (n[{l}], {dims[l - 1]}), got shape {W.shape}"
            )
        dims[l - 1], dims[l] = W.shape[1], W.shape[0]
        plain[f"W{l}"] = W
        for c, v in zip(columns, vectors, strict=True):
            v = as_array(v, f"parameters['{c}{l}']")
            if v.shape != (W.shape[0], 1):
                raise DeepstepError(f"parameters: expected {c}{l} of shape {(W.shape[0], 1)}, got shape {v.shape}")
            plain[f"{c}{l}"] = v
    if len(parameters) != len(plain):
        raise DeepstepError(f"parameters: expected exactly the keys W1..W{L}, b1..b{L} (gamma, beta for a batch-"
                            f"normalized layer), got {sorted(parameters)}")
    return plain, [int(n) for n in dims]


def batch_norm_layers(parameters: Mapping[str, Any]) -> list[int]:
    """The layers l whose parameters hold gamma[l] and beta[l] (batch normalization) instead of b[l]."""
    return sorted(int(k[5:]) for k in parameters if isinstance(k, str) and k.startswith("gamma") and k[5:].isdigit())


def check_forward_result(A: np.ndarray, name: str = "X") -> np.ndarray:
    """A forward pass's output, refused (not returned as NaN) where it is not finite."""
    if not np.isfinite(A).all():
        raise DeepstepError(
            f"{name}: the forward pass overflows to NaN or inf with these values (largest magnitudes near the "
            "float range); scale the inputs (e.g. standardize the features)"
        )
    return A


def finite_result(compute: Callable[[], T], function: str, **inputs: Any) -> T:
    """``compute()`` without NumPy's overflow warnings, refused (DeepstepError) where its result is not finite.

    The one guard of the public step functions: NumPy's arithmetic runs under ``np.errstate`` (no
    RuntimeWarning), then every float in the result (an array, a float, or tuples, lists and dicts of them) is
    checked.  A non-finite result of finite inputs names the input of largest magnitude (the one to scale);
    of non-finite inputs, the input holding NaN or inf.

    Parameters
    ----------
    compute : callable
        The computation, without arguments.
    function : str
        The public function's name, for the message.
    **inputs
        The function's (checked) inputs by name: arrays, numbers, or dicts, tuples and lists of them.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = compute()
    if not _finite(result):
        raise DeepstepError(_overflow_message(function, inputs))
    return result


def _finite(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, (float, np.floating)):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return all(_finite(v) for v in value)
    return True


def _magnitude(value: Any) -> float:
    """The largest |entry| of an input (NaN where it holds NaN, inf where inf; 0 for what holds no numbers)."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        parts = [_magnitude(v) for v in value]
        return math.nan if any(math.isnan(p) for p in parts) else max(parts, default=0.0)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.size:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.max(np.abs(np.asarray(value, dtype=np.float64))))
    if isinstance(value, Real) and not isinstance(value, bool):
        try:
            return abs(float(value))
        except OverflowError:
            return math.inf
    return 0.0


def _overflow_message(function: str, inputs: dict[str, Any]) -> str:
    sizes = {name: _magnitude(value) for name, value in inputs.items()}
    bad = [name for name, size in sizes.items() if not math.isfinite(size)]
    if bad:
        return f"{function}: expected finite values, got NaN or inf in {' and '.join(bad)}"
    biggest = max(sizes, key=lambda name: sizes[name])
    listed = ", ".join(f"{name} {size:.3g}" for name, size in sizes.items())
    return (f"{function}: the result overflows to inf or NaN with these finite values: {biggest} is too large "
            f"(largest magnitudes: {listed}); scale {biggest} down (e.g. standardize the features, use smaller "
            "weights or a smaller learning rate)")


def check_keep_prob(keep_prob: Any, n_hidden: int) -> list[float]:
    """keep_prob as one float per hidden layer, each in (0, 1]."""
    if isinstance(keep_prob, np.ndarray) and keep_prob.ndim == 0:
        keep_prob = keep_prob.item()
    values = list(keep_prob) if isinstance(keep_prob, (Sequence, np.ndarray)) and not isinstance(keep_prob, str) \
        else [keep_prob] * n_hidden
    if isinstance(keep_prob, (Sequence, np.ndarray)) and not isinstance(keep_prob, str) and len(values) != n_hidden:
        raise DeepstepError(f"keep_prob: expected one number or {n_hidden} (one per hidden layer), got {len(values)}")
    if n_hidden == 0 and not (isinstance(keep_prob, (Sequence, np.ndarray)) and not isinstance(keep_prob, str)):
        values = [keep_prob]
    values = [check_number(p, "keep_prob", low=0, low_inclusive=False, high=1,
                           expected="numbers with 0 < keep_prob <= 1") for p in values]
    if n_hidden == 0:
        if values and values[0] < 1:
            raise DeepstepError(f"keep_prob: dropout acts on hidden layers and this network has none, got {values[0]}")
        return []
    return [float(p) for p in values]


def check_sample_weight(value: Any, m: int, name: str = "sample_weight") -> np.ndarray | None:
    """Per-example weights: None, or m finite numbers >= 0 (shape (m,) or (1, m)) not all 0, as (1, m) float64."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or isinstance(value, bool):
        raise DeepstepError(f"{name}: expected {m} weights (numbers >= 0), got {_describe(value)}")
    try:
        w = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DeepstepError(f"{name}: expected {m} weights (numbers >= 0), got {_describe(value)}") from None
    if w.ndim == 2 and w.shape[0] == 1:
        w = w[0]
    if w.ndim != 1 or w.size != m:
        raise DeepstepError(f"{name}: expected {m} weights, one per example (shape ({m},)), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        bad = w[~np.isfinite(w) | (w < 0)][0]
        raise DeepstepError(f"{name}: expected finite weights >= 0, got {bad!r}")
    if not w.any():
        raise DeepstepError(f"{name}: expected some weight above 0, got all {m} zero")
    return w[np.newaxis, :]


def check_weight_row(value: Any, m: int, name: str = "sample_weight") -> np.ndarray | None:
    """:func:`check_sample_weight`'s weights as one (m,) float64 row (the form sums and dot products take), or None.

    >>> check_weight_row([[1, 2.5]], 2).tolist(), check_weight_row(None, 2)
    ([1.0, 2.5], None)
    """
    w = check_sample_weight(value, m, name)
    return None if w is None else w[0]


def check_fraction(value: Any, name: str) -> float:
    return check_number(value, name, low=0, high=1, low_inclusive=False, high_inclusive=False,
                        expected=f"a number with 0 < {name} < 1 such as 0.2")
