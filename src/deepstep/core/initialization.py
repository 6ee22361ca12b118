"""Random initialization of W[l] and b[l].

W[l] is drawn as ``rng.standard_normal((n[l], n[l-1]))`` for l = 1..L in that
order and scaled; every b[l] starts at zero.  All-zero weights are allowed only
without hidden layers (logistic regression): with hidden layers every unit of
a layer would compute the same function and receive the same gradient, for
ever (the symmetry problem).

Examples
--------
>>> import numpy as np
>>> from deepstep import initialize_parameters
>>> p = initialize_parameters([3, 2, 1], init="xavier", rng=0)
>>> sorted(p), p["W1"].shape, p["b1"].shape, p["W2"].shape
(['W1', 'W2', 'b1', 'b2'], (2, 3), (2, 1), (1, 2))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DeepstepError, check_layer_dims
from ..limits import check_parameter_count
from .activations import get_hidden_activation

__all__ = ["DTYPES", "INITS", "initialize_parameters", "as_rng", "as_dtype"]

# The dtypes the engine computes in (every kernel, the model files, the command line's --dtype).
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

RngLike = int | np.random.Generator | np.random.RandomState | None

# name -> W[l] from a standard normal draw N of shape (n[l], n[l-1]) and n[l-1]
# (written as the course writes it, so the same seed gives the same bits)
INITS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "small": lambda N, n_prev: N * 0.01,
    "xavier": lambda N, n_prev: N / math.sqrt(n_prev),
    "he": lambda N, n_prev: N * math.sqrt(2.0 / n_prev),
    "zeros": lambda N, n_prev: np.zeros_like(N),
}


def as_rng(rng: RngLike) -> np.random.Generator | np.random.RandomState:
    """Turn ``rng`` into a random generator; never touches NumPy's global state.

    None gives a fresh ``default_rng()``.  An int seeds a ``RandomState(seed)``,
    so that seed 1 reproduces the course's ``np.random.seed(1)`` figures draw
    for draw; pass ``np.random.default_rng(seed)`` for the modern generator.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and 0 <= rng < 2**32:
        return np.random.RandomState(int(rng))
    raise DeepstepError(
        "rng: expected None, an int seed from 0 to 2**32 - 1, a numpy.random.Generator or RandomState, "
        f"got {rng!r}"
    )


def as_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as one of :data:`DTYPES` (float32 or float64, native byte order), or raise DeepstepError.

    The engine computes in those two only: float16 makes Adam's epsilon 0 and overflows at 65504, and
    longdouble is not what BLAS computes in.  None is NumPy's float64.
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):  # not a dtype; a string NumPy cannot parse
        dt = None
    if dt is None or dt.type not in (np.float32, np.float64) or not dt.isnative:
        raise DeepstepError(f"dtype: expected a floating dtype the engine computes in, float32 or float64, "
                            f"got {dtype!r}")
    return dt


def resolve_init(init: str, hidden_activation: str, n_hidden_layers: int) -> str:
    """Resolve ``"auto"`` (he for ReLU-family hidden layers, xavier otherwise) and check the name."""
    if init == "auto":
        return get_hidden_activation(hidden_activation).init if n_hidden_layers else "xavier"
    if not isinstance(init, str) or init not in INITS:
        raise DeepstepError(f"init: expected one of {['auto', *INITS]}, got {init!r}")
    if init == "zeros" and n_hidden_layers:
        raise DeepstepError(
            "init: 'zeros' is only allowed without hidden layers (logistic regression); with "
            f"{n_hidden_layers} hidden layer(s) every unit of a layer would compute the same output and "
            "get the same gradient, so they would stay identical (the symmetry problem). "
            "Use 'auto', 'he', 'xavier' or 'small'"
        )
    return init


def initialize_parameters(
    layer_dims: list[int],
    init: str = "auto",
    rng: RngLike = None,
    dtype: Any = np.float64,
    hidden_activation: str = "relu",
) -> dict[str, np.ndarray]:
    """Draw the parameters of an L-layer network.

    Parameters
    ----------
    layer_dims : sequence of int
        [n[0], n[1], ..., n[L]]: input size, hidden sizes, output size; at most
        :data:`deepstep.limits.MAX_PARAMETERS` parameters in all (checked before anything is drawn).
    init : {"auto", "small", "xavier", "he", "zeros"}
        "small": N(0,1) * 0.01; "xavier": N(0,1) / sqrt(n[l-1]);
        "he": N(0,1) * sqrt(2 / n[l-1]); "zeros" (no hidden layers only);
        "auto": he for ReLU-family hidden layers, xavier otherwise.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
        Source of randomness (see :func:`as_rng`).
    dtype : float32 or float64
        Dtype of every array returned.
    hidden_activation : str
        Used only to resolve ``init="auto"``.

    Returns
    -------
    parameters : dict
        "W{l}" : ndarray of shape (n[l], n[l-1]); "b{l}" : ndarray of shape (n[l], 1), zeros.
    """
    dims = check_layer_dims(layer_dims)
    check_parameter_count(dims)
    dt = as_dtype(dtype)
    name = resolve_init(init, hidden_activation, len(dims) - 2)
    gen = as_rng(rng)
    parameters: dict[str, np.ndarray] = {}
    for l in range(1, len(dims)):
        shape = (dims[l], dims[l - 1])
        N = np.zeros(shape) if name == "zeros" else gen.standard_normal(shape)
        parameters[f"W{l}"] = INITS[name](N, dims[l - 1]).astype(dt, copy=False)
        parameters[f"b{l}"] = np.zeros((dims[l], 1), dtype=dt)
    return parameters
